// The requests in flight, by the run's stream id: http_request and tensor_request put a
// request here as it enters the pipeline, http_response and tensor_response take it to
// answer. One table per process, shared by the nodes of this library: stream ids are the
// run's, unique across sources.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "sluice/served_request.h"

namespace sluice::sources {

struct TensorPlan;

struct InFlight {
  std::shared_ptr<ServedRequest> request;
  std::shared_ptr<const TensorPlan> plan;  // tensor_request's requests only
};

class RequestTable {
 public:
  static RequestTable& instance();

  void add(uint32_t stream_id, InFlight in_flight);
  // The request of a stream, or an empty one when there is none (answered and removed).
  InFlight find(uint32_t stream_id) const;
  // Removes and returns it.
  InFlight take(uint32_t stream_id);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<uint32_t, InFlight> requests_;
};

}  // namespace sluice::sources
