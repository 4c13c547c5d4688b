#include "pipeline_spec.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace sluice::runtime {

namespace {

SourceLocation location_of(const toml::source_region& r, const std::string& file) {
  return {file, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool is_identifier(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

// Expands ${...} in every string of the document, in place.
void expand_strings(toml::node& node, const std::string& file, Diagnostics& diagnostics) {
  if (auto* s = node.as_string()) {
    auto expanded = expand_env(s->get());
    if (expanded.ok()) {
      s->get() = *expanded;
    } else {
      diagnostics.push_back({location_of(node.source(), file), expanded.status().message()});
    }
  } else if (auto* t = node.as_table()) {
    for (auto&& [k, v] : *t) expand_strings(v, file, diagnostics);
  } else if (auto* a = node.as_array()) {
    for (auto& v : *a) expand_strings(v, file, diagnostics);
  }
}

const char* toml_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    default:
      return "date/time";
  }
}

// A TOML value as a ParamValue; nullopt for shapes params never take (tables, dates,
// nested or mixed arrays).
std::optional<ParamValue> to_param_value(const toml::node& n) {
  if (auto v = n.value_exact<bool>()) return ParamValue{*v};
  if (auto v = n.value_exact<int64_t>()) return ParamValue{*v};
  if (auto v = n.value_exact<double>()) return ParamValue{*v};
  if (auto v = n.value_exact<std::string>()) return ParamValue{*v};
  const toml::array* a = n.as_array();
  if (!a) return std::nullopt;
  if (a->empty()) return ParamValue{std::vector<int64_t>{}};
  bool all_int = true, all_number = true, all_string = true;
  for (const auto& e : *a) {
    all_int = all_int && e.is_integer();
    all_number = all_number && (e.is_integer() || e.is_floating_point());
    all_string = all_string && e.is_string();
  }
  if (all_int) {
    std::vector<int64_t> out;
    for (const auto& e : *a) out.push_back(*e.value<int64_t>());
    return ParamValue{out};
  }
  if (all_number) {
    std::vector<double> out;
    for (const auto& e : *a) out.push_back(*e.value<double>());
    return ParamValue{out};
  }
  if (all_string) {
    std::vector<std::string> out;
    for (const auto& e : *a) out.push_back(*e.value<std::string>());
    return ParamValue{out};
  }
  return std::nullopt;
}

std::optional<QueueSpec> read_queue(const toml::node& n, const std::string& what,
                                    const std::string& file, Diagnostics& diagnostics) {
  const toml::table* t = n.as_table();
  if (!t) {
    diagnostics.push_back({location_of(n.source(), file),
                           what + " must be a table like { capacity = 8, overflow = \"block\" }"});
    return std::nullopt;
  }
  QueueSpec q;
  bool good = true;
  for (auto&& [k, v] : *t) {
    const std::string key(k.str());
    if (key == "capacity") {
      auto c = v.value_exact<int64_t>();
      if (!c || *c < 1 || *c > 1'000'000) {
        diagnostics.push_back({location_of(v.source(), file),
                               what + ".capacity must be an integer from 1 to 1000000"});
        good = false;
      } else {
        q.capacity = *c;
      }
    } else if (key == "overflow") {
      auto o = v.value_exact<std::string>();
      const std::vector<std::string> choices{"block", "drop_oldest", "drop_newest"};
      if (o && *o == "block")
        q.overflow = Overflow::kBlock;
      else if (o && *o == "drop_oldest")
        q.overflow = Overflow::kDropOldest;
      else if (o && *o == "drop_newest")
        q.overflow = Overflow::kDropNewest;
      else {
        diagnostics.push_back(
            {location_of(v.source(), file),
             what + ".overflow must be \"block\", \"drop_oldest\" or \"drop_newest\"" +
                 (o ? did_you_mean(*o, choices) : "")});
        good = false;
      }
    } else {
      diagnostics.push_back(
          {location_of(v.source(), file), "unknown key '" + key + "' in " + what +
                                              did_you_mean(key, {"capacity", "overflow"}) +
                                              " (keys: capacity, overflow)"});
      good = false;
    }
  }
  return good ? std::optional<QueueSpec>(q) : std::nullopt;
}

NodeSpec read_node(const std::string& name, const toml::table& t, const std::string& file,
                   Diagnostics& diagnostics) {
  NodeSpec spec;
  spec.name = name;
  spec.where = location_of(t.source(), file);
  if (!is_identifier(name))
    diagnostics.push_back(
        {spec.where, "node name '" + name + "' may hold only letters, digits, '_' and '-'"});
  for (auto&& [k, v] : t) {
    const std::string key(k.str());
    const SourceLocation where = location_of(v.source(), file);
    if (key == "plugin") {
      if (auto p = v.value_exact<std::string>()) {
        spec.plugin = *p;
        spec.plugin_where = where;
      } else {
        diagnostics.push_back(
            {where, "node '" + name + "': plugin must be a string (a node type name)"});
      }
    } else if (key == "queue") {
      spec.queue = read_queue(v, "node '" + name + "' queue", file, diagnostics);
    } else if (key == "queues") {
      const toml::table* ports = v.as_table();
      if (!ports) {
        diagnostics.push_back({where, "node '" + name +
                                          "': queues must be a table of input port names, "
                                          "like queues = { frame = { capacity = 2 } }"});
        continue;
      }
      for (auto&& [port, q] : *ports) {
        const std::string port_name(port.str());
        if (auto spec_q =
                read_queue(q, "node '" + name + "' queues." + port_name, file, diagnostics))
          spec.port_queues[port_name] = {*spec_q, location_of(q.source(), file)};
      }
    } else if (key == "on_error") {
      auto o = v.value_exact<std::string>();
      if (o && *o == "fail")
        spec.on_error = OnError::kFail;
      else if (o && *o == "skip")
        spec.on_error = OnError::kSkip;
      else
        diagnostics.push_back({where, "node '" + name + "': on_error must be \"fail\" or \"skip\"" +
                                          (o ? did_you_mean(*o, {"fail", "skip"}) : "")});
    } else if (key == "replicas") {
      auto r = v.value_exact<int64_t>();
      if (!r || *r < 1 || *r > 256)
        diagnostics.push_back(
            {where, "node '" + name + "': replicas must be an integer from 1 to 256"});
      else
        spec.replicas = static_cast<int>(*r);
      spec.replicas_where = where;
    } else {
      auto value = to_param_value(v);
      if (!value) {
        diagnostics.push_back({where, "node '" + name + "': param '" + key + "' has a " +
                                          toml_type_name(v) +
                                          " value; params take booleans, numbers, strings and "
                                          "arrays of one of those"});
        continue;
      }
      spec.params[key] = {std::move(*value), toml_type_name(v), where};
    }
  }
  if (spec.plugin.empty() && spec.plugin_where.line == 0 && !t.contains("plugin"))
    diagnostics.push_back(
        {spec.where, "node '" + name + "' has no plugin = \"...\" naming its node type"});
  return spec;
}

// Applies one --set override to the parsed document.
void apply_override(toml::table& doc, const Override& o, Diagnostics& diagnostics) {
  const SourceLocation where{"--set " + o.text, 0, 0};
  const auto eq = o.text.find('=');
  if (eq == std::string::npos) {
    diagnostics.push_back({where, "expected KEY=VALUE, like nodes.src.frames=10"});
    return;
  }
  const std::string key = trim(o.text.substr(0, eq));
  const std::string value_text = trim(o.text.substr(eq + 1));
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  const bool node_key = parts.size() == 3 && parts[0] == "nodes";
  const bool pipeline_key = parts.size() == 2 && parts[0] == "pipeline";
  if (!node_key && !pipeline_key) {
    diagnostics.push_back({where, "the key must be nodes.NODE.PARAM or pipeline.KEY"});
    return;
  }
  toml::table* target = nullptr;
  if (node_key) {
    toml::table* nodes = doc["nodes"].as_table();
    target = nodes ? (*nodes)[parts[1]].as_table() : nullptr;
    if (!target) {
      std::vector<std::string> names;
      if (nodes)
        for (auto&& [k, v] : *nodes) names.emplace_back(k.str());
      diagnostics.push_back(
          {where, "no node '" + parts[1] + "' in the pipeline" + did_you_mean(parts[1], names)});
      return;
    }
  } else {
    if (!doc["pipeline"].as_table()) doc.insert("pipeline", toml::table{});
    target = doc["pipeline"].as_table();
  }
  // A TOML value when it reads as one; otherwise the text itself, as a string.
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value_text);
  } catch (const toml::parse_error&) {
    parsed = toml::table{};
    parsed.insert("v", value_text);
  }
  target->insert_or_assign(parts.back(), *parsed.get("v"));
}

}  // namespace

