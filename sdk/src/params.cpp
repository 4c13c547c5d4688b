// Params storage and the TOML spelling of values (for inspect and error messages).
#include "sluice/params.h"

#include <sstream>
#include <stdexcept>

#include "sluice/contract.h"

namespace sluice {

const char* to_string(ParamType t) {
  switch (t) {
    case ParamType::kBool:
      return "bool";
    case ParamType::kInt:
      return "int";
    case ParamType::kFloat:
      return "float";
    case ParamType::kString:
      return "string";
    case ParamType::kIntList:
      return "int list";
    case ParamType::kFloatList:
      return "float list";
    case ParamType::kStringList:
      return "string list";
  }
  return "?";
}

const ParamValue& Params::raw(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end())
    throw std::logic_error("param '" + name + "' is not declared in this node's contract");
  return it->second;
}

void Params::set(const std::string& name, ParamValue v, bool explicitly_set) {
  values_[name] = std::move(v);
  if (explicitly_set) explicitly_set_.insert(name);
}

namespace {
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}
std::string number_text(double d) {
  std::ostringstream os;
  os << d;
  std::string s = os.str();
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}
template <class L, class F>
std::string list_text(const L& l, F f) {
  std::string out = "[";
  for (std::size_t i = 0; i < l.size(); ++i) out += (i ? ", " : "") + f(l[i]);
  return out + "]";
}
}  // namespace

std::string to_toml_text(const ParamValue& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "(required)"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return number_text(d); }
    std::string operator()(const std::string& s) const { return quoted(s); }
    std::string operator()(const std::vector<int64_t>& l) const {
      return list_text(l, [](int64_t i) { return std::to_string(i); });
    }
    std::string operator()(const std::vector<double>& l) const { return list_text(l, number_text); }
    std::string operator()(const std::vector<std::string>& l) const { return list_text(l, quoted); }
  };
  return std::visit(Visitor{}, v);
}

const char* to_string(NodeKind k) {
  switch (k) {
    case NodeKind::kSource:
      return "source";
    case NodeKind::kPreprocessor:
      return "preprocessor";
    case NodeKind::kModel:
      return "model";
    case NodeKind::kPostprocessor:
      return "postprocessor";
    case NodeKind::kSink:
      return "sink";
    case NodeKind::kOther:
      return "other";
  }
  return "other";
}

namespace {
template <class V>
auto find_named(const V& v, std::string_view name) -> decltype(&v[0]) {
  for (const auto& x : v)
    if (x.name == name) return &x;
  return nullptr;
}
}  // namespace

const PortSpec* Contract::find_input(std::string_view n) const { return find_named(inputs, n); }
const PortSpec* Contract::find_output(std::string_view n) const { return find_named(outputs, n); }
const ParamSpec* Contract::find_param(std::string_view n) const { return find_named(params, n); }

}  // namespace sluice
