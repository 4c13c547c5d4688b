#include "infer_api.h"

#include <httplib.h>

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

#include "client_watch.h"
#include "sluice/served_request.h"
#include "sluice/text.h"

namespace sluice::service {
namespace {

using nlohmann::json;
using Clock = ServedRequest::Clock;

constexpr auto kPoll = std::chrono::milliseconds(100);

void send_answer(httplib::Response& res, const ServedAnswer& a) {
  res.status = a.status;
  if (a.retry_after_s > 0) res.set_header("Retry-After", std::to_string(a.retry_after_s));
  res.set_content(a.body, a.content_type.c_str());
}

ServedAnswer error_answer(int status, const std::string& message) {
  return {status, json{{"error", printable(message)}}.dump() + "\n"};
}

// The intake NAME names, or the answer saying why there is none.
RequestIntake* intake_named(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                            const std::string& name, ServedAnswer& why) {
  std::vector<std::pair<std::string, RequestIntake*>> intakes;
  for (const auto& n : pipeline.nodes)
    if (RequestIntake* i = runner.request_intake(n.name)) intakes.emplace_back(n.name, i);
  for (const auto& [node, intake] : intakes)
    if (node == name) return intake;
  if (intakes.size() == 1 && name == pipeline.name) return intakes[0].second;
  if (intakes.empty() && runner.snapshot().nodes.empty()) {
    why = error_answer(503, "the nodes are still opening: try again once /readyz says ready");
    return nullptr;
  }
  if (intakes.empty()) {
    why = error_answer(404, "no pipeline '" + name +
                                "' here: this pipeline takes no requests (it has no "
                                "http_request node)");
    return nullptr;
  }
  std::string names;
  if (intakes.size() == 1 && !pipeline.name.empty()) names = "'" + pipeline.name + "' or ";
  for (std::size_t i = 0; i < intakes.size(); ++i)
    names += (i ? ", '" : "'") + intakes[i].first + "'";
  why = error_answer(404, "no pipeline '" + name + "' here: it serves " + names);
  return nullptr;
}

// The client's deadline header, in ms; 0 when absent, -1 when not a positive number.
int64_t client_timeout_ms(const httplib::Request& req) {
  if (!req.has_header("X-Request-Timeout-Ms")) return 0;
  const std::string text = req.get_header_value("X-Request-Timeout-Ms");
  int64_t ms = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (error != std::errc() || end != text.data() + text.size() || ms <= 0) return -1;
  return ms;
}

ServedAnswer infer(const httplib::Request& req, const runtime::Pipeline& pipeline,
                   runtime::Runner& runner, const std::atomic<bool>& stopping, int port) {
  if (stopping.load()) return error_answer(503, "the run is stopping");
  ServedAnswer why;
  RequestIntake* intake = intake_named(pipeline, runner, req.matches[1], why);
  if (!intake) return why;

  std::string body, type;
  if (req.is_multipart_form_data()) {
    const httplib::MultipartFormData* part = nullptr;
    if (req.has_file("image")) part = &req.files.find("image")->second;
    for (auto it = req.files.begin(); !part && it != req.files.end(); ++it)
      if (!it->second.filename.empty()) part = &it->second;
    if (!part && !req.files.empty()) part = &req.files.begin()->second;
    if (!part)
      return error_answer(400,
                          "the multipart form has no parts: send the image as a part "
                          "named 'image'");
    body = part->content;
    type = part->content_type.empty() ? "application/octet-stream" : part->content_type;
  } else {
    body = req.body;
    type = req.get_header_value("Content-Type");
    if (type.empty())
      return error_answer(415, "the request has no Content-Type: send image/jpeg or image/png");
  }
  if (body.size() > intake->max_body_bytes())
    return error_answer(413, "the image (" + std::to_string(body.size()) +
                                 " bytes) is over this pipeline's limit of " +
                                 std::to_string(intake->max_body_bytes() >> 20) +
                                 " MiB (max_body_mb)");
  int64_t timeout = intake->timeout_ms();
  const int64_t asked = client_timeout_ms(req);
  if (asked < 0)
    return error_answer(400, "X-Request-Timeout-Ms '" +
                                 req.get_header_value("X-Request-Timeout-Ms") +
                                 "' is not a whole number of milliseconds above 0");
  if (asked > 0) timeout = std::min(timeout, asked);
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout);

  auto request = std::make_shared<ServedRequest>(std::move(body), std::move(type), deadline);
  intake->submit(request);
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

}  // namespace

std::size_t largest_request_body(const runtime::Pipeline& pipeline) {
  std::size_t largest = 0;
  for (const auto& n : pipeline.nodes) {
    if (!n.is_source() || !n.params.values().count("max_body_mb")) continue;
    if (const auto* mb = std::get_if<int64_t>(&n.params.raw("max_body_mb")))
      largest = std::max(largest, static_cast<std::size_t>(*mb) << 20);
  }
  return largest;
}

void add_infer_routes(httplib::Server& server, const runtime::Pipeline& pipeline,
                      runtime::Runner& runner, const std::atomic<bool>& stopping, const int& port) {
  server.Post(R"(/v1/pipelines/([^/]+)/infer)",
              [&](const httplib::Request& req, httplib::Response& res) {
                send_answer(res, infer(req, pipeline, runner, stopping, port));
              });
}

}  // namespace sluice::service
