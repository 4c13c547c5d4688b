#include "pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "param_check.h"
#include "validation_phases.h"

namespace fs = std::filesystem;

namespace sluice::runtime {
namespace {

template <class V>
std::vector<std::string> names_of(const V& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.name);
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

struct PortRef {
  int node = -1;
  int port = -1;
};

}  // namespace

Result<Pipeline> validate(const PipelineSpec& spec, PluginRegistry& registry,
                          Diagnostics& diagnostics) {
  const std::size_t errors_before = diagnostics.size();
  ValidationState v(spec, diagnostics);
  resolve_nodes(v, registry);
  if (resolve_links(v)) check_connections(v);
  if (order_nodes(v)) check_types(v);
  if (diagnostics.size() != errors_before) return invalid_argument("invalid pipeline");
  return renumbered(v);
}

void resolve_nodes(ValidationState& v, PluginRegistry& registry) {
  for (const NodeSpec& ns : v.spec.nodes) {
    PipelineNode node;
    node.name = ns.name;
    node.on_error = ns.on_error;
    node.replicas = ns.replicas;
    v.index_of[ns.name] = static_cast<int>(v.nodes.size());
    if (auto found = registry.lookup(ns.plugin); found.ok()) {
      node.type = *found;
    } else {
      v.diagnostics.push_back(
          {ns.plugin_where, fmt::format("node '{}': {}", ns.name, found.status().message())});
      v.nodes.push_back(std::move(node));
      continue;
    }
    if (!node.type) {
      if (!ns.plugin.empty())
        v.diagnostics.push_back(
            {ns.plugin_where, fmt::format("node '{}': unknown plugin '{}'{}", ns.name, ns.plugin,
                                          did_you_mean(ns.plugin, registry.type_names()))});
      v.nodes.push_back(std::move(node));
      continue;
    }
    const Contract& c = node.type->contract;
    if (auto params = check_params(ns.name, c, ns.params, v.spec.dir, ns.where, v.diagnostics);
        params.ok())
      node.params = std::move(*params);
    node.input_queues.assign(c.inputs.size(), ns.queue.value_or(QueueSpec{}));
    node.input_connected.assign(c.inputs.size(), false);
    if (ns.queue && c.inputs.empty())
      v.diagnostics.push_back(
          {ns.where,
           fmt::format("node '{}' ({}) has no inputs, so it takes no queue", ns.name, c.type)});
    for (const auto& [port, q] : ns.port_queues) {
      const PortSpec* in = c.find_input(port);
      if (!in) {
        v.diagnostics.push_back(
            {q.second, fmt::format("node '{}' ({}) has no input '{}'{}", ns.name, c.type, port,
                                   did_you_mean(port, names_of(c.inputs)))});
        continue;
      }
      node.input_queues[in - c.inputs.data()] = q.first;
    }
    if (ns.replicas > 1 && c.inputs.empty())
      v.diagnostics.push_back(
          {ns.replicas_where, fmt::format("node '{}': a source cannot run as replicas (run several "
                                          "source nodes, or use the source's own streams)",
                                          ns.name)});
    else if (ns.replicas > 1 && !c.stateless)
      v.diagnostics.push_back(
          {ns.replicas_where,
           fmt::format("node '{}': {} keeps state between packets, so it cannot run as replicas",
                       ns.name, c.type)});
    node.output_types.clear();
    for (const auto& o : c.outputs) node.output_types.push_back(o.type);
    v.nodes.push_back(std::move(node));
  }
}

bool resolve_links(ValidationState& v) {
  const std::size_t errors_before = v.diagnostics.size();
  const std::vector<std::string> node_names = names_of(v.spec.nodes);
  for (const LinkSpec& link : v.spec.links) {
    auto endpoint = [&](const LinkEnd& end, bool output) -> PortRef {
      auto it = v.index_of.find(end.node);
      if (it == v.index_of.end()) {
        v.diagnostics.push_back({end.where, fmt::format("link names unknown node '{}'{}", end.node,
                                                        did_you_mean(end.node, node_names))});
        return {};
      }
      const PipelineNode& n = v.nodes[it->second];
      if (!n.type) return {};  // already reported
      const auto& ports = output ? n.contract().outputs : n.contract().inputs;
      const char* dir = output ? "output" : "input";
      if (end.port.empty()) {
        // The default port: the only one; else the only required input; else "in"/"out".
        if (ports.size() == 1) return {it->second, 0};
        int only_required = -1, named = -1;
        for (std::size_t i = 0; i < ports.size(); ++i) {
          if (!output && ports[i].required)
            only_required = only_required == -1 ? static_cast<int>(i) : -2;
          if (ports[i].name == (output ? "out" : "in")) named = static_cast<int>(i);
        }
        if (only_required >= 0) return {it->second, only_required};
        if (named >= 0) return {it->second, named};
        if (ports.empty())
          v.diagnostics.push_back(
              {end.where, fmt::format("node '{}' ({}) has no {}s, so it cannot be linked {} here",
                                      n.name, n.contract().type, dir, output ? "from" : "to")});
        else
          v.diagnostics.push_back(
              {end.where, fmt::format("node '{}' ({}) has {}s {}: name one, as {}.{}", n.name,
                                      n.contract().type, dir, joined(names_of(ports)), n.name,
                                      ports[0].name)});
        return {};
      }
      for (std::size_t i = 0; i < ports.size(); ++i)
        if (ports[i].name == end.port) return {it->second, static_cast<int>(i)};
      v.diagnostics.push_back(
          {end.where, fmt::format("node '{}' ({}) has no {} '{}'{}", n.name, n.contract().type, dir,
                                  end.port, did_you_mean(end.port, names_of(ports)))});
      return {};
    };
    const PortRef from = endpoint(link.from, true);
    const PortRef to = endpoint(link.to, false);
    if (from.node < 0 || to.node < 0) continue;
    const Edge e{from.node, from.port, to.node, to.port};
    bool duplicate = false;
    for (const Edge& x : v.edges)
      duplicate |= x.from_node == e.from_node && x.from_port == e.from_port &&
                   x.to_node == e.to_node && x.to_port == e.to_port;
    if (duplicate) {
      v.diagnostics.push_back({link.from.where, fmt::format("link {} -> {} is given twice",
                                                            link.from.node, link.to.node)});
      continue;
    }
    v.edges.push_back(e);
    v.edge_where.push_back(link.from.where);
    v.nodes[to.node].input_connected[to.port] = true;
  }
  return v.diagnostics.size() == errors_before;
}

void check_connections(ValidationState& v) {
  for (std::size_t i = 0; i < v.nodes.size(); ++i) {
    const PipelineNode& n = v.nodes[i];
    if (!n.type) continue;
    for (std::size_t p = 0; p < n.contract().inputs.size(); ++p)
      if (n.contract().inputs[p].required && !n.input_connected[p])
        v.diagnostics.push_back({v.spec.nodes[i].where,
                                 fmt::format("input '{}' of node '{}' ({}) is not connected: add a "
                                             "link like \"x -> {}.{}\"",
                                             n.contract().inputs[p].name, n.name, n.contract().type,
                                             n.name, n.contract().inputs[p].name)});
    const bool linked = std::any_of(v.edges.begin(), v.edges.end(), [&](const Edge& e) {
      return e.from_node == static_cast<int>(i) || e.to_node == static_cast<int>(i);
    });
    const bool has_input = std::find(n.input_connected.begin(), n.input_connected.end(), true) !=
                           n.input_connected.end();
    if (!linked && v.nodes.size() > 1)
      v.diagnostics.push_back(
          {v.spec.nodes[i].where, fmt::format("node '{}' is not linked to anything", n.name)});
    else if (!n.contract().inputs.empty() && !has_input)
      v.diagnostics.push_back(
          {v.spec.nodes[i].where, fmt::format("node '{}' ({}) has none of its inputs connected (it "
                                              "would never run)",
                                              n.name, n.contract().type)});
  }
}

bool order_nodes(ValidationState& v) {
  std::vector<int> indegree(v.nodes.size(), 0);
  for (const Edge& e : v.edges) ++indegree[e.to_node];
  std::vector<int>& order = v.order;
  order.clear();
  std::vector<int> ready;
  for (std::size_t i = 0; i < v.nodes.size(); ++i)
    if (indegree[i] == 0) ready.push_back(static_cast<int>(i));
  while (!ready.empty()) {
    std::sort(ready.begin(), ready.end(), std::greater<>());  // file order among equals
    const int n = ready.back();
    ready.pop_back();
    order.push_back(n);
    for (const Edge& e : v.edges)
      if (e.from_node == n && --indegree[e.to_node] == 0) ready.push_back(e.to_node);
  }
  if (v.order.size() == v.nodes.size()) return true;
  {
    // What remains sits on a cycle.
    std::vector<std::string> cyclic;
    int first = -1;
    for (std::size_t i = 0; i < v.nodes.size(); ++i)
      if (indegree[i] > 0) {
        cyclic.push_back(v.nodes[i].name);
        if (first < 0) first = static_cast<int>(i);
      }
    v.diagnostics.push_back(
        {v.spec.nodes[first].where,
         fmt::format("links form a cycle through nodes {}; a pipeline must be a DAG",
                     joined(cyclic))});
  }
  return false;
}

void check_types(ValidationState& v) {
  // In topological order, so that an input's type is known before its output's.
  {
    for (int n : v.order) {
      PipelineNode& node = v.nodes[n];
      if (!node.type) continue;
      for (std::size_t o = 0; o < node.contract().outputs.size(); ++o) {
        const PortSpec& out_port = node.contract().outputs[o];
        if (out_port.type != kAnyType || out_port.same_type_as.empty()) continue;
        const PortSpec* in = node.contract().find_input(out_port.same_type_as);
        if (!in) continue;
        const int in_index = static_cast<int>(in - node.contract().inputs.data());
        std::set<std::string> seen;
        for (const Edge& e : v.edges)
          if (e.to_node == n && e.to_port == in_index)
            seen.insert(v.nodes[e.from_node].output_types[e.from_port]);
        node.output_types[o] = seen.size() == 1 ? *seen.begin() : std::string(kAnyType);
      }
    }
    for (std::size_t k = 0; k < v.edges.size(); ++k) {
      const Edge& e = v.edges[k];
      if (!v.nodes[e.from_node].type || !v.nodes[e.to_node].type) continue;
      const std::string& sent = v.nodes[e.from_node].output_types[e.from_port];
      const PortSpec& in = v.nodes[e.to_node].contract().inputs[e.to_port];
      if (sent != kAnyType && in.type != kAnyType && sent != in.type)
        v.diagnostics.push_back(
            {v.edge_where[k],
             fmt::format(
                 "link {}.{} -> {}.{}: {} sends {} but {} takes {}", v.nodes[e.from_node].name,
                 v.nodes[e.from_node].contract().outputs[e.from_port].name, v.nodes[e.to_node].name,
                 in.name, v.nodes[e.from_node].name, sent, v.nodes[e.to_node].name, in.type)});
    }
  }
}

Pipeline renumbered(ValidationState& v) {
  Pipeline out;
  out.name = v.spec.name.empty() ? fs::path(v.spec.file).stem().string() : v.spec.name;
  out.file = v.spec.file;
  std::vector<int> new_index(v.nodes.size());
  for (std::size_t i = 0; i < v.order.size(); ++i) new_index[v.order[i]] = static_cast<int>(i);
  for (int n : v.order) out.nodes.push_back(std::move(v.nodes[n]));
  for (Edge e : v.edges) {
    e.from_node = new_index[e.from_node];
    e.to_node = new_index[e.to_node];
    out.edges.push_back(e);
  }
  return out;
}

}  // namespace sluice::runtime
