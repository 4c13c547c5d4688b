// Helpers for the source plugin tests: real media, a node's expected_frames(), child
// processes (an ffmpeg server) and local ports.
#pragma once

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "node_call.h"
#include "process_support.h"
#include "sluice/sluice.h"
#include "test_support.h"

extern char** environ;

namespace sluice::test {

// A file of assets/media; a missing one fails the test with what to do about it.
inline std::string media(const std::string& name) {
  const std::string path = std::string(SLUICE_SOURCE_DIR) + "/assets/media/" + name;
  if (!std::filesystem::exists(path))
    throw std::runtime_error("missing test media " + path +
                             ": run `bash scripts/fetch_assets.sh` in the source tree first");
  return path;
}

// The first `bytes` bytes of `from`, written to `to` (a truncated file).
inline void copy_prefix(const std::string& from, const std::string& to, std::size_t bytes) {
  std::ifstream in(from, std::ios::binary);
  std::vector<char> data(bytes);
  in.read(data.data(), static_cast<std::streamsize>(bytes));
  std::ofstream(to, std::ios::binary).write(data.data(), in.gcount());
}

// What a source node answers to expected_frames() after opening with `set` (the other
// params at their defaults). The NodeHarness does not expose it, so this loads the
// plugin library through the SDK's own entry point, as any loader would.
inline int64_t expected_frames_of(const std::string& type,
                                  const std::map<std::string, ParamValue>& set) {
  const std::string library = (std::filesystem::path(SLUICE_CLI).parent_path().parent_path() /
                               "plugins" / ("sluice_" + type + ".so"))
                                  .string();
  void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
  using Entry = const PluginDescriptor* (*)();
  const auto entry = reinterpret_cast<Entry>(::dlsym(handle, SLUICE_PLUGIN_ENTRY_SYMBOL));
  const PluginDescriptor* descriptor = entry ? entry() : nullptr;
  int64_t expected = -2;
  std::string error = "no node type " + type + " in " + library;
  for (std::size_t i = 0; descriptor && i < descriptor->count; ++i) {
    const Contract contract = descriptor->factories[i].contract();
    if (contract.type != type) continue;
    Params params;
    for (const auto& spec : contract.params) {
      const auto it = set.find(spec.name);
      params.set(spec.name, it != set.end() ? it->second : spec.default_value, it != set.end());
    }
    std::unique_ptr<Node> node(descriptor->factories[i].create());
    const Status opened = node->open(params);
    if (opened.ok()) {
      expected = node->expected_frames();
      detail::ContextState state = runtime::make_context_state(contract, nullptr, nullptr, type);
      Context ctx(state);
      (void)node->close(ctx);
    }
    error = "open: " + opened.message();
    node.reset();  // before its code goes
  }
  ::dlclose(handle);
  if (expected == -2) throw std::runtime_error(error);
  return expected;
}

// ffmpeg serving vtest.avi as MPEG-4 in MPEG-TS to one client at `url` (tcp://...?listen=1
// or http://... with -listen 1). `frames` > 0: that many frames, as fast as the client
// reads, then it exits; 0: looped forever at the file's rate (-re).
inline std::unique_ptr<Child> ffmpeg_server(const std::string& url, int frames,
                                            const std::string& log) {
  std::vector<std::string> argv{"ffmpeg", "-nostdin", "-v", "error"};
  if (frames == 0) argv.insert(argv.end(), {"-re", "-stream_loop", "-1"});
  argv.insert(argv.end(), {"-i", media("vtest.avi")});
  if (frames > 0) argv.insert(argv.end(), {"-frames:v", std::to_string(frames)});
  argv.insert(argv.end(), {"-c:v", "mpeg4", "-f", "mpegts"});
  if (url.starts_with("http")) argv.insert(argv.end(), {"-listen", "1"});
  argv.push_back(url);
  return std::make_unique<Child>(argv, log);
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace sluice::test
