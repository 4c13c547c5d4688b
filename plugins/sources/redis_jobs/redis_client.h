// A connection to one Redis server, owned (RAII over hiredis's C context), that reconnects
// by itself with a growing wait and names the server in every error. Used by redis_source
// and redis_sink; hiredis's types stay in the .cpp.
//
//   RedisClient redis({.host = "127.0.0.1", .port = 6379}, "stream 'sluice:jobs'");
//   SLUICE_RETURN_IF_ERROR(redis.connect());
//   auto reply = redis.command({"XACK", "sluice:jobs", "workers", "1700000000000-0"}, stopping);
//
// A command that fails on the connection (refused, reset, timed out) is sent again after
// reconnecting, until it succeeds or `stopping()` says to give up: a command may then run
// twice, which is why what sluice sends is either idempotent (XACK, XCLAIM) or deduplicated
// by its reader (XADD of records that carry job and seq).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sluice/sluice.h"

struct redisContext;
struct redisReply;

namespace sluice::sources {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;   // AUTH when not empty
  int db = 0;             // SELECT when not 0
  int timeout_ms = 5000;  // connecting, and each command's answer
  int reconnect_initial_ms = 200;
  int reconnect_max_ms = 5000;
};

// One answer of Redis; a view into a RedisReply's tree.
class ReplyView {
 public:
  explicit ReplyView(const redisReply* r) : r_(r) {}
  bool is_nil() const;
  bool is_error() const;  // an error answer: text() is its message ("NOGROUP ...")
  bool is_array() const;
  bool is_integer() const;
  std::string text() const;  // a string, status or error; "" for others
  int64_t integer() const;   // an integer answer, or a string holding one; 0 otherwise
  std::size_t size() const;  // an array's elements; 0 for others
  ReplyView operator[](std::size_t i) const;

 private:
  const redisReply* r_;
};

class RedisReply {
 public:
  explicit RedisReply(redisReply* r);
  ReplyView view() const { return ReplyView(r_.get()); }

 private:
  struct Free {
    void operator()(redisReply* r) const;
  };
  std::unique_ptr<redisReply, Free> r_;
};

class RedisClient {
 public:
  // `purpose` ends every error message: "redis 127.0.0.1:6379 (stream 'jobs'): ...".
  RedisClient(RedisEndpoint endpoint, std::string purpose);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects once (AUTH, SELECT): an error names the server and why.
  Status connect();
  bool connected() const { return ctx_ != nullptr; }

  // Sends `args` and returns the answer, an error answer included (see ReplyView). On a
  // connection failure, reconnects (waiting reconnect_initial_ms, doubling up to
  // reconnect_max_ms) and sends again, until `stopping()`: then unavailable. `extra_wait`
  // lengthens the answer's timeout, for a command that blocks on the server (BLOCK ms).
  Result<RedisReply> command(const std::vector<std::string>& args,
                             const std::function<bool()>& stopping,
                             std::chrono::milliseconds extra_wait = {});
  // One attempt: unavailable when the connection fails (it is then dropped) or, after a
  // failed reconnect, while the wait before the next one has not passed; the next attempt
  // after that reconnects. For a caller with other work to do while Redis is away.
  Result<RedisReply> try_command(const std::vector<std::string>& args,
                                 std::chrono::milliseconds extra_wait = {});

  // Connections made after the first (each reconnect), and the last connection error.
  int64_t reconnects() const { return reconnects_; }
  const std::string& last_error() const { return last_error_; }
  // "redis HOST:PORT (purpose)", the prefix of this client's errors.
  std::string where() const;

 private:
  void drop();
  Status connect_now();
  // Sleeps up to `ms` in short steps; false when stopping.
  static bool wait(std::chrono::milliseconds ms, const std::function<bool()>& stopping);

  RedisEndpoint endpoint_;
  std::string purpose_;
  redisContext* ctx_ = nullptr;
  bool ever_connected_ = false;
  std::chrono::steady_clock::time_point next_attempt_{};  // after a failed connect
  std::chrono::milliseconds backoff_{0};
  int64_t reconnects_ = 0;
  std::string last_error_;
};

}  // namespace sluice::sources
