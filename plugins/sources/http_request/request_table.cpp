#include "request_table.h"

namespace sluice::sources {

RequestTable& RequestTable::instance() {
  static RequestTable table;
  return table;
}

void RequestTable::add(uint32_t stream_id, InFlight in_flight) {
  std::lock_guard lock(mu_);
  requests_[stream_id] = std::move(in_flight);
}

InFlight RequestTable::find(uint32_t stream_id) const {
  std::lock_guard lock(mu_);
  const auto it = requests_.find(stream_id);
  return it == requests_.end() ? InFlight{} : it->second;
}

InFlight RequestTable::take(uint32_t stream_id) {
  std::lock_guard lock(mu_);
  const auto it = requests_.find(stream_id);
  if (it == requests_.end()) return {};
  InFlight in_flight = std::move(it->second);
  requests_.erase(it);
  return in_flight;
}

std::size_t RequestTable::size() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

}  // namespace sluice::sources
