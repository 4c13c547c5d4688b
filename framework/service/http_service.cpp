#include "http_service.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "metrics_text.h"
#include "process_figures.h"
#include "run_report.h"
#include "sluice/text.h"

namespace sluice::service {
namespace {

using nlohmann::json;

void answer_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", printable(message)}}.dump() + "\n", "application/json");
}

json graph_json(const runtime::Pipeline& p) {
  json nodes = json::array();
  for (const runtime::PipelineNode& n : p.nodes) {
    json params = json::object();
    for (const auto& [name, value] : n.params.values()) params[name] = to_toml_text(value);
    nodes.push_back({{"name", n.name},
                     {"plugin", n.contract().type},
                     {"kind", to_string(n.contract().kind)},
                     {"replicas", n.replicas},
                     {"params", params}});
  }
  json links = json::array();
  for (const runtime::Edge& e : p.edges)
    links.push_back({{"from", p.nodes[e.from_node].name},
                     {"from_port", p.nodes[e.from_node].contract().outputs[e.from_port].name},
                     {"to", p.nodes[e.to_node].name},
                     {"to_port", p.nodes[e.to_node].contract().inputs[e.to_port].name}});
  return {{"pipeline", p.name}, {"nodes", nodes}, {"links", links}};
}

}  // namespace

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

Result<HttpOptions> parse_http_address(const std::string& text) {
  HttpOptions o;
  std::string port = text;
  const auto colon = text.rfind(':');
  if (colon != std::string::npos) {
    o.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']')
      o.host = o.host.substr(1, o.host.size() - 2);
    if (o.host.empty()) o.host = "127.0.0.1";
  }
  const bool digits = !port.empty() && port.size() <= 5 &&
                      port.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoi(port) > 65535)
    return invalid_argument("http address '" + printable(text) +
                            "': write HOST:PORT (127.0.0.1:8080) or PORT, with PORT from 0 to "
                            "65535");
  o.port = std::stoi(port);
  return o;
}

HttpService::HttpService(const runtime::Pipeline& pipeline, const runtime::Runner& runner)
    : pipeline_(pipeline), runner_(runner), server_(std::make_unique<httplib::Server>()) {}

HttpService::~HttpService() { stop(); }

Status HttpService::start(const HttpOptions& o) {
  if (!is_loopback(o.host) && o.token.empty())
    return invalid_argument("http address '" + printable(o.host) +
                            "' is not a loopback address: serving it needs a token "
                            "(--http-token or SLUICE_HTTP_TOKEN), which every request must "
                            "then carry");
  token_ = o.token;
  // cpp-httplib's default options add SO_REUSEPORT, with which a second sluice would bind
  // the same port and share its requests: SO_REUSEADDR alone (restart while TIME_WAIT).
  server_->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->set_payload_max_length(1 << 20);
  server_->set_keep_alive_max_count(100);
  add_routes();
  const int port = o.port == 0 ? server_->bind_to_any_port(o.host) : o.port;
  if (o.port != 0 && !server_->bind_to_port(o.host, o.port))
    return unavailable("cannot serve http on " + printable(o.host) + ":" + std::to_string(o.port) +
                       " (in use, or not an address of this machine)");
  if (port < 0)
    return unavailable("cannot serve http on " + printable(o.host) +
                       " (not an address of this "
                       "machine)");
  port_ = port;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return ok();
}

void HttpService::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

void HttpService::add_routes() {
  httplib::Server& s = *server_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (token_.empty() || req.path == "/healthz")
      return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + token_)
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    answer_error(res, 401, "this server needs a token: send Authorization: Bearer TOKEN");
    return httplib::Server::HandlerResponse::Handled;
  });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\": \"alive\"}\n", "application/json");
  });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const runtime::RunReport live = runner_.snapshot();
    std::string why;
    if (!live.status.ok())
      why = "the run failed: " + live.status.message();
    else if (live.nodes.empty())
      why = "the nodes are still opening";
    if (why.empty()) {
      res.set_content("{\"status\": \"ready\"}\n", "application/json");
      return;
    }
    res.status = 503;
    res.set_content(json{{"status", "not ready"}, {"reason", printable(why)}}.dump() + "\n",
                    "application/json");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    res.set_content(prometheus_text(runner_.snapshot(), read_process_figures(), uptime),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/api/pipeline", [this](const httplib::Request&, httplib::Response& res) {
    json out = graph_json(pipeline_);
    out["stats"] = runtime::report_json(runner_.snapshot());
    res.set_content(out.dump(2) + "\n", "application/json");
  });
  // Anything else: a JSON 404 (or 405 for a known path with another method).
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404)
      answer_error(res, 404,
                   "no endpoint " + req.method + " " + req.path +
                       " (endpoints: /healthz, /readyz, /metrics, /api/pipeline)");
    else if (res.status == 413)
      answer_error(res, 413, "the request body is over 1 MiB");
    else if (res.status >= 400 && res.body.empty())
      answer_error(res, res.status, "bad request");
  });
}

}  // namespace sluice::service
