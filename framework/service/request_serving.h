// What the two inference APIs share (infer_api.h: images, /v1; kserve_api.h: KServe v2
// tensors, /v2): finding the node that takes a request by the NAME of its URL, and handing
// it a request and waiting for the answer; and the JSON answers every route of the
// service sends (errors, 405).
#pragma once

#include <httplib.h>

#include <atomic>
#include <string>

#include "pipeline.h"
#include "runner.h"
#include "sluice/served_request.h"

namespace sluice::service {

// The service's JSON answers: {"error": message} with a status, sent as it is; and the
// handler of a known path asked with another method (405 naming those allowed, "GET").
ServedAnswer error_answer(int status, const std::string& message);
void send_answer(httplib::Response& res, const ServedAnswer& a);
httplib::Server::Handler not_allowed(const char* allow);

// The intake that NAME addresses among the nodes taking requests of `protocol`: a node's
// name, or the pipeline's when one node takes them. nullptr with the answer saying why
// (404 naming what is served; 503 while the nodes are still opening). `what` names the
// kind in messages ("pipeline", "model").
RequestIntake* intake_named(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                            const std::string& name, RequestIntake::Protocol protocol,
                            const char* what, ServedAnswer& why);

// Hands `body` to `intake` as a request and waits for its answer: the node's, or 504 at
// the deadline (the node's timeout_ms, or the client's X-Request-Timeout-Ms if less), 503
// when the run stops, 499 when the client goes away (noticed within 100 ms:
// client_watch.h). 413 for a body over the node's limit, 400 for a bad header.
ServedAnswer serve_request(RequestIntake& intake, const httplib::Request& req, std::string body,
                           std::string content_type, const std::string& target,
                           const std::atomic<bool>& stopping, int port);

}  // namespace sluice::service
