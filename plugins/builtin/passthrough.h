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
  static constexpr NodeInfo kInfo{.type = "passthrough",
                                  .kind = NodeKind::kOther,
                                  .description = "Forwards every packet unchanged.",
                                  .stateless = true};
  static constexpr Input<Any> kIn{"in", "any packets"};
  static constexpr Output<Any> kOut{
      .name = "out", .description = "the same packets", .same_type_as = "in"};
  SLUICE_CONTRACT(kInfo, kIn, kOut);

  Status process(Context& ctx) override;
};

}  // namespace sluice::builtin
