// validate()'s phases (pipeline.h), one function each over one shared state, run in this
// order by validate() and each testable alone. A phase adds what it finds to the
// diagnostics and leaves the state for the next; each says what it needs of the earlier.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "diagnostic.h"
#include "pipeline.h"

namespace sluice::runtime {

struct ValidationState {
  ValidationState(const PipelineSpec& s, Diagnostics& d) : spec(s), diagnostics(d) {}
  const PipelineSpec& spec;
  Diagnostics& diagnostics;
  std::vector<PipelineNode> nodes;      // one per spec.nodes, in file order; type null when unknown
  std::map<std::string, int> index_of;  // node name -> index in nodes
  std::vector<Edge> edges;              // indices into nodes
  std::vector<SourceLocation> edge_where;  // the link each edge was written in
  std::vector<int> order;                  // nodes in topological order (order_nodes)
};

// 1. Each node's type (from `registry`), params, queues and replicas.
void resolve_nodes(ValidationState& v, PluginRegistry& registry);
// 2. Each link's endpoints, to edges between ports; false when any link was bad.
bool resolve_links(ValidationState& v);
// 3. Every required input connected and every node linked (run after good links only: after
//    a bad one it would repeat the same mistake).
void check_connections(ValidationState& v);
// 4. Kahn's order, file order among equals; false, with the nodes named, on a cycle.
bool order_nodes(ValidationState& v);
// 5. (After order_nodes succeeded.) The type of each "same type as input" output, then
//    every link's sent type against the input's.
void check_types(ValidationState& v);
// 6. The pipeline with nodes and edges renumbered in topological order.
Pipeline renumbered(ValidationState& v);

}  // namespace sluice::runtime
