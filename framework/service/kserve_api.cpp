#include "kserve_api.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "request_serving.h"
#include "sluice/text.h"
#include "sluice_build_versions.h"

namespace sluice::service {
namespace {

using nlohmann::json;
using Protocol = RequestIntake::Protocol;

constexpr const char* kModelPath = R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)";

void answer_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

// The intake of the model the path names (match 1, version in match 2), or nullptr with
// the error answered.
RequestIntake* model_of(const httplib::Request& req, httplib::Response& res,
                        const runtime::Pipeline& pipeline, const runtime::Runner& runner) {
  ServedAnswer why;
  const std::string name = req.matches[1];
  RequestIntake* intake = intake_named(pipeline, runner, name, Protocol::kTensors, "model", why);
  if (intake && req.matches[2].matched && req.matches[2] != "1") {
    why = error_answer(404, "model '" + printable(name) + "' has no version '" +
                                printable(std::string(req.matches[2])) + "': it has version 1");
    intake = nullptr;
  }
  if (!intake) send_answer(res, why);
  return intake;
}

}  // namespace

void add_kserve_routes(httplib::Server& server, const runtime::Pipeline& pipeline,
                       runtime::Runner& runner, const std::atomic<bool>& stopping, const int& port,
                       std::function<std::string()> not_ready) {
  server.Get("/v2", [](const httplib::Request&, httplib::Response& res) {
    answer_json(res, 200,
                {{"name", "sluice"}, {"version", SLUICE_VERSION}, {"extensions", json::array()}});
  });
  server.Get("/v2/health/live", [](const httplib::Request&, httplib::Response& res) {
    answer_json(res, 200, json::object());
  });
  // The protocol's health answers are 200 for true and a 4xx for false.
  auto ready = [not_ready](httplib::Response& res) {
    const std::string why = not_ready();
    if (why.empty())
      answer_json(res, 200, json::object());
    else
      answer_json(res, 400, {{"error", printable("not ready: " + why)}});
  };
  server.Get("/v2/health/ready",
             [ready](const httplib::Request&, httplib::Response& res) { ready(res); });
  server.Get(std::string(kModelPath) + "/ready",
             [&, ready](const httplib::Request& req, httplib::Response& res) {
               if (model_of(req, res, pipeline, runner)) ready(res);
             });
  server.Get(kModelPath, [&](const httplib::Request& req, httplib::Response& res) {
    RequestIntake* intake = model_of(req, res, pipeline, runner);
    if (!intake) return;
    json meta = json::parse(intake->model_metadata(), nullptr, false);
    if (!meta.is_object()) meta = json::object();
    json out{{"name", std::string(req.matches[1])}, {"versions", {"1"}}, {"platform", "sluice"}};
    out["inputs"] = meta.value("inputs", json::array());
    out["outputs"] = meta.value("outputs", json::array());
    answer_json(res, 200, out);
  });
  server.Post(std::string(kModelPath) + "/infer", [&](const httplib::Request& req,
                                                      httplib::Response& res) {
    if (stopping.load()) return send_answer(res, error_answer(503, "the run is stopping"));
    RequestIntake* intake = model_of(req, res, pipeline, runner);
    if (!intake) return;
    if (req.has_header("Inference-Header-Content-Length"))
      return send_answer(res, error_answer(400,
                                           "the binary tensor data extension is not served: send "
                                           "the tensors' \"data\" as JSON"));
    send_answer(res, serve_request(*intake, req, req.body, "application/json", req.matches[1],
                                   stopping, port));
  });
  const std::string model(kModelPath);
  for (const std::string& path : {std::string("/v2"), std::string("/v2/health/live"),
                                  std::string("/v2/health/ready"), model, model + "/ready"}) {
    server.Post(path, not_allowed("GET"));
    server.Put(path, not_allowed("GET"));
    server.Delete(path, not_allowed("GET"));
  }
  server.Get(model + "/infer", not_allowed("POST"));
  server.Put(model + "/infer", not_allowed("POST"));
  server.Delete(model + "/infer", not_allowed("POST"));
}

}  // namespace sluice::service
