// A real redis-server (Debian's) on 127.0.0.1 and a free port, for the tests of the worker
// pool on Redis Streams: started with the object, killed when it goes. Nothing is saved
// unless `appendonly` is asked for (then in `dir`, so a restart finds its data again).
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "process_support.h"
#include "redis_client.h"
#include "test_support.h"

namespace sluice::test {

class RedisServer {
 public:
  explicit RedisServer(const std::string& dir, bool appendonly = false, int port = 0)
      : dir_(dir), appendonly_(appendonly), port_(port != 0 ? port : free_port()) {
    start();
  }
  int port() const { return port_; }
  // Stops it (SIGTERM: with appendonly, what it holds is on disk) and waits for its exit.
  void stop() {
    if (!child_) return;
    child_->signal(SIGTERM);
    child_->wait(std::chrono::seconds(10));
    child_.reset();
  }
  void start() {
    const std::string log = dir_ + "/redis-" + std::to_string(port_) + ".log";
    child_ = std::make_unique<Child>(
        std::vector<std::string>{"redis-server", "--port", std::to_string(port_), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly",
                                 appendonly_ ? "yes" : "no", "--dir", dir_},
        log);
    if (!wait_listening(port_, std::chrono::seconds(10)))
      throw std::runtime_error("redis-server did not start on port " + std::to_string(port_) +
                               ": " + read_file(log));
  }
  // A client of this server, connected.
  std::unique_ptr<sources::RedisClient> client() const {
    sources::RedisEndpoint endpoint;
    endpoint.port = port_;
    auto c = std::make_unique<sources::RedisClient>(endpoint, "test");
    const Status s = c->connect();
    if (!s.ok()) throw std::runtime_error(s.message());
    return c;
  }

 private:
  std::string dir_;
  bool appendonly_;
  int port_;
  std::unique_ptr<Child> child_;
};

// Runs one command on `redis` and returns its answer; throws when it cannot be sent.
inline sources::RedisReply redis_do(sources::RedisClient& redis,
                                    const std::vector<std::string>& args) {
  auto reply = redis.try_command(args);
  if (!reply.ok()) throw std::runtime_error(reply.status().message());
  return std::move(*reply);
}

}  // namespace sluice::test
