#include "http_service.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "growing_thread_pool.h"
#include "infer_api.h"
#include "kserve_api.h"
#include "metrics_text.h"
#include "preview.h"
#include "process_figures.h"
#include "request_serving.h"
#include "run_report.h"
#include "sluice/text.h"
#include "stream_api.h"
#include "web_page.h"

namespace sluice::service {
namespace {

using nlohmann::json;

void answer_error(httplib::Response& res, int status, const std::string& message) {
  send_answer(res, error_answer(status, message));
}

void answer(httplib::Response& res, const ApiAnswer& a) {
  res.status = a.status;
  res.set_content(a.body.dump(2) + "\n", "application/json");
}

// Nodes worth a preview on the page: sources of frames, and sinks (what they draw or
// write). Every node has /preview/NODE.
bool shows_preview(const runtime::PipelineNode& n) {
  if (n.is_source()) {
    for (const auto& type : n.output_types)
      if (type == PayloadName<Frame>::value) return true;
    return false;
  }
  return n.contract().outputs.empty();
}

// At most this many MJPEG clients at once: each holds one of the server's threads.
constexpr int kMaxPreviewClients = 4;
// The control API's bodies (a stream's URI) are small.
constexpr std::size_t kMaxApiBody = 1 << 20;
// Clients served at once (each waiting inference request holds a thread); more wait for
// a thread, in order.
constexpr std::size_t kMaxServerThreads = 512;
// Connections the kernel may hold before the server accepts them (SOMAXCONN caps it).
constexpr int kListenBacklog = 1024;
// latest.jpg keeps a node's tap on this long after each request.
constexpr auto kLatestLease = std::chrono::seconds(10);

json graph_json(const runtime::Pipeline& p, const std::vector<NodeStream>& streams) {
  json nodes = json::array();
  for (const runtime::PipelineNode& n : p.nodes) {
    json params = json::object();
    for (const auto& [name, value] : n.params.values()) params[name] = to_toml_text(value);
    json node{{"name", n.name},
              {"plugin", n.contract().type},
              {"kind", to_string(n.contract().kind)},
              {"replicas", n.replicas},
              {"params", params},
              {"preview", shows_preview(n)}};
    for (const NodeStream& s : streams)
      if (s.node == n.name) node["streams"].push_back(stream_json(s));
    nodes.push_back(std::move(node));
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

HttpService::HttpService(const runtime::Pipeline& pipeline, runtime::Runner& runner)
    : pipeline_(pipeline), runner_(runner), server_(std::make_unique<httplib::Server>()) {}

HttpService::~HttpService() { stop(); }

Status HttpService::start(const HttpOptions& o) {
  if (!is_loopback(o.host) && o.token.empty())
    return invalid_argument("http address '" + printable(o.host) +
                            "' is not a loopback address: serving it needs a token "
                            "(--http-token or SLUICE_HTTP_TOKEN), which every request must "
                            "then carry");
  token_ = o.token;
  options_ = o;
  if (!(o.preview_fps > 0 && o.preview_fps <= 60))
    return invalid_argument("preview fps " + std::to_string(o.preview_fps) +
                            " is out of range: give a rate above 0 and at most 60");
  // cpp-httplib's default options add SO_REUSEPORT, with which a second sluice would bind
  // the same port and share its requests: SO_REUSEADDR alone (restart while TIME_WAIT).
  server_->set_socket_options([this](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket_ = sock;
  });
  // Bodies: 1 MiB for the control API, a request-taking node's max_body_mb for images.
  max_body_bytes_ = std::max<std::size_t>(kMaxApiBody, largest_request_body(pipeline_));
  server_->set_payload_max_length(max_body_bytes_);
  server_->new_task_queue = [] { return new GrowingThreadPool(8, kMaxServerThreads); };
  server_->set_keep_alive_max_count(100);
  // cpp-httplib writes a response's head and body apart. With Nagle's algorithm the body
  // waits for the client to acknowledge the head, which it delays by up to 40 ms: every
  // answer on a kept-alive connection was 40 ms late (183 /healthz a second at 8 clients).
  server_->set_tcp_nodelay(true);
  add_routes();
  const int port = o.port == 0 ? server_->bind_to_any_port(o.host) : o.port;
  if (o.port != 0 && !server_->bind_to_port(o.host, o.port))
    return unavailable("cannot serve http on " + printable(o.host) + ":" + std::to_string(o.port) +
                       " (in use, or not an address of this machine)");
  if (port < 0)
    return unavailable("cannot serve http on " + printable(o.host) +
                       " (not an address of this "
                       "machine)");
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of clients (a load generator's
  // 64 connections, a page's previews) overflows it and the kernel drops their SYNs, which
  // they resend a second later. Listening again on a listening socket sets a new backlog.
  if (listen_socket_ >= 0) ::listen(listen_socket_, kListenBacklog);
  port_ = port;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return ok();
}

void HttpService::stop() {
  stopping_.store(true);  // ends the previews' loops, so that their threads are free
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

std::string HttpService::not_ready() const {
  const runtime::RunReport live = runner_.snapshot();
  if (!live.status.ok()) return "the run failed: " + live.status.message();
  if (live.nodes.empty()) return "the nodes are still opening";
  for (const NodeStream& st : all_streams(pipeline_, runner_))
    if (st.status.state == "failed")
      return "stream " + std::to_string(st.id) + " of node '" + st.node +
             "' failed for good: " + st.status.error;
  return {};
}

void HttpService::add_routes() {
  httplib::Server& s = *server_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (token_.empty() || req.path == "/healthz" || req.path == "/v2/health/live" ||
        req.path == "/")
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
    const std::string why = not_ready();
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
    res.set_content(prometheus_text(runner_.snapshot(), read_process_figures(), uptime,
                                    all_streams(pipeline_, runner_)),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/api/pipeline", [this](const httplib::Request&, httplib::Response& res) {
    json out = graph_json(pipeline_, all_streams(pipeline_, runner_));
    out["stats"] = runtime::report_json(runner_.snapshot());
    res.set_content(out.dump(2) + "\n", "application/json");
  });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::string(web_page()), "text/html; charset=utf-8");
  });
  add_stream_routes();
  add_preview_routes();
  add_infer_routes(s, pipeline_, runner_, stopping_, port_);
  add_kserve_routes(s, pipeline_, runner_, stopping_, port_, [this] { return not_ready(); });
  // Known paths with another method: 405, saying which are allowed.
  for (const char* path : {"/healthz", "/readyz", "/metrics", "/api/pipeline", "/",
                           R"(/preview/([^/]+))", R"(/preview/([^/]+)/latest\.jpg)"}) {
    s.Post(path, not_allowed("GET"));
    s.Put(path, not_allowed("GET"));
    s.Delete(path, not_allowed("GET"));
  }
  s.Get(R"(/v1/pipelines/([^/]+)/infer)", not_allowed("POST"));
  s.Put(R"(/v1/pipelines/([^/]+)/infer)", not_allowed("POST"));
  s.Delete(R"(/v1/pipelines/([^/]+)/infer)", not_allowed("POST"));
  s.Put(R"(/api/nodes/([^/]+)/streams)", not_allowed("GET, POST"));
  s.Delete(R"(/api/nodes/([^/]+)/streams)", not_allowed("GET, POST"));
  s.Get(R"(/api/nodes/([^/]+)/streams/([^/]+))", not_allowed("DELETE"));
  s.Post(R"(/api/nodes/([^/]+)/streams/([^/]+))", not_allowed("DELETE"));
  s.Put(R"(/api/nodes/([^/]+)/streams/([^/]+))", not_allowed("DELETE"));
  // Anything else: a JSON 404 (or 405 for a known path with another method).
  s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler's own JSON error
    if (res.status == 404)
      answer_error(res, 404,
                   "no endpoint " + req.method + " " + req.path +
                       " (endpoints: /, /healthz, /readyz, /metrics, /api/pipeline, "
                       "/api/nodes/NODE/streams, /preview/NODE, /v1/pipelines/NAME/infer, "
                       "/v2/health/live|ready, /v2/models/NAME[/ready|/infer])");
    else if (res.status == 413)
      answer_error(res, 413,
                   "the request body is over " + std::to_string(max_body_bytes_ >> 20) + " MiB");
    else if (res.status >= 400 && res.body.empty())
      answer_error(res, res.status, "bad request");
  });
}

