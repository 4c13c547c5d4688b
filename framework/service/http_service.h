// The service plane of a running pipeline, over HTTP (cpp-httplib), on a thread of its own:
//
//   GET /healthz       200 while the process serves (no token needed)
//   GET /readyz        200 once every node has opened and while the run has not failed;
//                      503 with the reason otherwise
//   GET /metrics       the live figures in Prometheus' text format (metrics_text.h)
//   GET /api/pipeline  the graph (nodes, plugins, params, links) and the live figures,
//                      as --stats-json writes them, as JSON
//   GET|POST /api/nodes/NODE/streams, DELETE /api/nodes/NODE/streams/ID
//                      the streams of a source that takes them (stream_api.h)
//   GET /preview/NODE  the pictures at NODE with their results drawn, as MJPEG, at most
//                      preview_fps; /preview/NODE/latest.jpg the latest one
//   GET /              the page: graph, live figures, previews, streams (web_page.h)
//   POST /v1/pipelines/NAME/infer
//                      an image for the pipeline's http_request node, answered with its
//                      results (infer_api.h)
//   /v2/...            KServe v2 (Triton's HTTP/REST protocol) for the tensor_request
//                      nodes: health, model metadata, inference (kserve_api.h)
//
// Errors are JSON {"error": "..."} with a 4xx status, and the run goes on. It binds to a
// loopback address unless given a token; with a token every request but /healthz and the
// page itself (which holds nothing; it reads the token from its URL's #token=...) needs
// `Authorization: Bearer TOKEN` (401 otherwise). No endpoint touches a file, except the
// URIs given to a source, which `allowed_uri_prefixes` can restrict.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipeline.h"
#include "runner.h"
#include "sluice/status.h"

namespace httplib {
class Server;
}

namespace sluice::service {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;                                   // 0: any free port (port() says which)
  std::string token;                              // required unless host is a loopback address
  double preview_fps = 5;                         // most pictures a second a preview sends
  std::vector<std::string> allowed_uri_prefixes;  // empty: any URI may be added
};

// "HOST:PORT" or "PORT" (loopback) as options; an error naming what is wrong.
Result<HttpOptions> parse_http_address(const std::string& text);
bool is_loopback(const std::string& host);

class HttpService {
 public:
  HttpService(const runtime::Pipeline& pipeline, runtime::Runner& runner);
  ~HttpService();
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  // Binds and starts serving. Fails, saying why, for a non-loopback host without a token
  // or an address that cannot be bound.
  Status start(const HttpOptions& options);
  void stop();
  int port() const { return port_; }

 private:
  void add_routes();
  // Why the run is not ready (/readyz, /v2/health/ready), or "" when it is.
  std::string not_ready() const;
  void add_stream_routes();
  void add_preview_routes();
  // Viewers of a node's preview: its tap is on while it has any (or a recent latest.jpg).
  bool watch(const std::string& node, int delta);
  // Waits up to a second for a picture of `node` newer than number `after`; false when
  // none came, the service is stopping, or `keep_waiting` says to give up.
  bool wait_for_preview(const std::string& node, uint64_t after,
                        const std::function<bool()>& keep_waiting, std::vector<Packet>& packets,
                        uint64_t& number);

  const runtime::Pipeline& pipeline_;
  runtime::Runner& runner_;
  HttpOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex viewers_mu_;
  std::map<std::string, int> viewers_;                                  // MJPEG clients per node
  std::map<std::string, std::chrono::steady_clock::time_point> lease_;  // latest.jpg
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string token_;
  int port_ = 0;
  std::size_t max_body_bytes_ = 1 << 20;
  int listen_socket_ = -1;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace sluice::service
