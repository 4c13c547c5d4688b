#include "param_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "framework_keys.h"

namespace fs = std::filesystem;

namespace sluice::runtime {
namespace {

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
      std::vector<std::string> candidates = framework_key_names();
      for (const ParamSpec& param : contract.params) candidates.push_back(param.name);
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

}  // namespace sluice::runtime