void HttpService::add_stream_routes() {
  httplib::Server& s = *server_;
  s.Get(R"(/api/nodes/([^/]+)/streams)",
        [this](const httplib::Request& req, httplib::Response& res) {
          answer(res, list_streams(pipeline_, runner_, req.matches[1]));
        });
  s.Post(R"(/api/nodes/([^/]+)/streams)",
         [this](const httplib::Request& req, httplib::Response& res) {
           if (req.body.size() > kMaxApiBody)
             return answer_error(res, 413, "the request body is over 1 MiB");
           answer(res, add_stream(pipeline_, runner_, req.matches[1], req.body,
                                  options_.allowed_uri_prefixes));
         });
  s.Delete(R"(/api/nodes/([^/]+)/streams/([^/]+))",
           [this](const httplib::Request& req, httplib::Response& res) {
             answer(res, remove_stream(pipeline_, runner_, req.matches[1], req.matches[2]));
           });
}

bool HttpService::watch(const std::string& node, int delta) {
  std::lock_guard lock(viewers_mu_);
  int& viewers = viewers_[node];
  if (delta > 0 && viewers >= kMaxPreviewClients) return false;
  viewers += delta;
  const bool leased = lease_.count(node) && std::chrono::steady_clock::now() < lease_[node];
  const auto interval = static_cast<int64_t>(1e9 / options_.preview_fps);
  runner_.set_preview_interval(node, viewers > 0 || leased ? interval : 0);
  return true;
}

