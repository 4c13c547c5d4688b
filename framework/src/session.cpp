#include "session.h"

#include <fmt/format.h>

namespace sluice::runtime {

Result<std::unique_ptr<PluginRegistry>> load_plugins(const std::vector<std::string>& extra_dirs,
                                                     const std::vector<std::string>& file_dirs) {
  auto registry = std::make_unique<PluginRegistry>();
  std::vector<std::string> dirs{PluginRegistry::default_plugin_dir()};
  dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
  for (auto& d : PluginRegistry::env_plugin_dirs()) dirs.push_back(d);
  dirs.insert(dirs.end(), file_dirs.begin(), file_dirs.end());
  SLUICE_RETURN_IF_ERROR(registry->load_dirs(dirs));
  return registry;
}

Result<Session> open_session(const std::string& path, const std::vector<Override>& overrides,
                             const std::vector<std::string>& extra_plugin_dirs,
                             Diagnostics& diagnostics) {
  Session session;
  SLUICE_ASSIGN_OR_RETURN(session.spec, load_pipeline_file(path, overrides, diagnostics));
  SLUICE_ASSIGN_OR_RETURN(session.registry,
                          load_plugins(extra_plugin_dirs, session.spec.plugin_path));
  SLUICE_ASSIGN_OR_RETURN(session.pipeline, validate(session.spec, *session.registry, diagnostics));
  return session;
}

namespace {
std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
const char* shape_of(NodeKind k) {
  switch (k) {
    case NodeKind::kSource:
      return "invhouse";
    case NodeKind::kSink:
      return "house";
    case NodeKind::kModel:
      return "box3d";
    default:
      return "box";
  }
}
}  // namespace

std::string to_dot(const Pipeline& p) {
  std::string out = fmt::format(
      "digraph \"{}\" {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n", escaped(p.name));
  for (const auto& n : p.nodes) {
    std::string label = fmt::format("{}\\n({})", escaped(n.name), escaped(n.contract().type));
    if (n.replicas > 1) label += fmt::format("\\nx{}", n.replicas);
    out += fmt::format("  \"{}\" [label=\"{}\", shape={}];\n", escaped(n.name), label,
                       shape_of(n.contract().kind));
  }
  for (const auto& e : p.edges) {
    const auto& from = p.nodes[e.from_node];
    const auto& to = p.nodes[e.to_node];
    const QueueSpec& q = to.input_queues[e.to_port];
    std::string label =
        fmt::format("{} -> {}\\n{}", from.contract().outputs[e.from_port].name,
                    to.contract().inputs[e.to_port].name, from.output_types[e.from_port]);
    label += fmt::format("\\nqueue {} {}", q.capacity, to_string(q.overflow));
    out += fmt::format("  \"{}\" -> \"{}\" [label=\"{}\"];\n", escaped(from.name), escaped(to.name),
                       label);
  }
  return out + "}\n";
}

}  // namespace sluice::runtime
