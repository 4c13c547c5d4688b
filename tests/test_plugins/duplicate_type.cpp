// Declares "passthrough" again: clashes with the built-in plugin.
#include "sluice/sluice.h"

class AnotherPassthrough final : public sluice::Node {
 public:
  static constexpr sluice::NodeInfo kInfo{"passthrough", sluice::NodeKind::kOther, "A clash."};
  static constexpr sluice::Input<sluice::Any> kIn{"in", "any"};
  SLUICE_CONTRACT(kInfo, kIn);
  sluice::Status process(sluice::Context&) override { return sluice::ok(); }
};
SLUICE_EXPORT_NODES(AnotherPassthrough)