bool HttpService::wait_for_preview(const std::string& node, uint64_t after,
                                   const std::function<bool()>& keep_waiting,
                                   std::vector<Packet>& packets, uint64_t& number) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!runner_.latest_preview(node, after, packets, number)) {
    if (stopping_.load() || !keep_waiting() || std::chrono::steady_clock::now() > give_up)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void HttpService::add_preview_routes() {
  httplib::Server& s = *server_;
  auto known = [this](const std::string& node) {
    for (const auto& n : pipeline_.nodes)
      if (n.name == node) return true;
    return false;
  };
  s.Get(R"(/preview/([^/]+)/latest\.jpg)",
        [this, known](const httplib::Request& req, httplib::Response& res) {
          const std::string node = req.matches[1];
          if (!known(node))
            return answer_error(res, 404, "no node '" + node + "' in this pipeline");
          const Result<int> width = parse_preview_width(req.get_param_value("width"));
          if (!width.ok()) return answer_error(res, 400, width.status().message());
          {
            std::lock_guard lock(viewers_mu_);
            lease_[node] = std::chrono::steady_clock::now() + kLatestLease;
          }
          (void)watch(node, 0);
          std::vector<Packet> packets;
          uint64_t number = 0;
          // The tap may have just been turned on: give the node a moment to offer a picture.
          if (!wait_for_preview(
                  node, 0, [] { return true; }, packets, number))
            return answer_error(res, 404, "no picture from node '" + node + "' yet");
          auto jpeg = preview_jpeg(packets, {.max_width = *width});
          if (!jpeg.ok())
            return answer_error(res, 404, "node '" + node + "': " + jpeg.status().message());
          res.set_header("Cache-Control", "no-cache");
          res.set_content(std::string(jpeg->begin(), jpeg->end()), "image/jpeg");
        });
  s.Get(R"(/preview/([^/]+))", [this, known](const httplib::Request& req, httplib::Response& res) {
    const std::string node = req.matches[1];
    if (!known(node)) return answer_error(res, 404, "no node '" + node + "' in this pipeline");
    const Result<int> width = parse_preview_width(req.get_param_value("width"));
    if (!width.ok()) return answer_error(res, 400, width.status().message());
    if (!watch(node, +1))
      return answer_error(res, 503,
                          "node '" + node + "' has " + std::to_string(kMaxPreviewClients) +
                              " preview clients already; try again later");
    res.set_header("Cache-Control", "no-cache");
    auto last = std::make_shared<uint64_t>(0);
    res.set_chunked_content_provider(
        "multipart/x-mixed-replace; boundary=sluiceframe",
        [this, node, last, width = *width](size_t, httplib::DataSink& sink) {
          // One picture per call, when a newer one is there; a slow client only slows its
          // own thread: the node keeps offering, and what is not sent is replaced.
          std::vector<Packet> packets;
          uint64_t number = 0;
          if (!wait_for_preview(
                  node, *last, [&] { return sink.is_writable(); }, packets, number))
            return !stopping_.load() && sink.is_writable();  // none yet: called again
          *last = number;
          auto jpeg = preview_jpeg(packets, {.max_width = width});
          if (!jpeg.ok()) return !stopping_.load();
          const std::string head = "--sluiceframe\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                                   std::to_string(jpeg->size()) + "\r\n\r\n";
          if (!sink.write(head.data(), head.size())) return false;
          if (!sink.write(reinterpret_cast<const char*>(jpeg->data()), jpeg->size())) return false;
          return sink.write("\r\n", 2) && !stopping_.load();
        },
        [this, node](bool) { (void)watch(node, -1); });
  });
}

}  // namespace sluice::service
