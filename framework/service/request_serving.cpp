#include "request_serving.h"

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "client_watch.h"
#include "sluice/text.h"

namespace sluice::service {
namespace {

using Clock = ServedRequest::Clock;

constexpr auto kPoll = std::chrono::milliseconds(100);

// The client's deadline header, in ms; 0 when absent, -1 when not a positive number.
int64_t client_timeout_ms(const httplib::Request& req) {
  if (!req.has_header("X-Request-Timeout-Ms")) return 0;
  const std::string text = req.get_header_value("X-Request-Timeout-Ms");
  int64_t ms = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (error != std::errc() || end != text.data() + text.size() || ms <= 0) return -1;
  return ms;
}

}  // namespace

ServedAnswer error_answer(int status, const std::string& message) {
  return {status, nlohmann::json{{"error", printable(message)}}.dump() + "\n"};
}

void send_answer(httplib::Response& res, const ServedAnswer& a) {
  res.status = a.status;
  if (a.retry_after_s > 0) res.set_header("Retry-After", std::to_string(a.retry_after_s));
  res.set_content(a.body, a.content_type.c_str());
}

httplib::Server::Handler not_allowed(const char* allow) {
  return [allow](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", allow);
    send_answer(res, error_answer(405, req.method + " is not allowed on " + req.path +
                                           " (allowed: " + allow + ")"));
  };
}

RequestIntake* intake_named(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                            const std::string& name, RequestIntake::Protocol protocol,
                            const char* what, ServedAnswer& why) {
  std::vector<std::pair<std::string, RequestIntake*>> intakes;
  for (const auto& n : pipeline.nodes)
    if (RequestIntake* i = runner.request_intake(n.name); i && i->protocol() == protocol)
      intakes.emplace_back(n.name, i);
  for (const auto& [node, intake] : intakes)
    if (node == name) return intake;
  if (intakes.size() == 1 && name == pipeline.name) return intakes[0].second;
  if (intakes.empty() && runner.snapshot().nodes.empty()) {
    why = error_answer(503, "the nodes are still opening: try again once /readyz says ready");
    return nullptr;
  }
  const char* node =
      protocol == RequestIntake::Protocol::kImage ? "http_request" : "tensor_request";
  if (intakes.empty()) {
    why = error_answer(404, "no " + std::string(what) + " '" + printable(name) +
                                "' here: this pipeline has no " + node + " node");
    return nullptr;
  }
  std::string names;
  if (intakes.size() == 1 && !pipeline.name.empty()) names = "'" + pipeline.name + "' or ";
  for (std::size_t i = 0; i < intakes.size(); ++i)
    names += (i ? ", '" : "'") + intakes[i].first + "'";
  why = error_answer(
      404, "no " + std::string(what) + " '" + printable(name) + "' here: it serves " + names);
  return nullptr;
}

ServedAnswer serve_request(RequestIntake& intake, const httplib::Request& req, std::string body,
                           std::string content_type, const std::string& target,
                           const std::atomic<bool>& stopping, int port) {
  if (body.size() > intake.max_body_bytes())
    return error_answer(
        413, "the body (" + std::to_string(body.size()) + " bytes) is over this node's limit of " +
                 std::to_string(intake.max_body_bytes() >> 20) + " MiB (max_body_mb)");
  int64_t timeout = intake.timeout_ms();
  const int64_t asked = client_timeout_ms(req);
  if (asked < 0)
    return error_answer(400, "X-Request-Timeout-Ms '" +
                                 req.get_header_value("X-Request-Timeout-Ms") +
                                 "' is not a whole number of milliseconds above 0");
  if (asked > 0) timeout = std::min(timeout, asked);
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout);

  auto request =
      std::make_shared<ServedRequest>(std::move(body), std::move(content_type), deadline, target);
  intake.submit(request);
  ClientWatch client(req.remote_addr, req.remote_port, port);
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (auto answer = request->wait_until(std::min(deadline, now + kPoll))) return *answer;
    if (Clock::now() >= deadline)
      request->answer(error_answer(504, "no answer within " + std::to_string(timeout) +
                                            " ms (the deadline): the pipeline is too slow for "
                                            "it, or overloaded"));
    else if (stopping.load())
      request->answer(error_answer(503, "the run is stopping"));
    else if (client.gone())
      request->answer(error_answer(499, "the client closed the connection"));
  }
}

}  // namespace sluice::service
