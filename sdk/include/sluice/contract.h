// A node type's contract: what it is, its ports and its params, declared once as
// constants at the top of the node class and read by the runtime (to check pipelines
// before they run), by `sluice inspect` (to print them) and by the Context (to find ports).
//
//   static constexpr sluice::NodeInfo kInfo{"score_filter", sluice::NodeKind::kPostprocessor,
//                                           "Keeps detections scoring at least min_score."};
//   static constexpr sluice::Input<sluice::Detections> kIn{"in", "detections to filter"};
//   static constexpr sluice::Output<sluice::Detections> kOut{"out", "kept, best first"};
//   static inline const sluice::Param<float> kMinScore{.name = "min_score", ...};
//   SLUICE_CONTRACT(kInfo, kIn, kOut, kMinScore);
//
// Name and description may be given in order; the flags are named, so that a contract
// reads as what it means:
//   static constexpr sluice::NodeInfo kInfo{.type = "resize", .kind =
//   sluice::NodeKind::kPreprocessor,
//                                           .description = "...", .stateless = true};
//   static constexpr sluice::Input<sluice::Frame> kMask{.name = "mask", .description = "...",
//                                                       .required = false};
//   static constexpr sluice::Output<sluice::Any> kOut{.name = "out", .description = "...",
//                                                     .same_type_as = "in"};
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/params.h"
#include "sluice/payloads.h"

namespace sluice {

enum class NodeKind { kSource, kPreprocessor, kModel, kPostprocessor, kSink, kOther };
const char* to_string(NodeKind k);

struct NodeInfo {
  const char* type;  // the name pipelines use: plugin = "score_filter"
  NodeKind kind;
  const char* description;  // one sentence
  // True when process() keeps no state between packets, so `replicas = N` may run
  // several instances in parallel.
  bool stateless = false;
};

template <class T>
struct Input {
  const char* name;
  const char* description;
  // An optional input may be left unconnected; once connected it is matched like any other.
  bool required = true;
  // Inputs are matched: process() gets one packet per connected input with the same
  // stream, seq and sub_index. A node whose inputs are all `matched = false` gets each
  // packet alone, as it arrives (for nodes that gather sub-packets themselves).
  bool matched = true;
};

template <class T>
struct Output {
  const char* name;
  const char* description;
  // For Output<Any>: the output carries whatever type this input receives (passthrough).
  const char* same_type_as = nullptr;
};

// The payload type name of an Any port, which takes and sends every type.
inline constexpr std::string_view kAnyType = PayloadName<Any>::value;

struct PortSpec {
  std::string name;
  std::string type;  // payload type name; kAnyType accepts every type
  std::string description;
  bool required = true;
  std::string same_type_as;  // outputs only
  bool matched = true;       // inputs only
};

struct ParamSpec {
  std::string name;
  ParamType type;
  ParamValue default_value;
  std::string description;
  std::optional<double> min, max;
  std::vector<std::string> choices;
  bool required = false;
  bool is_path = false;
};

struct Contract {
  std::string type;
  NodeKind kind = NodeKind::kOther;
  std::string description;
  bool stateless = false;
  std::vector<PortSpec> inputs;
  std::vector<PortSpec> outputs;
  std::vector<ParamSpec> params;

  const PortSpec* find_input(std::string_view name) const;
  const PortSpec* find_output(std::string_view name) const;
  const ParamSpec* find_param(std::string_view name) const;
};

namespace detail {
inline void add_to(Contract&) {}
template <class T, class... Rest>
void add_to(Contract& c, const Input<T>& in, const Rest&... rest);
template <class T, class... Rest>
void add_to(Contract& c, const Output<T>& out, const Rest&... rest);
template <class T, class... Rest>
void add_to(Contract& c, const Param<T>& p, const Rest&... rest);

template <class T, class... Rest>
void add_to(Contract& c, const Input<T>& in, const Rest&... rest) {
  c.inputs.push_back(
      {in.name, std::string(PayloadName<T>::value), in.description, in.required, "", in.matched});
  add_to(c, rest...);
}
template <class T, class... Rest>
void add_to(Contract& c, const Output<T>& out, const Rest&... rest) {
  c.outputs.push_back({out.name, std::string(PayloadName<T>::value), out.description, true,
                       out.same_type_as ? out.same_type_as : ""});
  add_to(c, rest...);
}
template <class T, class... Rest>
void add_to(Contract& c, const Param<T>& p, const Rest&... rest) {
  c.params.push_back({p.name, param_type_of<T>(),
                      p.required ? ParamValue{} : to_param_value(p.default_value), p.description,
                      p.min, p.max, p.choices, p.required, p.is_path});
  add_to(c, rest...);
}
}  // namespace detail

template <class... Items>
Contract make_contract(const NodeInfo& info, const Items&... items) {
  Contract c;
  c.type = info.type;
  c.kind = info.kind;
  c.description = info.description;
  c.stateless = info.stateless;
  detail::add_to(c, items...);
  return c;
}

}  // namespace sluice

// Declares the node class's contract from its port and param constants.
#define SLUICE_CONTRACT(info, ...) \
  static ::sluice::Contract contract() { return ::sluice::make_contract(info, __VA_ARGS__); }
