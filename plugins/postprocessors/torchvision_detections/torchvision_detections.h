// Turns the results of torchvision's detection models (Faster R-CNN, RetinaNet, SSD,
// Mask R-CNN: a dict per image of boxes, scores, labels and masks) into Detections on the
// source frame, with instance masks.
//
//   links = ["model.out -> det.boxes", "model.out1 -> det.scores", "model.out2 -> det.labels",
//            "model.out3 -> det.masks"]
//   [nodes.model]
//   plugin = "torchscript"
//   input = "image_list"
//   output_keys = ["boxes", "scores", "labels", "masks"]
//   [nodes.det]
//   plugin = "torchvision_detections"
//   min_score = 0.5
#pragma once

#include "labels.h"
#include "sluice/sluice.h"

namespace sluice::postprocessors {

class TorchvisionDetections final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "torchvision_detections",
      .kind = NodeKind::kPostprocessor,
      .description =
          "torchvision detectors' boxes, scores, labels (and masks) to Detections "
          "on the source frame.",
      .stateless = true};
  static constexpr Input<Tensor> kBoxes{"boxes", "[K, 4] x1, y1, x2, y2 in model-input pixels"};
  static constexpr Input<Tensor> kScores{"scores", "[K] scores"};
  static constexpr Input<Tensor> kLabels{"labels", "[K] class ids (int64)"};
  static constexpr Input<Tensor> kMasks{
      .name = "masks",
      .description = "Mask R-CNN's [K, 1, H, W] probabilities at the input's size",
      .required = false};
  static constexpr Output<Detections> kOut{"out", "detections in source-frame pixels, best first"};
  static inline const Param<double> kMinScore{.name = "min_score",
                                              .default_value = 0.5,
                                              .description = "lowest score kept",
                                              .min = 0.0,
                                              .max = 1.0};
  static inline const Param<double> kMaskThreshold{
      .name = "mask_threshold",
      .default_value = 0.5,
      .description = "a pixel is in an instance mask when its probability is at least this",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<std::string> kLabelFile{
      .name = "label_file",
      .default_value = "",
      .description = "one class name per line, line i naming class i (COCO's 91 ids with gaps)",
      .is_path = true};
  SLUICE_CONTRACT(kInfo, kBoxes, kScores, kLabels, kMasks, kOut, kMinScore, kMaskThreshold,
                  kLabelFile);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;

 private:
  float min_score_ = 0.5f;
  float mask_threshold_ = 0.5f;
  std::vector<std::string> names_;
};

}  // namespace sluice::postprocessors
