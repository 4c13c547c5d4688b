// Thresholds: keeps detections scoring at least `min_score`; turns a probability map into
// a binary mask.
//
//   [nodes.keep]
//   plugin = "threshold"
//   min_score = 0.5                  # in (Detections) -> out
//
//   [nodes.person]
//   plugin = "threshold"
//   mask_threshold = 0.5             # probabilities ([1,H,W,1], [1,1,H,W] map) -> mask
//   # links: "segmenter -> person.probabilities", "person.mask -> overlay.mask"
//   labels = ["background", "person"]
#pragma once

#include "sluice/sluice.h"

namespace sluice::postprocessors {

class Threshold final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "threshold",
      .kind = NodeKind::kPostprocessor,
      .description = "Score threshold on detections; probability map to binary mask.",
      .stateless = true};
  static constexpr Input<Detections> kDetectionsIn{
      .name = "in", .description = "detections to filter", .required = false};
  static constexpr Input<Tensor> kProbabilitiesIn{
      .name = "probabilities",
      .description = "one probability map: [H, W] with any dimensions of 1 around it",
      .required = false};
  static constexpr Output<Detections> kDetectionsOut{"out", "detections scoring >= min_score"};
  static constexpr Output<SegmentationMask> kMaskOut{"mask",
                                                     "1 where probability >= mask_threshold"};
  static inline const Param<double> kMinScore{.name = "min_score",
                                              .default_value = 0.5,
                                              .description = "lowest detection score kept",
                                              .min = 0.0,
                                              .max = 1.0};
  static inline const Param<double> kMaskThreshold{
      .name = "mask_threshold",
      .default_value = 0.5,
      .description = "lowest probability counted as foreground",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<std::vector<std::string>> kLabels{
      .name = "labels",
      .default_value = {"background", "foreground"},
      .description = "names of mask values 0 and 1"};
  SLUICE_CONTRACT(kInfo, kDetectionsIn, kProbabilitiesIn, kDetectionsOut, kMaskOut, kMinScore,
                  kMaskThreshold, kLabels);

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  float min_score_ = 0.5f, mask_threshold_ = 0.5f;
  std::vector<std::string> labels_;
};

}  // namespace sluice::postprocessors
