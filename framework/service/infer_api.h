// POST /v1/pipelines/NAME/infer: an image for a pipeline's http_request node, answered
// with its results (the node's http_response) or an error, as JSON:
//
//   NAME        the pipeline's name ([pipeline] name) when one node takes requests, or that
//               node's name (always)
//   body        the image (image/jpeg, image/png, application/octet-stream), or a
//               multipart form whose part "image" (else its first file) is the image
//   X-Request-Timeout-Ms: N   the client's deadline, when shorter than the node's timeout_ms
//
//   200 the results; 400 not a whole image, a bad header; 404 no such pipeline; 413 a body
//   over the node's max_body_mb; 415 another content type; 500 the pipeline gave no result
//   (dropped on the way); 503 the queue is full (Retry-After), the run is stopping, or
//   the nodes are still opening; 504 the deadline passed.
//
// The handler waits on the server's thread (growing_thread_pool.h). A client that goes
// away while its request waits is noticed within 100 ms (client_watch.h): the request is
// answered for no one, so http_request drops it if it has not entered the pipeline.
#pragma once

#include <atomic>
#include <cstddef>

#include "pipeline.h"
#include "runner.h"

namespace httplib {
class Server;
}

namespace sluice::service {

void add_infer_routes(httplib::Server& server, const runtime::Pipeline& pipeline,
                      runtime::Runner& runner, const std::atomic<bool>& stopping, const int& port);

// The largest request body a pipeline takes: the largest max_body_mb of its nodes that
// take requests, or 0 when none does. The server refuses longer bodies before reading
// them (413).
std::size_t largest_request_body(const runtime::Pipeline& pipeline);

}  // namespace sluice::service
