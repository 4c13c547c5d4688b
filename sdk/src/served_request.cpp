#include "sluice/served_request.h"

#include <utility>

namespace sluice {

ServedRequest::ServedRequest(std::string body, std::string content_type, Clock::time_point deadline,
                             std::string target)
    : body_(std::move(body)),
      content_type_(std::move(content_type)),
      target_(std::move(target)),
      received_(Clock::now()),
      deadline_(deadline) {}

void ServedRequest::release_body() { std::string().swap(body_); }

bool ServedRequest::answer(ServedAnswer a) {
  {
    std::lock_guard lock(mu_);
    if (answer_) return false;
    answer_ = std::move(a);
    answered_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
  return true;
}

std::optional<ServedAnswer> ServedRequest::wait_until(Clock::time_point until) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_until(lock, until, [&] { return answer_.has_value(); })) return std::nullopt;
  return answer_;
}

}  // namespace sluice
