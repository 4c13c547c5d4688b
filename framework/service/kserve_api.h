// KServe v2, the Open Inference Protocol (Triton's HTTP/REST protocol), for the pipelines'
// tensor_request nodes, so that a client that speaks it needs no change:
//
//   GET  /v2                                 server metadata: name, version, extensions
//   GET  /v2/health/live                     200 while the process serves
//   GET  /v2/health/ready                    200 once every node has opened and the run has
//                                            not failed; 400 with the reason otherwise
//   GET  /v2/models/NAME[/versions/1]        the model's metadata: name, versions, platform,
//                                            inputs and outputs (name, datatype, shape)
//   GET  /v2/models/NAME[/versions/1]/ready  200 when ready (as above), 400 otherwise
//   POST /v2/models/NAME[/versions/1]/infer  JSON tensors in, the model's named outputs out
//                                            (kserve_tensors.h in the tensor_request plugin)
//
// NAME is the pipeline's name when one tensor_request node serves, or that node's name
// (always). Each model has one version, "1". Errors are {"error": "..."}: 400 a request
// that does not fit the model (or asks for the binary data extension, which is not
// served), 404 no such model or version, 413, 499, 503 and 504 as for /v1 (infer_api.h).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "pipeline.h"
#include "runner.h"

namespace httplib {
class Server;
}

namespace sluice::service {

// `not_ready`: why the run is not ready, or "" when it is (/readyz's reason).
void add_kserve_routes(httplib::Server& server, const runtime::Pipeline& pipeline,
                       runtime::Runner& runner, const std::atomic<bool>& stopping, const int& port,
                       std::function<std::string()> not_ready);

}  // namespace sluice::service
