#include "request_table.h"

namespace sluice::sources {

RequestTable& RequestTable::instance() {
  static RequestTable table;
  return table;
}

void RequestTable::add(uint32_t stream_id, std::shared_ptr<ServedRequest> request) {
  std::lock_guard lock(mu_);
  requests_[stream_id] = std::move(request);
}

std::shared_ptr<ServedRequest> RequestTable::find(uint32_t stream_id) const {
  std::lock_guard lock(mu_);
  const auto it = requests_.find(stream_id);
  return it == requests_.end() ? nullptr : it->second;
}

std::shared_ptr<ServedRequest> RequestTable::take(uint32_t stream_id) {
  std::lock_guard lock(mu_);
  const auto it = requests_.find(stream_id);
  if (it == requests_.end()) return nullptr;
  auto request = std::move(it->second);
  requests_.erase(it);
  return request;
}

std::size_t RequestTable::size() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

}  // namespace sluice::sources
