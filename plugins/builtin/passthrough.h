// Forwards every packet unchanged (zero-copy): a placeholder stage, and the unit of the
// runtime's overhead benchmark.
//
//   [nodes.pass]
//   plugin = "passthrough"
#pragma once

#include "sluice/sluice.h"

namespace sluice::builtin {

class Passthrough final : public Node {
 public:
  static constexpr NodeInfo kInfo{"passthrough", NodeKind::kOther,
                                  "Forwards every packet unchanged.", true};
  static constexpr Input<Any> kIn{"in", "any packets"};
  static constexpr Output<Any> kOut{"out", "the same packets", "in"};
  SLUICE_CONTRACT(kInfo, kIn, kOut);

  Status process(Context& ctx) override {
    ctx.forward(kOut, ctx.take(kIn));
    return ok();
  }
};

}  // namespace sluice::builtin
