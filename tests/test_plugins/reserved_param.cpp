// A node type with a param named like a key the pipeline file keeps for every node
// (`queue`): the loader refuses it, since no pipeline could ever set that param.
#include "sluice/sluice.h"

class Reserved final : public sluice::Node {
 public:
  static constexpr sluice::NodeInfo kInfo{"reserved", sluice::NodeKind::kSink, "Reserved name."};
  static constexpr sluice::Input<sluice::Any> kIn{"in", "anything"};
  static inline const sluice::Param<int> kQueue{
      .name = "queue", .default_value = 8, .description = "collides with the node's queue"};
  SLUICE_CONTRACT(kInfo, kIn, kQueue);
  sluice::Status process(sluice::Context&) override { return sluice::ok(); }
};
SLUICE_EXPORT_NODES(Reserved)
