#include "stream_api.h"

#include <filesystem>

#include "sluice/text.h"

namespace sluice::service {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A file path as the allowed prefixes are checked against it: absolute, with "..", "."
// and symbolic links resolved, so that "/data/../etc/passwd" is not under "/data/".
// URLs (scheme://...) stay as they are.
std::string checked_form(const std::string& uri) {
  if (uri.find("://") != std::string::npos) return uri;
  std::error_code ec;
  const fs::path absolute = fs::absolute(uri, ec);
  if (ec) return uri;
  const fs::path resolved = fs::weakly_canonical(absolute, ec);
  return (ec ? absolute.lexically_normal() : resolved).string();
}

ApiAnswer error(int status, const std::string& message) {
  return {status, json{{"error", printable(message)}}};
}

// The node's StreamControl, or the answer saying why there is none.
StreamControl* control_of(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                          const std::string& node, ApiAnswer& why) {
  const runtime::PipelineNode* found = nullptr;
  for (const auto& n : pipeline.nodes)
    if (n.name == node) found = &n;
  if (!found) {
    why = error(404, "no node '" + node + "' in this pipeline");
    return nullptr;
  }
  StreamControl* control = runner.stream_control(node);
  if (!control && runner.snapshot().nodes.empty())
    why = error(503, "the nodes are still opening: try again once /readyz says ready");
  else if (!control)
    why = error(400, "node '" + node + "' (" + found->contract().type +
                         ") does not take streams: only sources such as uri_source do");
  return control;
}

}  // namespace

std::vector<NodeStream> all_streams(const runtime::Pipeline& pipeline,
                                    const runtime::Runner& runner) {
  std::vector<NodeStream> out;
  for (const auto& n : pipeline.nodes) {
    StreamControl* control = runner.stream_control(n.name);
    if (!control) continue;
    for (StreamStatus& s : control->stream_statuses())
      out.push_back({n.name, runner.stream_id_of(n.name, s.local_stream), std::move(s)});
  }
  return out;
}

json stream_json(const NodeStream& s) {
  return {{"id", s.id},
          {"local_stream", s.status.local_stream},
          {"uri", printable(s.status.uri)},
          {"state", s.status.state},
          {"frames", s.status.frames},
          {"reconnects", s.status.reconnects},
          {"error", printable(s.status.error)}};
}

ApiAnswer list_streams(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                       const std::string& node) {
  ApiAnswer why;
  StreamControl* control = control_of(pipeline, runner, node, why);
  if (!control) return why;
  json streams = json::array();
  for (StreamStatus& s : control->stream_statuses())
    streams.push_back(stream_json({node, runner.stream_id_of(node, s.local_stream), std::move(s)}));
  return {200, json{{"node", node}, {"streams", streams}}};
}

ApiAnswer add_stream(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                     const std::string& node, const std::string& body,
                     const std::vector<std::string>& allowed_prefixes) {
  ApiAnswer why;
  StreamControl* control = control_of(pipeline, runner, node, why);
  if (!control) return why;
  const json request = json::parse(body, nullptr, false);
  if (request.is_discarded())
    return error(400, "the body is not JSON: send {\"uri\": \"rtsp://...\"}");
  if (!request.is_object() || !request.contains("uri") || !request["uri"].is_string())
    return error(400, "the body needs \"uri\", a string: {\"uri\": \"rtsp://...\"}");
  std::string uri = request["uri"].get<std::string>();
  if (!allowed_prefixes.empty()) {
    const std::string checked = checked_form(uri);
    bool allowed = false;
    for (const auto& prefix : allowed_prefixes) allowed |= checked.rfind(prefix, 0) == 0;
    if (!allowed)
      return error(403, "uri '" + uri + "' is not allowed here: it must start with one of the " +
                            "prefixes given to --http-allow-uri");
    uri = checked;  // the file checked is the file opened
  }
  Result<uint32_t> local = control->add_stream(uri);
  if (!local.ok())
    return error(422, "cannot add stream '" + uri + "': " + local.status().message());
  const uint32_t id = runner.stream_id_of(node, *local);
  return {201, json{{"id", id}, {"local_stream", *local}, {"uri", printable(uri)}}};
}

ApiAnswer remove_stream(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                        const std::string& node, const std::string& id_text) {
  ApiAnswer why;
  StreamControl* control = control_of(pipeline, runner, node, why);
  if (!control) return why;
  const bool digits = !id_text.empty() && id_text.size() <= 10 &&
                      id_text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoull(id_text) > UINT32_MAX)
    return error(400, "stream id '" + id_text + "' is not a number");
  const auto id = static_cast<uint32_t>(std::stoull(id_text));
  const uint32_t local = runner.local_stream_of(node, id);
  // An id of another source's range maps to a local id that maps back elsewhere.
  Status s = runner.stream_id_of(node, local) == id
                 ? control->remove_stream(local)
                 : not_found("no stream " + std::to_string(id) + " on node '" + node + "'");
  if (s.code() == StatusCode::kNotFound)
    return error(404, "no stream " + std::to_string(id) + " is running on node '" + node + "'");
  if (!s.ok()) return error(409, "cannot remove stream " + std::to_string(id) + ": " + s.message());
  return {200, json{{"id", id}, {"state", "ending"}}};
}

}  // namespace sluice::service
