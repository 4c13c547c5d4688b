// HttpService: `sluice run --http` started as a child process on a free 127.0.0.1 port,
// with a cpp-httplib client to ask it things. Shared by the service's suites.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "process_support.h"
#include "test_support.h"

namespace sluice::test {

using namespace std::chrono_literals;

// A pipeline that runs until stopped, paced, so figures keep moving.
constexpr const char* kLive = R"([pipeline]
links = ["src -> pass -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
fps = 200
width = 32
height = 32
[nodes.pass]
plugin = "passthrough"
[nodes.sink]
plugin = "null_sink"
)";

class HttpService : public ::testing::Test {
 protected:
  // Starts `sluice run` on `pipeline` (kLive by default) serving http on a free port, and
  // waits for it to listen.
  void start(const std::vector<std::string>& extra = {}, const std::string& pipeline = kLive) {
    port_ = free_port();
    std::vector<std::string> argv{sluice_cli(), "run",
                                  "-q",         dir_.write("live.toml", pipeline),
                                  "--http",     "127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    run_ = std::make_unique<Child>(argv, dir_.file("sluice.log"));
    ASSERT_TRUE(wait_listening(port_, 20s)) << read_file(dir_.file("sluice.log"));
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }
  // GET `path` until `ok` holds of the answer, 20 s at most.
  httplib::Result get_until(const std::string& path,
                            const std::function<bool(const httplib::Response&)>& ok) {
    auto c = client();
    for (int i = 0; i < 200; ++i) {
      auto r = c.Get(path);
      if (r && ok(*r)) return r;
      std::this_thread::sleep_for(100ms);
    }
    return c.Get(path);
  }
  int stop() {
    run_->signal(SIGINT);
    return run_->wait(30s);
  }

  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Child> run_;
};

}  // namespace sluice::test
