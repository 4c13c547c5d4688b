#include "tensor_response.h"

#include "kserve_tensors.h"
#include "request_source.h"
#include "request_table.h"

namespace sluice::sources {

Status TensorResponse::process(Context& ctx) {
  const InFlight in_flight = RequestTable::instance().take(ctx.header().stream_id);
  if (!in_flight.request) {  // answered already (a second input set), or not a request's
    ctx.add_to_counter("extra_results");
    return ok();
  }
  if (in_flight.request->answered()) {  // the deadline passed, or the client left
    ctx.add_to_counter("late");
    return ok();
  }
  if (!in_flight.plan) {
    in_flight.request->answer({500, error_body("tensor_response answers tensor_request's requests; "
                                               "http_request's are answered by http_response")});
    ctx.add_to_counter("misdeclared");
    return ok();
  }
  const std::vector<const Tensor*> results{ctx.get_if(kIn), ctx.get_if(kIn1), ctx.get_if(kIn2),
                                           ctx.get_if(kIn3)};
  const Result<std::string> body = infer_response_json(*in_flight.plan, results);
  if (!body.ok()) {
    in_flight.request->answer({500, error_body(body.status().message())});
    ctx.add_to_counter("misdeclared");
    return ok();
  }
  if (in_flight.request->answer({200, *body}))
    ctx.add_to_counter("answered");
  else
    ctx.add_to_counter("late");
  return ok();
}

}  // namespace sluice::sources
