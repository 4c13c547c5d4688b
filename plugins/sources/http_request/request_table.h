// The requests in flight between http_request (which sent each as a stream of its own)
// and http_response (which answers it), by the run's stream id. One table per process:
// both nodes are in this library, and a run's stream ids are unique across its sources.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "sluice/served_request.h"

namespace sluice::sources {

class RequestTable {
 public:
  static RequestTable& instance();

  void add(uint32_t stream_id, std::shared_ptr<ServedRequest> request);
  // The request of a stream, or nullptr when there is none (answered and removed).
  std::shared_ptr<ServedRequest> find(uint32_t stream_id) const;
  // Removes and returns it.
  std::shared_ptr<ServedRequest> take(uint32_t stream_id);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<uint32_t, std::shared_ptr<ServedRequest>> requests_;
};

}  // namespace sluice::sources
