// Accepts and discards every packet.
//
//   [nodes.out]
//   plugin = "null_sink"
#pragma once

#include "sluice/sluice.h"

namespace sluice::builtin {

class NullSink final : public Node {
 public:
  static constexpr NodeInfo kInfo{"null_sink", NodeKind::kSink, "Discards every packet.", true};
  static constexpr Input<Any> kIn{"in", "any packets"};
  SLUICE_CONTRACT(kInfo, kIn);

  Status process(Context&) override { return ok(); }
};

}  // namespace sluice::builtin
