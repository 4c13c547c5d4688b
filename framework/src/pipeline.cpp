#include "pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace sluice::runtime {
namespace {

const std::vector<std::string> kFrameworkKeys{"plugin", "queue", "queues", "on_error", "replicas"};

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

std::string range_text(const ParamSpec& p) {
  if (p.min && p.max) return fmt::format("from {} to {}", *p.min, *p.max);
  if (p.min) return fmt::format("at least {}", *p.min);
  return fmt::format("at most {}", *p.max);
}

// Converts a setting to the param's type; returns an error message or "".
std::string convert(const ParamSpec& p, const ParamSetting& s, ParamValue& out) {
  const std::string wrong = fmt::format("param '{}' takes a {}, not a {} ({})", p.name,
                                        to_string(p.type), s.toml_type, to_toml_text(s.value));
  switch (p.type) {
    case ParamType::kBool:
      if (!std::holds_alternative<bool>(s.value)) return wrong;
      out = s.value;
      return "";
    case ParamType::kInt:
      if (!std::holds_alternative<int64_t>(s.value)) return wrong;
      out = s.value;
      return "";
    case ParamType::kFloat:
      if (auto* i = std::get_if<int64_t>(&s.value))
        out = static_cast<double>(*i);
      else if (std::holds_alternative<double>(s.value))
        out = s.value;
      else
        return wrong;
      return "";
    case ParamType::kString:
      if (!std::holds_alternative<std::string>(s.value)) return wrong;
      out = s.value;
      return "";
    case ParamType::kIntList:
      if (!std::holds_alternative<std::vector<int64_t>>(s.value)) return wrong;
      out = s.value;
      return "";
    case ParamType::kFloatList:
      if (auto* l = std::get_if<std::vector<int64_t>>(&s.value))
        out = std::vector<double>(l->begin(), l->end());
      else if (std::holds_alternative<std::vector<double>>(s.value))
        out = s.value;
      else
        return wrong;
      return "";
    case ParamType::kStringList:
      if (auto* l = std::get_if<std::vector<int64_t>>(&s.value); l && l->empty())
        out = std::vector<std::string>{};
      else if (std::holds_alternative<std::vector<std::string>>(s.value))
        out = s.value;
      else
        return wrong;
      return "";
  }
  return wrong;
}

std::string check_number(const ParamSpec& p, double v) {
  if ((p.min && v < *p.min) || (p.max && v > *p.max))
    return fmt::format("param '{}' = {} is out of range: it must be {}", p.name, v, range_text(p));
  return "";
}

std::string check_choice(const ParamSpec& p, const std::string& v) {
  if (p.choices.empty() || std::find(p.choices.begin(), p.choices.end(), v) != p.choices.end())
    return "";
  std::string quoted;
  for (const auto& c : p.choices) quoted += (quoted.empty() ? "\"" : ", \"") + c + "\"";
  return fmt::format("param '{}' = \"{}\" is not one of {}{}", p.name, v, quoted,
                     did_you_mean(v, p.choices));
}

std::string check_value(const ParamSpec& p, const ParamValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return check_number(p, static_cast<double>(*i));
  if (auto* d = std::get_if<double>(&v)) return check_number(p, *d);
  if (auto* s = std::get_if<std::string>(&v)) return check_choice(p, *s);
  if (auto* l = std::get_if<std::vector<int64_t>>(&v))
    for (auto x : *l)
      if (auto m = check_number(p, static_cast<double>(x)); !m.empty()) return m;
  if (auto* l = std::get_if<std::vector<double>>(&v))
    for (auto x : *l)
      if (auto m = check_number(p, x); !m.empty()) return m;
  if (auto* l = std::get_if<std::vector<std::string>>(&v))
    for (const auto& x : *l)
      if (auto m = check_choice(p, x); !m.empty()) return m;
  return "";
}

std::string resolve_path(const std::string& p, const std::string& dir) {
  if (p.empty() || p.find("://") != std::string::npos || fs::path(p).is_absolute()) return p;
  return (fs::path(dir) / p).lexically_normal().string();
}

struct PortRef {
  int node = -1;
  int port = -1;
};

}  // namespace

