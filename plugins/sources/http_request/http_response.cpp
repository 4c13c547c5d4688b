#include "http_response.h"

#include <chrono>
#include <cmath>

#include "request_table.h"
#include "result_record.h"

namespace sluice::sources {
namespace {

double ms_between(int64_t from_ns, int64_t to_ns) {
  return std::round(static_cast<double>(to_ns - from_ns) / 1e4) / 100;  // 0.01 ms
}

int64_t ns_of(ServedRequest::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

Status HttpResponse::open(const Params& params) {
  mask_rle_ = params.get(kMaskRle);
  return ok();
}

Status HttpResponse::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  std::shared_ptr<ServedRequest> request = RequestTable::instance().take(h.stream_id).request;
  if (!request) {
    // Answered already (a second input set for it), or not a request's stream.
    ctx.add_to_counter("extra_results");
    return ok();
  }
  if (request->answered()) {  // the deadline passed, or the client left, on the way
    ctx.add_to_counter("late");
    return ok();
  }
  nlohmann::json record =
      sinks::result_record(h, sinks::result_inputs_of<HttpResponse>(ctx), mask_rle_);
  const int64_t received = ns_of(request->received());
  const int64_t now = ns_of(ServedRequest::Clock::now());
  record["timings"] = {{"queued_ms", ms_between(received, h.created_ns)},
                       {"pipeline_ms", ms_between(h.created_ns, now)},
                       {"total_ms", ms_between(received, now)}};
  // Labels come from model files: replace invalid UTF-8 rather than fail the answer.
  if (request->answer(
          {200, record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"}))
    ctx.add_to_counter("answered");
  else
    ctx.add_to_counter("late");
  return ok();
}

}  // namespace sluice::sources
