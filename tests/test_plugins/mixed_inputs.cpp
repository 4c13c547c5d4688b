// A node type whose inputs are partly matched, partly not: the loader refuses it.
#include "sluice/sluice.h"

class Mixed final : public sluice::Node {
 public:
  static constexpr sluice::NodeInfo kInfo{"mixed", sluice::NodeKind::kOther, "Mixed inputs."};
  static constexpr sluice::Input<sluice::Any> kA{"a", "matched"};
  static constexpr sluice::Input<sluice::Any> kB{
      .name = "b", .description = "not matched", .matched = false};
  SLUICE_CONTRACT(kInfo, kA, kB);
  sluice::Status process(sluice::Context&) override { return sluice::ok(); }
};
SLUICE_EXPORT_NODES(Mixed)
