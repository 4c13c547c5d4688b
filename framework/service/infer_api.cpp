#include "infer_api.h"

#include <httplib.h>

#include "request_serving.h"

namespace sluice::service {
namespace {

ServedAnswer infer(const httplib::Request& req, const runtime::Pipeline& pipeline,
                   runtime::Runner& runner, const std::atomic<bool>& stopping, int port) {
  if (stopping.load()) return error_answer(503, "the run is stopping");
  ServedAnswer why;
  const std::string name = req.matches[1];
  RequestIntake* intake =
      intake_named(pipeline, runner, name, RequestIntake::Protocol::kImage, "pipeline", why);
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
  return serve_request(*intake, req, std::move(body), std::move(type), name, stopping, port);
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
