// Forwards packets, and fails where told: at chosen frames, or in open or close; by an
// error Status or by throwing. For testing error handling.
//
//   [nodes.boom]
//   plugin = "fail"
//   at_frames = [17]       # seq numbers that fail (any stream)
//   how = "status"         # or "throw"
//   stage = "process"      # or "open", "close"
#pragma once

#include <algorithm>
#include <stdexcept>

#include "sluice/sluice.h"

namespace sluice::builtin {

class Fail final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "fail",
      .kind = NodeKind::kOther,
      .description = "Forwards packets; fails at chosen frames or stages.",
      .stateless = true};
  static constexpr Input<Any> kIn{"in", "any packets"};
  static constexpr Output<Any> kOut{
      .name = "out", .description = "the packets that did not fail", .same_type_as = "in"};
  static inline const Param<std::vector<int64_t>> kAtFrames{
      .name = "at_frames",
      .default_value = {},
      .description = "seq numbers at which process fails",
      .min = 0};
  static inline const Param<std::string> kHow{
      .name = "how",
      .default_value = "status",
      .description = "fail by returning an error or by throwing",
      .choices = {"status", "throw"}};
  static inline const Param<std::string> kStage{.name = "stage",
                                                .default_value = "process",
                                                .description = "where to fail",
                                                .choices = {"process", "open", "close"}};
  static inline const Param<std::string> kMessage{
      .name = "message",
      .default_value = "failure injected by the fail node",
      .description = "the error text"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kAtFrames, kHow, kStage, kMessage);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status close(Context&) override { return stage_ == "close" ? failure() : ok(); }

 private:
  Status failure() const;
  std::vector<int64_t> at_frames_;
  bool throw_ = false;
  std::string stage_ = "process";
  std::string message_;
};

}  // namespace sluice::builtin
