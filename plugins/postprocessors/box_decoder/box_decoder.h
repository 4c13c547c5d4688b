// Turns a detector's box table into Detections on the source frame: rows of
// [x1, y1, x2, y2, score, class, then `keypoints` (x, y) pairs] in model-input pixels.
// The models of scripts/models give such tables: CenterNet [N, 100, 6], BlazeFace
// [N, 896, 18] (anchors already decoded: keypoints = 6).
//
//   [nodes.decode]
//   plugin = "box_decoder"
//   min_score = 0.3
//   labels = "../assets/models/coco80_labels.txt"
//   keypoints = 0
#pragma once

#include "labels.h"
#include "sluice/sluice.h"
#include "tensor_view.h"

namespace sluice::postprocessors {

class BoxDecoder final : public Node {
 public:
  static constexpr NodeInfo kInfo{.type = "box_decoder",
                                  .kind = NodeKind::kPostprocessor,
                                  .description =
                                      "Box table rows (x1, y1, x2, y2, score, class, keypoints) to "
                                      "Detections on the source frame.",
                                  .stateless = true};
  static constexpr Input<Tensor> kIn{
      "in", "detections table of one image: [1, N, 6 + 2K] or [N, 6 + 2K]"};
  static constexpr Output<Detections> kOut{"out", "detections in source-frame pixels, best first"};
  static inline const Param<double> kMinScore{.name = "min_score",
                                              .default_value = 0.3,
                                              .description = "lowest score kept",
                                              .min = 0.0,
                                              .max = 1.0};
  static inline const Param<std::string> kLabels{.name = "labels",
                                                 .default_value = "",
                                                 .description = "label file: line i names class i",
                                                 .is_path = true};
  static inline const Param<bool> kNormalized{
      .name = "normalized",
      .default_value = false,
      .description = "coordinates are 0..1 of the input instead of pixels"};
  static inline const Param<std::vector<int64_t>> kInputSize{
      .name = "input_size",
      .default_value = {512, 512},
      .description = "model input [W, H], for normalized coordinates",
      .min = 1};
  static inline const Param<int> kKeypoints{.name = "keypoints",
                                            .default_value = 0,
                                            .description = "(x, y) pairs after the class column",
                                            .min = 0,
                                            .max = 1000};
  static inline const Param<std::vector<std::string>> kNames{
      .name = "names",
      .default_value = {},
      .description = "class names by id, instead of a labels file"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kMinScore, kLabels, kNames, kNormalized, kInputSize,
                  kKeypoints);

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  float min_score_ = 0.3f, scale_x_ = 1, scale_y_ = 1;
  bool normalized_ = false;
  int keypoints_ = 0;
  std::vector<std::string> labels_;
};

}  // namespace sluice::postprocessors
