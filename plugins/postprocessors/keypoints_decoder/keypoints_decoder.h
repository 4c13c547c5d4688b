// Turns a pose model's keypoint table into Detections on the source frame: one detection
// per person, its keypoints as landmarks with their scores, its box the keypoints' extent.
// For single-pose models such as MoveNet (17 COCO keypoints), as scripts/models converts
// them: [1, K, 3] rows of x, y, score in model-input pixels (or [1, P, K, 3] for P people).
//
//   [nodes.pose]
//   plugin = "keypoints_decoder"
//   min_score = 0.2           # a person's mean keypoint score
//   keypoint_min_score = 0.3  # keypoints below it do not shape the box
#pragma once

#include "sluice/sluice.h"

namespace sluice::postprocessors {

class KeypointsDecoder final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "keypoints_decoder",
      .kind = NodeKind::kPostprocessor,
      .description = "Keypoint tables (x, y, score per keypoint) to one Detection per person.",
      .stateless = true};
  static constexpr Input<Tensor> kIn{
      "in", "[1, K, 3] or [1, P, K, 3]: x, y, score per keypoint, in model-input pixels"};
  static constexpr Output<Detections> kOut{
      "out", "a detection per person: landmarks, landmark_scores, the keypoints' box"};
  static inline const Param<double> kMinScore{
      .name = "min_score",
      .default_value = 0.2,
      .description = "lowest mean keypoint score of a person kept",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<double> kKeypointMinScore{
      .name = "keypoint_min_score",
      .default_value = 0.3,
      .description = "keypoints scoring less are left out of the person's box",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<std::string> kLabel{
      .name = "label", .default_value = "person", .description = "the label of every detection"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kMinScore, kKeypointMinScore, kLabel);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;

 private:
  float min_score_ = 0.2f;
  float keypoint_min_score_ = 0.3f;
  std::string label_ = "person";
};

}  // namespace sluice::postprocessors
