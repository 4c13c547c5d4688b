// Accepts and discards every packet.
//
//   [nodes.out]
//   plugin = "null_sink"
#pragma once

#include "sluice/sluice.h"

namespace sluice::builtin {

class NullSink final : public Node {
 public:
  static constexpr NodeInfo kInfo{.type = "null_sink",
                                  .kind = NodeKind::kSink,
                                  .description = "Discards every packet.",
                                  .stateless = true};
  static constexpr Input<Any> kIn{"in", "any packets"};
  SLUICE_CONTRACT(kInfo, kIn);

  Status process(Context&) override { return ok(); }
};

}  // namespace sluice::builtin
