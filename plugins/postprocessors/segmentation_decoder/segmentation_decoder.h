// Turns a segmentation model's output into a SegmentationMask: per-pixel argmax over
// classes, or a threshold on a single probability channel.
//
//   [nodes.mask]
//   plugin = "segmentation_decoder"
//   layout = "NHWC"            # [1, H, W, C]; or "NCHW" for [1, C, H, W]
//   threshold = 0.5            # one channel: foreground where p >= threshold
//   labels = ["background", "person"]
#pragma once

#include <cstring>

#include "sluice/sluice.h"
#include "tensor_view.h"

namespace sluice::postprocessors {

class SegmentationDecoder final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "segmentation_decoder",
      .kind = NodeKind::kPostprocessor,
      .description = "Probabilities or class scores to a SegmentationMask (argmax or threshold).",
      .stateless = true};
  static constexpr Input<Tensor> kIn{
      "in", "[1, H, W, C] (NHWC) or [1, C, H, W] (NCHW) scores of one image"};
  static constexpr Output<SegmentationMask> kOut{
      "out", "class id per pixel (CV_8U), in the input's geometry"};
  static inline const Param<std::string> kLayout{
      .name = "layout",
      .default_value = "auto",
      .description =
          "where the class dimension is; auto: the smaller of the first and last of the "
          "map's three dimensions (an error when they are equal)",
      .choices = {"auto", "NHWC", "NCHW"}};
  static inline const Param<double> kThreshold{
      .name = "threshold",
      .default_value = 0.5,
      .description = "one channel: class 1 where p >= threshold",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<std::vector<std::string>> kLabels{
      .name = "labels",
      .default_value = {"background", "foreground"},
      .description = "class names, by id"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kLayout, kThreshold, kLabels);

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  std::string layout_ = "auto";
  float threshold_ = 0.5f;
  std::vector<std::string> labels_;
  bool labels_set_ = false;  // by the pipeline, rather than the default pair
};

}  // namespace sluice::postprocessors
