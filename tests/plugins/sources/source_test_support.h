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

// A TCP port on 127.0.0.1 that nothing listens on (at the time of asking).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A socket listening on 127.0.0.1 that never accepts: the kernel completes connections
// into its backlog, and the peer then waits for data that never comes.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// True when a socket of 127.0.0.1:port is in TCP state `state` (0A: listening, 01:
// connected), read from /proc/net/tcp so that checking does not take the one
// connection an `ffmpeg -listen` server accepts.
inline bool tcp_state(int port, const char* state) {
  std::ifstream in("/proc/net/tcp");
  char address[32];
  std::snprintf(address, sizeof address, "0100007F:%04X", port);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, st;
    fields >> slot >> local >> remote >> st;
    if ((local == address || remote == address) && st == state) return true;
  }
  return false;
}

inline bool wait_tcp_state(int port, const char* state, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (tcp_state(port, state)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}
inline bool wait_listening(int port, std::chrono::milliseconds limit) {
  return wait_tcp_state(port, "0A", limit);
}
// A client connected to the server on `port` (the server's side of it).
inline bool wait_connected(int port, std::chrono::milliseconds limit) {
  return wait_tcp_state(port, "01", limit);
}

// A child process (stdin from /dev/null, output to `log`), killed when the object goes.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { kill(); }
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

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