Result<std::string> expand_env(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const std::size_t end = text.find('}', i);
    if (end == std::string::npos) return invalid_argument("unclosed ${ in \"" + text + "\"");
    const std::string inner = text.substr(i + 2, end - i - 2);
    const std::size_t dflt = inner.find(":-");
    const std::string var = inner.substr(0, dflt);
    const char* value = std::getenv(var.c_str());
    if (value)
      out += value;
    else if (dflt != std::string::npos)
      out += inner.substr(dflt + 2);
    else
      return invalid_argument("environment variable '" + var + "' is not set (write ${" + var +
                              ":-default} to give a default)");
    i = end + 1;
  }
  return out;
}

std::vector<LinkSpec> parse_link_chain(const std::string& text, const SourceLocation& where,
                                       Diagnostics& diagnostics) {
  std::vector<LinkEnd> ends;
  std::size_t start = 0;
  while (true) {
    const std::size_t arrow = text.find("->", start);
    const std::string part =
        trim(text.substr(start, arrow == std::string::npos ? std::string::npos : arrow - start));
    LinkEnd end;
    end.where = where;
    const std::size_t dot = part.find('.');
    end.node = part.substr(0, dot);
    if (dot != std::string::npos) end.port = part.substr(dot + 1);
    if (!is_identifier(end.node) || (dot != std::string::npos && !is_identifier(end.port))) {
      diagnostics.push_back({where, "malformed link \"" + text +
                                        "\": write \"a -> b -> c\" or \"node.port -> node.port\""});
      return {};
    }
    ends.push_back(end);
    if (arrow == std::string::npos) break;
    start = arrow + 2;
  }
  if (ends.size() < 2) {
    diagnostics.push_back({where, "link \"" + text + "\" needs at least two nodes joined by ->"});
    return {};
  }
  std::vector<LinkSpec> links;
  for (std::size_t i = 0; i + 1 < ends.size(); ++i) {
    LinkSpec l{ends[i], ends[i + 1]};
    // In "a -> b.x -> c", b.x names the input b is entered by; b's output is its default.
    if (i > 0) l.from.port.clear();
    links.push_back(l);
  }
  return links;
}

