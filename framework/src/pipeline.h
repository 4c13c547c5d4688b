// Pipeline: a pipeline file checked against the plugins' contracts, ready to run.
//
// validate() finds every problem it can before any thread starts: unknown plugins,
// params and ports (with the nearest valid name), wrong value types, values out of
// range, incompatible payload types across links, unconnected required inputs, cycles.
#pragma once

#include <string>
#include <vector>

#include "pipeline_spec.h"
#include "plugin_registry.h"

namespace sluice::runtime {

struct PipelineNode {
  std::string name;
  const NodeType* type = nullptr;
  Params params;
  std::vector<QueueSpec> input_queues;    // one per input port of the contract
  std::vector<bool> input_connected;      // one per input port
  std::vector<std::string> output_types;  // resolved payload type per output port
  OnError on_error = OnError::kFail;
  int replicas = 1;

  const Contract& contract() const { return type->contract; }
  bool is_source() const { return contract().inputs.empty(); }
};

struct Edge {
  int from_node = 0, from_port = 0;  // indices into Pipeline::nodes and the contract's outputs
  int to_node = 0, to_port = 0;      // ... and inputs
};

struct Pipeline {
  std::string name;
  std::string file;
  std::vector<PipelineNode> nodes;  // in topological order: producers before consumers
  std::vector<Edge> edges;
};

// Checks `spec` against the contracts in `registry`. On failure the Diagnostics say
// what and where; the registry must outlive the returned Pipeline.
Result<Pipeline> validate(const PipelineSpec& spec, PluginRegistry& registry,
                          Diagnostics& diagnostics);

}  // namespace sluice::runtime
