// PipelineSpec: a pipeline file as written, before it is checked against the plugins.
//
// File format (TOML):
//   [pipeline]
//   name = "demo"
//   links = ["src -> pre -> model", "model.out -> sink.detections"]
//   plugin_path = ["../my_plugins"]          # optional, relative to this file
//   http = "127.0.0.1:8080"                  # optional: metrics, health, API (sluice run)
//
//   [nodes.src]
//   plugin = "synthetic_source"              # the node type
//   frames = 100                             # params of the node type
//   queue = { capacity = 8, overflow = "block" }   # every input of this node
//   queues = { frame = { capacity = 2 } }          # one input, by port name
//   on_error = "fail"                        # or "skip": drop the failing input set
//   replicas = 1                             # >1: parallel instances (stateless types)
// (plugin, queue, queues, on_error and replicas are the framework keys: framework_keys.h.)
//
// Strings may hold ${VAR} or ${VAR:-default}: environment variables, expanded on load.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "diagnostic.h"
#include "queue_spec.h"
#include "sluice/params.h"
#include "sluice/status.h"

namespace sluice::runtime {

// The keys of a node's table the pipeline file reads itself (read_node); every other key
// is a param. The plugin loader refuses a param of one of these names: none could be set.
inline constexpr const char* kNodeKeys[] = {"plugin", "queue", "queues", "on_error", "replicas"};

enum class OnError { kFail, kSkip };

struct LinkEnd {
  std::string node;
  std::string port;  // empty: the node's only input or output
  SourceLocation where;
};

struct LinkSpec {
  LinkEnd from;
  LinkEnd to;
};

struct ParamSetting {
  ParamValue value;
  std::string toml_type;  // "integer", "float", "string", "boolean", "array" (for messages)
  SourceLocation where;
};

struct NodeSpec {
  std::string name;
  SourceLocation where;  // the [nodes.NAME] table
  std::string plugin;
  SourceLocation plugin_where;
  std::map<std::string, ParamSetting> params;  // everything that is not a framework key
  std::optional<QueueSpec> queue;              // for every input
  std::map<std::string, std::pair<QueueSpec, SourceLocation>> port_queues;
  OnError on_error = OnError::kFail;
  int replicas = 1;
  SourceLocation replicas_where;
};

struct PipelineSpec {
  std::string file;  // as given
  std::string dir;   // folder that relative paths are resolved against
  std::string name;
  std::vector<LinkSpec> links;
  std::vector<std::string> plugin_path;  // resolved against dir
  std::string http;                      // HOST:PORT to serve the service plane on; "" none
  std::vector<NodeSpec> nodes;           // in file order
};

// A `--set` override: "nodes.NAME.PARAM=VALUE" or "pipeline.KEY=VALUE". VALUE is read
// as a TOML value; when it is not one (a bare path), as a string.
struct Override {
  std::string text;
};

// Reads and parses a pipeline file; every problem found is a Diagnostic with a location.
// Problems of shape (syntax, wrong key types, malformed links) are reported here; problems
// that need the plugins' contracts are the validator's.
Result<PipelineSpec> load_pipeline_file(const std::string& path,
                                        const std::vector<Override>& overrides,
                                        Diagnostics& diagnostics);
Result<PipelineSpec> load_pipeline_text(const std::string& text, const std::string& file_name,
                                        const std::string& dir,
                                        const std::vector<Override>& overrides,
                                        Diagnostics& diagnostics);

// Parses "a -> b.in", "a.out -> b -> c" into links.
std::vector<LinkSpec> parse_link_chain(const std::string& text, const SourceLocation& where,
                                       Diagnostics& diagnostics);

// Expands ${VAR} and ${VAR:-default}; an unset variable without default is an error.
Result<std::string> expand_env(const std::string& text);

}  // namespace sluice::runtime