Result<PipelineSpec> load_pipeline_text(const std::string& text, const std::string& file_name,
                                        const std::string& dir,
                                        const std::vector<Override>& overrides,
                                        Diagnostics& diagnostics) {
  toml::table doc;
  try {
    doc = toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    std::string message(e.description());
    if (message.find("redefinition") != std::string::npos ||
        message.find("redefine") != std::string::npos)
      message = "duplicate node or key: " + message;
    diagnostics.push_back({location_of(e.source(), file_name), "invalid TOML: " + message});
    return invalid_argument("invalid pipeline file");
  }
  for (const auto& o : overrides) apply_override(doc, o, diagnostics);
  expand_strings(doc, file_name, diagnostics);

  PipelineSpec spec;
  spec.file = file_name;
  spec.dir = dir;
  for (auto&& [k, v] : doc) {
    const std::string key(k.str());
    if (key != "pipeline" && key != "nodes")
      diagnostics.push_back({location_of(v.source(), file_name),
                             "unknown top-level key '" + key + "'" +
                                 did_you_mean(key, {"pipeline", "nodes"}) +
                                 " (expected [pipeline] and [nodes.NAME] tables)"});
  }
  const toml::table* pipeline = doc["pipeline"].as_table();
  if (!pipeline) {
    diagnostics.push_back({{file_name, 1, 1}, "no [pipeline] table (it holds name and links)"});
  } else {
    for (auto&& [k, v] : *pipeline) {
      const std::string key(k.str());
      const SourceLocation where = location_of(v.source(), file_name);
      if (key == "name") {
        if (auto n = v.value_exact<std::string>())
          spec.name = *n;
        else
          diagnostics.push_back({where, "pipeline.name must be a string"});
      } else if (key == "links") {
        const toml::array* links = v.as_array();
        if (!links) {
          diagnostics.push_back(
              {where, "pipeline.links must be an array of strings like \"a -> b\""});
          continue;
        }
        for (const auto& l : *links) {
          auto s = l.value_exact<std::string>();
          if (!s) {
            diagnostics.push_back(
                {location_of(l.source(), file_name), "each link must be a string like \"a -> b\""});
            continue;
          }
          for (auto& link : parse_link_chain(*s, location_of(l.source(), file_name), diagnostics))
            spec.links.push_back(std::move(link));
        }
      } else if (key == "plugin_path") {
        const toml::array* dirs = v.as_array();
        if (!dirs) {
          diagnostics.push_back({where, "pipeline.plugin_path must be an array of folder paths"});
          continue;
        }
        for (const auto& d : *dirs) {
          auto s = d.value_exact<std::string>();
          if (!s) {
            diagnostics.push_back(
                {location_of(d.source(), file_name), "each plugin_path entry must be a string"});
            continue;
          }
          fs::path p(*s);
          spec.plugin_path.push_back(
              p.is_absolute() ? p.string() : (fs::path(dir) / p).lexically_normal().string());
        }
      } else if (key == "http") {
        if (auto h = v.value_exact<std::string>())
          spec.http = *h;
        else
          diagnostics.push_back(
              {where,
               "pipeline.http must be a string like \"127.0.0.1:8080\" (where sluice "
               "serves its metrics and control API)"});
      } else {
        diagnostics.push_back(
            {where, "unknown key '" + key + "' in [pipeline]" +
                        did_you_mean(key, {"name", "links", "plugin_path", "http"}) +
                        " (keys: name, links, plugin_path, http)"});
      }
    }
  }
  const toml::node_view<toml::node> nodes_view = doc["nodes"];
  if (nodes_view && !nodes_view.is_table()) {
    diagnostics.push_back({location_of(nodes_view.node()->source(), file_name),
                           "nodes must be a table of [nodes.NAME] tables"});
  } else if (const toml::table* nodes = nodes_view.as_table()) {
    for (auto&& [k, v] : *nodes) {
      const std::string name(k.str());
      if (const toml::table* t = v.as_table())
        spec.nodes.push_back(read_node(name, *t, file_name, diagnostics));
      else
        diagnostics.push_back({location_of(v.source(), file_name),
                               "nodes." + name + " must be a table ([nodes." + name + "])"});
    }
    // Report nodes in the order they appear in the file.
    std::stable_sort(
        spec.nodes.begin(), spec.nodes.end(),
        [](const NodeSpec& a, const NodeSpec& b) { return a.where.line < b.where.line; });
  }
  if (spec.nodes.empty() && diagnostics.empty())
    diagnostics.push_back({{file_name, 1, 1}, "the pipeline has no nodes ([nodes.NAME] tables)"});
  if (!diagnostics.empty()) return invalid_argument("invalid pipeline file");
  return spec;
}

Result<PipelineSpec> load_pipeline_file(const std::string& path,
                                        const std::vector<Override>& overrides,
                                        Diagnostics& diagnostics) {
  std::ifstream in(path, std::ios::binary);
  if (!in || !fs::is_regular_file(path)) {
    diagnostics.push_back(
        {{path, 0, 0},
         "cannot read the pipeline file: " +
             std::string(fs::exists(path) ? "permission denied or not a file" : "no such file")});
    return not_found("cannot read " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string dir = fs::absolute(path).parent_path().string();
  return load_pipeline_text(ss.str(), path, dir, overrides, diagnostics);
}

}  // namespace sluice::runtime
