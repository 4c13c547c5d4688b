// Param<T> declares one parameter of a node; Params holds the checked values a node opens with.
//
// The runtime checks every value against its declaration (type, range, choices) before
// any node opens, and fills in defaults, so `params.get(kX)` in `open` never fails.
//
//   static inline const sluice::Param<int> kFrames{
//       .name = "frames", .default_value = 100, .description = "frames per stream", .min = 0};
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace sluice {

enum class ParamType { kBool, kInt, kFloat, kString, kIntList, kFloatList, kStringList };
const char* to_string(ParamType t);

using ParamValue =
    std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<int64_t>,
                 std::vector<double>, std::vector<std::string>>;

template <class T>
struct Param {
  const char* name;
  T default_value{};
  const char* description = "";
  std::optional<double> min{};  // numbers, and each element of a number list
  std::optional<double> max{};
  std::vector<std::string> choices{};  // strings, and each element of a string list
  bool required = false;               // no default: the pipeline must set it
  bool is_path = false;                // a file path, resolved relative to the pipeline file
};

namespace detail {
template <class T>
constexpr ParamType param_type_of() {
  if constexpr (std::is_same_v<T, bool>)
    return ParamType::kBool;
  else if constexpr (std::is_integral_v<T>)
    return ParamType::kInt;
  else if constexpr (std::is_floating_point_v<T>)
    return ParamType::kFloat;
  else if constexpr (std::is_same_v<T, std::string>)
    return ParamType::kString;
  else if constexpr (std::is_same_v<T, std::vector<std::string>>)
    return ParamType::kStringList;
  else if constexpr (std::is_integral_v<typename T::value_type>)
    return ParamType::kIntList;
  else
    return ParamType::kFloatList;
}
template <class T>
ParamValue to_param_value(const T& v) {
  if constexpr (std::is_same_v<T, bool>)
    return v;
  else if constexpr (std::is_integral_v<T>)
    return static_cast<int64_t>(v);
  else if constexpr (std::is_floating_point_v<T>)
    return static_cast<double>(v);
  else if constexpr (std::is_same_v<T, std::string>)
    return v;
  else if constexpr (std::is_same_v<T, std::vector<std::string>>)
    return v;
  else if constexpr (std::is_integral_v<typename T::value_type>)
    return std::vector<int64_t>(v.begin(), v.end());
  else
    return std::vector<double>(v.begin(), v.end());
}
}  // namespace detail

// The values a node opens with: every declared param, checked, defaults filled in.
class Params {
 public:
  template <class T>
  T get(const Param<T>& p) const {
    const ParamValue& v = raw(p.name);
    if constexpr (std::is_same_v<T, bool>)
      return std::get<bool>(v);
    else if constexpr (std::is_integral_v<T>)
      return static_cast<T>(std::get<int64_t>(v));
    else if constexpr (std::is_floating_point_v<T>)
      return static_cast<T>(std::get<double>(v));
    else if constexpr (std::is_same_v<T, std::string>)
      return std::get<std::string>(v);
    else if constexpr (std::is_same_v<T, std::vector<std::string>>)
      return std::get<std::vector<std::string>>(v);
    else if constexpr (std::is_integral_v<typename T::value_type>) {
      const auto& l = std::get<std::vector<int64_t>>(v);
      return T(l.begin(), l.end());
    } else {
      const auto& l = std::get<std::vector<double>>(v);
      return T(l.begin(), l.end());
    }
  }
  // True when the pipeline file set it (rather than the default applying).
  bool is_set(const char* name) const { return explicitly_set_.count(name) > 0; }

  const ParamValue& raw(const std::string& name) const;
  void set(const std::string& name, ParamValue v, bool explicitly_set);
  const std::map<std::string, ParamValue>& values() const { return values_; }

 private:
  std::map<std::string, ParamValue> values_;
  std::set<std::string> explicitly_set_;
};

// Text of a value as it would be written in TOML (for `sluice inspect` and errors).
std::string to_toml_text(const ParamValue& v);

}  // namespace sluice
