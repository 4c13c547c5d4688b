#include "redis_client.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <thread>

namespace sluice::sources {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

}  // namespace

bool ReplyView::is_nil() const { return r_ == nullptr || r_->type == REDIS_REPLY_NIL; }
bool ReplyView::is_error() const { return r_ != nullptr && r_->type == REDIS_REPLY_ERROR; }
bool ReplyView::is_array() const { return r_ != nullptr && r_->type == REDIS_REPLY_ARRAY; }
bool ReplyView::is_integer() const { return r_ != nullptr && r_->type == REDIS_REPLY_INTEGER; }

std::string ReplyView::text() const {
  if (r_ == nullptr) return {};
  if (r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS ||
      r_->type == REDIS_REPLY_ERROR)
    return std::string(r_->str, r_->len);
  return {};
}

int64_t ReplyView::integer() const {
  if (r_ == nullptr) return 0;
  if (r_->type == REDIS_REPLY_INTEGER) return r_->integer;
  if (r_->type == REDIS_REPLY_STRING) {
    try {
      return std::stoll(std::string(r_->str, r_->len));
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

std::size_t ReplyView::size() const { return is_array() ? r_->elements : 0; }

ReplyView ReplyView::operator[](std::size_t i) const {
  return ReplyView(i < size() ? r_->element[i] : nullptr);
}

RedisReply::RedisReply(redisReply* r) : r_(r) {}
void RedisReply::Free::operator()(redisReply* r) const { freeReplyObject(r); }

RedisClient::RedisClient(RedisEndpoint endpoint, std::string purpose)
    : endpoint_(std::move(endpoint)),
      purpose_(std::move(purpose)),
      backoff_(endpoint_.reconnect_initial_ms) {}

RedisClient::~RedisClient() { drop(); }

std::string RedisClient::where() const {
  return "redis " + endpoint_.host + ":" + std::to_string(endpoint_.port) +
         (purpose_.empty() ? "" : " (" + purpose_ + ")");
}

void RedisClient::drop() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

Status RedisClient::connect() {
  Status s = connect_now();
  if (s.ok()) {
    backoff_ = std::chrono::milliseconds(endpoint_.reconnect_initial_ms);
  } else if (s.code() == StatusCode::kUnavailable) {
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(endpoint_.reconnect_max_ms));
  }
  return s;
}

Status RedisClient::connect_now() {
  drop();
  const auto timeout = std::chrono::milliseconds(endpoint_.timeout_ms);
  redisContext* c =
      redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, to_timeval(timeout));
  if (c == nullptr) {
    last_error_ = where() + ": cannot connect: out of memory";
    return unavailable(last_error_);
  }
  if (c->err != 0) {
    last_error_ = where() + ": cannot connect: " + c->errstr;
    redisFree(c);
    return unavailable(last_error_);
  }
  redisSetTimeout(c, to_timeval(timeout));
  redisEnableKeepAlive(c);  // a server gone without a word is noticed
  ctx_ = c;
  if (ever_connected_) ++reconnects_;
  ever_connected_ = true;
  // AUTH and SELECT: refused ones are errors of the set-up, not of the connection.
  auto setup = [&](const std::vector<std::string>& args, const char* what) -> Status {
    auto reply = try_command(args);
    if (!reply.ok()) return reply.status();
    if (reply->view().is_error()) {
      last_error_ = where() + ": " + what + " refused: " + reply->view().text();
      drop();
      return invalid_argument(last_error_);
    }
    return ok();
  };
  if (!endpoint_.password.empty())
    SLUICE_RETURN_IF_ERROR(setup({"AUTH", endpoint_.password}, "AUTH"));
  if (endpoint_.db != 0)
    SLUICE_RETURN_IF_ERROR(setup({"SELECT", std::to_string(endpoint_.db)}, "SELECT"));
  return ok();
}

Result<RedisReply> RedisClient::try_command(const std::vector<std::string>& args,
                                            std::chrono::milliseconds extra_wait) {
  if (ctx_ == nullptr) {
    if (std::chrono::steady_clock::now() < next_attempt_) return unavailable(last_error_);
    SLUICE_RETURN_IF_ERROR(connect());
  }
  if (extra_wait.count() > 0)
    redisSetTimeout(ctx_, to_timeval(std::chrono::milliseconds(endpoint_.timeout_ms) + extra_wait));
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    // The context is unusable after an I/O or protocol error: drop it, reconnect later.
    last_error_ = where() + ": " + (args.empty() ? "" : args[0] + ": ") +
                  (ctx_->err != 0 ? ctx_->errstr : "no answer");
    drop();
    return unavailable(last_error_);
  }
  if (extra_wait.count() > 0)
    redisSetTimeout(ctx_, to_timeval(std::chrono::milliseconds(endpoint_.timeout_ms)));
  return RedisReply(reply);
}

bool RedisClient::wait(std::chrono::milliseconds ms, const std::function<bool()>& stopping) {
  const auto end = std::chrono::steady_clock::now() + ms;
  while (std::chrono::steady_clock::now() < end) {
    if (stopping()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), end - std::chrono::steady_clock::now()));
  }
  return !stopping();
}

Result<RedisReply> RedisClient::command(const std::vector<std::string>& args,
                                        const std::function<bool()>& stopping,
                                        std::chrono::milliseconds extra_wait) {
  for (;;) {
    auto reply = try_command(args, extra_wait);
    // AUTH/SELECT refused is not a connection failure: trying again would not help.
    if (reply.ok() || reply.status().code() != StatusCode::kUnavailable) return reply;
    const auto until_next = std::chrono::duration_cast<std::chrono::milliseconds>(
        next_attempt_ - std::chrono::steady_clock::now());
    if (!wait(std::max(until_next, std::chrono::milliseconds(1)), stopping)) return reply.status();
  }
}

}  // namespace sluice::sources