Result<Params> check_params(const std::string& node_name, const Contract& contract,
                            const std::map<std::string, ParamSetting>& settings,
                            const std::string& dir, const SourceLocation& node_where,
                            Diagnostics& diagnostics) {
  const std::size_t errors_before = diagnostics.size();
  Params params;
  for (const auto& [key, setting] : settings) {
    const ParamSpec* p = contract.find_param(key);
    if (!p) {
      std::vector<std::string> candidates = names_of(contract.params);
      candidates.insert(candidates.end(), kFrameworkKeys.begin(), kFrameworkKeys.end());
      diagnostics.push_back(
          {setting.where, fmt::format("node '{}' ({}) has no param '{}'{}", node_name,
                                      contract.type, key, did_you_mean(key, candidates))});
      continue;
    }
    ParamValue value;
    std::string error = convert(*p, setting, value);
    if (error.empty()) error = check_value(*p, value);
    if (!error.empty()) {
      diagnostics.push_back({setting.where, fmt::format("node '{}': {}", node_name, error)});
      continue;
    }
    if (p->is_path) {
      if (auto* s = std::get_if<std::string>(&value)) *s = resolve_path(*s, dir);
      if (auto* l = std::get_if<std::vector<std::string>>(&value))
        for (auto& s : *l) s = resolve_path(s, dir);
    }
    params.set(key, std::move(value), true);
  }
  for (const auto& p : contract.params) {
    if (settings.count(p.name)) continue;
    if (p.required) {
      diagnostics.push_back(
          {node_where, fmt::format("node '{}' ({}) needs param '{}' ({}: {})", node_name,
                                   contract.type, p.name, to_string(p.type), p.description)});
      continue;
    }
    ParamValue value = p.default_value;
    if (p.is_path)
      if (auto* s = std::get_if<std::string>(&value)) *s = resolve_path(*s, dir);
    params.set(p.name, std::move(value), false);
  }
  if (diagnostics.size() != errors_before) return invalid_argument("invalid params");
  return params;
}

