// Forwards every packet after sleeping: models a slow stage (a model on a busy device).
//
//   [nodes.slow]
//   plugin = "delay"
//   ms = 25            # per packet
//   jitter_ms = 10     # plus a random 0..10 ms, to test reordering under replicas
//   replicas = 4
#pragma once

#include <chrono>
#include <random>
#include <thread>

#include "sluice/sluice.h"

namespace sluice::builtin {

class Delay final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "delay",
      .kind = NodeKind::kOther,
      .description = "Forwards every packet after sleeping ms (+ jitter).",
      .stateless = true};
  static constexpr Input<Any> kIn{"in", "any packets"};
  static constexpr Output<Any> kOut{
      .name = "out", .description = "the same packets, later", .same_type_as = "in"};
  static inline const Param<double> kMs{.name = "ms",
                                        .default_value = 10.0,
                                        .description = "milliseconds per packet",
                                        .min = 0.0,
                                        .max = 60000.0};
  static inline const Param<double> kJitterMs{.name = "jitter_ms",
                                              .default_value = 0.0,
                                              .description = "plus a uniform random 0..jitter_ms",
                                              .min = 0.0,
                                              .max = 60000.0};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kMs, kJitterMs);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;

 private:
  double ms_ = 10, jitter_ms_ = 0;
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace sluice::builtin
