// Non-maximum suppression: keeps the best of overlapping detections.
//
//   [nodes.nms]
//   plugin = "nms"
//   iou_threshold = 0.45
//   class_agnostic = false   # true: boxes of different classes suppress each other too
//   max_detections = 100
//   method = "hard"          # or "weighted": blend each cluster, score-weighted (BlazeFace)
#pragma once

#include <algorithm>
#include <numeric>

#include "sluice/sluice.h"

namespace sluice::postprocessors {

class Nms final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "nms",
      .kind = NodeKind::kPostprocessor,
      .description = "Non-maximum suppression, class-wise or class-agnostic, hard or weighted.",
      .stateless = true};
  static constexpr Input<Detections> kIn{"in", "detections, any order"};
  static constexpr Output<Detections> kOut{"out", "kept detections, best first"};
  static inline const Param<double> kIou{
      .name = "iou_threshold",
      .default_value = 0.45,
      .description = "overlap (IoU) above which the weaker box is suppressed",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<bool> kAgnostic{
      .name = "class_agnostic",
      .default_value = false,
      .description = "suppress across classes (else only within a class)"};
  static inline const Param<int> kMax{.name = "max_detections",
                                      .default_value = 100,
                                      .description = "most detections kept",
                                      .min = 1,
                                      .max = 100000};
  static inline const Param<std::string> kMethod{
      .name = "method",
      .default_value = "hard",
      .description = "hard: drop suppressed boxes; weighted: blend each cluster by score",
      .choices = {"hard", "weighted"}};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kIou, kAgnostic, kMax, kMethod);

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  // The cluster's best detection with box and landmarks averaged, weighted by score.
  static Detection blend(const std::vector<Detection>& in, const std::vector<std::size_t>& cluster);

  float iou_ = 0.45f;
  bool agnostic_ = false;
  int max_ = 100;
  bool weighted_ = false;
};

}  // namespace sluice::postprocessors
