// The service plane of a running pipeline, over HTTP (cpp-httplib), on a thread of its own:
//
//   GET /healthz       200 while the process serves (no token needed)
//   GET /readyz        200 once every node has opened and while the run has not failed;
//                      503 with the reason otherwise
//   GET /metrics       the live figures in Prometheus' text format (metrics_text.h)
//   GET /api/pipeline  the graph (nodes, plugins, params, links) and the live figures,
//                      as --stats-json writes them, as JSON
//
// Errors are JSON {"error": "..."} with a 4xx status, and the run goes on. It binds to a
// loopback address unless given a token; with a token every request but /healthz needs
// `Authorization: Bearer TOKEN` (401 otherwise). No endpoint touches a file.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "pipeline.h"
#include "runner.h"
#include "sluice/status.h"

namespace httplib {
class Server;
}

namespace sluice::service {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;       // 0: any free port (port() says which)
  std::string token;  // required unless host is a loopback address
};

// "HOST:PORT" or "PORT" (loopback) as options; an error naming what is wrong.
Result<HttpOptions> parse_http_address(const std::string& text);
bool is_loopback(const std::string& host);

class HttpService {
 public:
  HttpService(const runtime::Pipeline& pipeline, const runtime::Runner& runner);
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

  const runtime::Pipeline& pipeline_;
  const runtime::Runner& runner_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string token_;
  int port_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace sluice::service