Result<Pipeline> validate(const PipelineSpec& spec, PluginRegistry& registry,
                          Diagnostics& diagnostics) {
  const std::size_t errors_before = diagnostics.size();
  Pipeline out;
  out.name = spec.name.empty() ? fs::path(spec.file).stem().string() : spec.name;
  out.file = spec.file;

  // Nodes: plugin, params, queues, replicas. Indices follow spec.nodes for now.
  std::vector<PipelineNode> nodes;
  std::map<std::string, int> index_of;
  std::vector<std::string> node_names = names_of(spec.nodes);
  for (const NodeSpec& ns : spec.nodes) {
    PipelineNode node;
    node.name = ns.name;
    node.on_error = ns.on_error;
    node.replicas = ns.replicas;
    index_of[ns.name] = static_cast<int>(nodes.size());
    if (auto found = registry.lookup(ns.plugin); found.ok()) {
      node.type = *found;
    } else {
      diagnostics.push_back(
          {ns.plugin_where, fmt::format("node '{}': {}", ns.name, found.status().message())});
      nodes.push_back(std::move(node));
      continue;
    }
    if (!node.type) {
      if (!ns.plugin.empty())
        diagnostics.push_back(
            {ns.plugin_where, fmt::format("node '{}': unknown plugin '{}'{}", ns.name, ns.plugin,
                                          did_you_mean(ns.plugin, registry.type_names()))});
      nodes.push_back(std::move(node));
      continue;
    }
    const Contract& c = node.type->contract;
    if (auto params = check_params(ns.name, c, ns.params, spec.dir, ns.where, diagnostics);
        params.ok())
      node.params = std::move(*params);
    node.input_queues.assign(c.inputs.size(), ns.queue.value_or(QueueSpec{}));
    node.input_connected.assign(c.inputs.size(), false);
    if (ns.queue && c.inputs.empty())
      diagnostics.push_back(
          {ns.where,
           fmt::format("node '{}' ({}) has no inputs, so it takes no queue", ns.name, c.type)});
    for (const auto& [port, q] : ns.port_queues) {
      const PortSpec* in = c.find_input(port);
      if (!in) {
        diagnostics.push_back(
            {q.second, fmt::format("node '{}' ({}) has no input '{}'{}", ns.name, c.type, port,
                                   did_you_mean(port, names_of(c.inputs)))});
        continue;
      }
      node.input_queues[in - c.inputs.data()] = q.first;
    }
    if (ns.replicas > 1 && c.inputs.empty())
      diagnostics.push_back(
          {ns.replicas_where, fmt::format("node '{}': a source cannot run as replicas (run several "
                                          "source nodes, or use the source's own streams)",
                                          ns.name)});
    else if (ns.replicas > 1 && !c.stateless)
      diagnostics.push_back(
          {ns.replicas_where,
           fmt::format("node '{}': {} keeps state between packets, so it cannot run as replicas",
                       ns.name, c.type)});
    node.output_types.clear();
    for (const auto& o : c.outputs) node.output_types.push_back(o.type);
    nodes.push_back(std::move(node));
  }

  // Links: endpoints and ports.
  const std::size_t errors_before_links = diagnostics.size();
  std::vector<Edge> edges;
  std::vector<SourceLocation> edge_where;
  for (const LinkSpec& link : spec.links) {
    auto endpoint = [&](const LinkEnd& end, bool output) -> PortRef {
      auto it = index_of.find(end.node);
      if (it == index_of.end()) {
        diagnostics.push_back({end.where, fmt::format("link names unknown node '{}'{}", end.node,
                                                      did_you_mean(end.node, node_names))});
        return {};
      }
      const PipelineNode& n = nodes[it->second];
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
          diagnostics.push_back(
              {end.where, fmt::format("node '{}' ({}) has no {}s, so it cannot be linked {} here",
                                      n.name, n.contract().type, dir, output ? "from" : "to")});
        else
          diagnostics.push_back(
              {end.where, fmt::format("node '{}' ({}) has {}s {}: name one, as {}.{}", n.name,
                                      n.contract().type, dir, joined(names_of(ports)), n.name,
                                      ports[0].name)});
        return {};
      }
      for (std::size_t i = 0; i < ports.size(); ++i)
        if (ports[i].name == end.port) return {it->second, static_cast<int>(i)};
      diagnostics.push_back(
          {end.where, fmt::format("node '{}' ({}) has no {} '{}'{}", n.name, n.contract().type, dir,
                                  end.port, did_you_mean(end.port, names_of(ports)))});
      return {};
    };
    const PortRef from = endpoint(link.from, true);
    const PortRef to = endpoint(link.to, false);
    if (from.node < 0 || to.node < 0) continue;
    const Edge e{from.node, from.port, to.node, to.port};
    bool duplicate = false;
    for (const Edge& x : edges)
      duplicate |= x.from_node == e.from_node && x.from_port == e.from_port &&
                   x.to_node == e.to_node && x.to_port == e.to_port;
    if (duplicate) {
      diagnostics.push_back({link.from.where, fmt::format("link {} -> {} is given twice",
                                                          link.from.node, link.to.node)});
      continue;
    }
    edges.push_back(e);
    edge_where.push_back(link.from.where);
    nodes[to.node].input_connected[to.port] = true;
  }

  // Every required input connected; every node linked. After a bad link this would only
  // repeat the same mistake, so it is checked on good links only.
  const bool links_ok = diagnostics.size() == errors_before_links;
  for (std::size_t i = 0; i < nodes.size() && links_ok; ++i) {
    const PipelineNode& n = nodes[i];
    if (!n.type) continue;
    for (std::size_t p = 0; p < n.contract().inputs.size(); ++p)
      if (n.contract().inputs[p].required && !n.input_connected[p])
        diagnostics.push_back({spec.nodes[i].where,
                               fmt::format("input '{}' of node '{}' ({}) is not connected: add a "
                                           "link like \"x -> {}.{}\"",
                                           n.contract().inputs[p].name, n.name, n.contract().type,
                                           n.name, n.contract().inputs[p].name)});
    const bool linked = std::any_of(edges.begin(), edges.end(), [&](const Edge& e) {
      return e.from_node == static_cast<int>(i) || e.to_node == static_cast<int>(i);
    });
    const bool has_input = std::find(n.input_connected.begin(), n.input_connected.end(), true) !=
                           n.input_connected.end();
    if (!linked && nodes.size() > 1)
      diagnostics.push_back(
          {spec.nodes[i].where, fmt::format("node '{}' is not linked to anything", n.name)});
    else if (!n.contract().inputs.empty() && !has_input)
      diagnostics.push_back(
          {spec.nodes[i].where, fmt::format("node '{}' ({}) has none of its inputs connected (it "
                                            "would never run)",
                                            n.name, n.contract().type)});
  }

  // Topological order (Kahn); what remains sits on a cycle.
  std::vector<int> indegree(nodes.size(), 0);
  for (const Edge& e : edges) ++indegree[e.to_node];
  std::vector<int> order;
  std::vector<int> ready;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (indegree[i] == 0) ready.push_back(static_cast<int>(i));
  while (!ready.empty()) {
    std::sort(ready.begin(), ready.end(), std::greater<>());  // file order among equals
    const int n = ready.back();
    ready.pop_back();
    order.push_back(n);
    for (const Edge& e : edges)
      if (e.from_node == n && --indegree[e.to_node] == 0) ready.push_back(e.to_node);
  }
  if (order.size() != nodes.size()) {
    std::vector<std::string> cyclic;
    int first = -1;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (indegree[i] > 0) {
        cyclic.push_back(nodes[i].name);
        if (first < 0) first = static_cast<int>(i);
      }
    diagnostics.push_back(
        {spec.nodes[first].where,
         fmt::format("links form a cycle through nodes {}; a pipeline must be a DAG",
                     joined(cyclic))});
  }

  // Payload types along links, in topological order so "same type as input" resolves.
  if (order.size() == nodes.size()) {
    for (int n : order) {
      PipelineNode& node = nodes[n];
      if (!node.type) continue;
      for (std::size_t o = 0; o < node.contract().outputs.size(); ++o) {
        const PortSpec& out_port = node.contract().outputs[o];
        if (out_port.type != "Any" || out_port.same_type_as.empty()) continue;
        const PortSpec* in = node.contract().find_input(out_port.same_type_as);
        if (!in) continue;
        const int in_index = static_cast<int>(in - node.contract().inputs.data());
        std::set<std::string> seen;
        for (const Edge& e : edges)
          if (e.to_node == n && e.to_port == in_index)
            seen.insert(nodes[e.from_node].output_types[e.from_port]);
        node.output_types[o] = seen.size() == 1 ? *seen.begin() : "Any";
      }
    }
    for (std::size_t k = 0; k < edges.size(); ++k) {
      const Edge& e = edges[k];
      if (!nodes[e.from_node].type || !nodes[e.to_node].type) continue;
      const std::string& sent = nodes[e.from_node].output_types[e.from_port];
      const PortSpec& in = nodes[e.to_node].contract().inputs[e.to_port];
      if (sent != "Any" && in.type != "Any" && sent != in.type)
        diagnostics.push_back(
            {edge_where[k], fmt::format("link {}.{} -> {}.{}: {} sends {} but {} takes {}",
                                        nodes[e.from_node].name,
                                        nodes[e.from_node].contract().outputs[e.from_port].name,
                                        nodes[e.to_node].name, in.name, nodes[e.from_node].name,
                                        sent, nodes[e.to_node].name, in.type)});
    }
  }

  if (diagnostics.size() != errors_before) return invalid_argument("invalid pipeline");

  // Renumber nodes and edges in topological order.
  std::vector<int> new_index(nodes.size());
  for (std::size_t i = 0; i < order.size(); ++i) new_index[order[i]] = static_cast<int>(i);
  for (int n : order) out.nodes.push_back(std::move(nodes[n]));
  for (Edge e : edges) {
    e.from_node = new_index[e.from_node];
    e.to_node = new_index[e.to_node];
    out.edges.push_back(e);
  }
  return out;
}

}  // namespace sluice::runtime
