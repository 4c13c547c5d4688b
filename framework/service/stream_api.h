// The streams of sources that take them (Node::stream_control), as the service shows and
// changes them: GET, POST and DELETE /api/nodes/NODE/streams, their entries in
// /api/pipeline, /metrics and /readyz. Answers carry the run's stream ids.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runner.h"

namespace sluice::service {

// One stream of one source, with the run's id.
struct NodeStream {
  std::string node;
  uint32_t id = 0;
  StreamStatus status;
};

// Every stream of every source that takes streams.
std::vector<NodeStream> all_streams(const runtime::Pipeline& pipeline,
                                    const runtime::Runner& runner);
nlohmann::json stream_json(const NodeStream& s);

// An HTTP answer: status and JSON body.
struct ApiAnswer {
  int status = 200;
  nlohmann::json body;
};

// What the endpoints do. `allowed_prefixes`: when not empty, a URI added must start with
// one of them (403 otherwise).
ApiAnswer list_streams(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                       const std::string& node);
ApiAnswer add_stream(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                     const std::string& node, const std::string& body,
                     const std::vector<std::string>& allowed_prefixes);
ApiAnswer remove_stream(const runtime::Pipeline& pipeline, const runtime::Runner& runner,
                        const std::string& node, const std::string& id);

}  // namespace sluice::service
