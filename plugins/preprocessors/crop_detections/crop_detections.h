// Crops every detection out of the full source frame, for a second model (a classifier
// on each face, each car): one Frame sub-packet per crop.
//
// Crop i of a frame is item i of the `cropped` Detections sent for the same frame: the
// detections that got a crop, in crop order. Detections smaller than min_size, or that
// fall outside the frame, get none and are left out of `cropped` (and counted). Feed
// `cropped` and the classifier's results to attach_classifications to put each crop's
// classes back onto its detection:
//
//   links = ["detector -> crop", "crop.crops -> classifier -> attach.classes",
//            "crop.cropped -> attach.detections", "attach -> sink"]
//
//   [nodes.crop]
//   plugin = "crop_detections"
//   expand = 1.2      # each box grown by 20% about its centre
//   square = true     # then made square (the longer side)
//   min_size = 16     # boxes narrower or shorter than 16 source pixels get no crop
//
// A crop is a view of the source frame's pixels (no copy), clamped to the frame; its
// header has sub_index = i, sub_count = the number of crops of this frame, and transform =
// source-frame pixels -> crop pixels. A frame with no crops sends only `cropped` (empty).
#pragma once

#include <algorithm>
#include <cmath>

#include "preproc.h"
#include "sluice/sluice.h"

namespace sluice::preprocessors {

class CropDetections final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "crop_detections",
      .kind = NodeKind::kPreprocessor,
      .description = "Crops each detection from the source frame: one Frame sub-packet per crop.",
      .stateless = true};
  static constexpr Input<Detections> kIn{
      "detections", "boxes in source-frame pixels; crops come from the header's source frame"};
  static constexpr Output<Frame> kCrops{
      "crops",
      "one sub-packet per crop (sub_index i = item i of `cropped`); transform: source "
      "frame -> crop"};
  static constexpr Output<Detections> kCropped{
      "cropped",
      "for every frame, the detections that got a crop, in crop order (for "
      "attach_classifications)"};
  static inline const Param<double> kExpand{
      .name = "expand",
      .default_value = 1.0,
      .description = "each box's width and height are multiplied by this, about its centre",
      .min = 0.01,
      .max = 100.0};
  static inline const Param<bool> kSquare{
      .name = "square",
      .default_value = false,
      .description = "after expand, grow the shorter side to the longer (before clamping)"};
  static inline const Param<double> kMinSize{
      .name = "min_size",
      .default_value = 0.0,
      .description =
          "boxes narrower or shorter than this (source pixels, before expand) get no "
          "crop; counted as skipped_small",
      .min = 0.0};
  SLUICE_CONTRACT(kInfo, kIn, kCrops, kCropped, kExpand, kSquare, kMinSize);

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  // The pixels a box covers once expanded (and squared), widened to whole pixels and
  // clamped to the frame; empty when nothing of it is inside.
  cv::Rect crop_rect(const cv::Rect2f& box, cv::Size frame) const;

  double expand_ = 1, min_size_ = 0;
  bool square_ = false;
};

}  // namespace sluice::preprocessors
