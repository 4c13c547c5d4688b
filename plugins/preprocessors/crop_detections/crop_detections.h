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

namespace sluice::preproc {

class CropDetections final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "crop_detections", NodeKind::kPreprocessor,
      "Crops each detection from the source frame: one Frame sub-packet per crop.", true};
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

  Status open(const Params& p) override {
    expand_ = p.get(kExpand);
    square_ = p.get(kSquare);
    min_size_ = p.get(kMinSize);
    return ok();
  }

  Status process(Context& ctx) override {
    const Detections& in = ctx.get(kIn);
    const PacketHeader& header = ctx.header();
    if (header.sub_index >= 0)
      return invalid_argument("the detections are a sub-packet already (sub_index " +
                              std::to_string(header.sub_index) +
                              "): crops of crops are not supported");
    Detections cropped;
    std::vector<cv::Rect> rects;
    if (!in.items.empty()) {
      if (!header.source_frame)
        return invalid_argument(
            "the detections carry no source frame to crop from (header.source_frame is empty): "
            "they must come from a chain that starts at a source's frames");
      const cv::Size frame = header.source_frame->image.size();
      int64_t small = 0, outside = 0, invalid = 0;
      for (const Detection& d : in.items) {
        const cv::Rect2f& b = d.box;
        if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.width) ||
            !std::isfinite(b.height) || b.width < 0 || b.height < 0) {
          ++invalid;
          continue;
        }
        if (b.width < min_size_ || b.height < min_size_) {
          ++small;
          continue;
        }
        const cv::Rect r = crop_rect(b, frame);
        if (r.empty()) {
          ++outside;
          continue;
        }
        cropped.items.push_back(d);
        rects.push_back(r);
      }
      if (small) ctx.add_to_counter("skipped_small", small);
      if (outside) ctx.add_to_counter("skipped_outside", outside);
      if (invalid) ctx.add_to_counter("skipped_invalid", invalid);
    }
    ctx.send(kCropped, std::move(cropped));
    const auto count = static_cast<int32_t>(rects.size());
    for (int32_t i = 0; i < count; ++i) {
      PacketHeader h = header;
      h.sub_index = i;
      h.sub_count = count;
      // Crops come from the source frame itself, whatever the detections' own transform.
      h.transform = Affine2D::scale_translate(1, 1, -rects[i].x, -rects[i].y);
      ctx.send(kCrops, Frame{header.source_frame->image(rects[i]), header.source_frame->format},
               std::move(h));
    }
    return ok();
  }

 private:
  // The pixels a box covers once expanded (and squared), widened to whole pixels and
  // clamped to the frame; empty when nothing of it is inside.
  cv::Rect crop_rect(const cv::Rect2f& box, cv::Size frame) const {
    const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
    double w = box.width * expand_, h = box.height * expand_;
    if (square_) w = h = std::max(w, h);
    // Clamp as doubles first: a huge box must not overflow the int conversion.
    const auto clamp = [](double v, int hi) {
      return static_cast<int>(std::clamp(v, 0.0, 1.0 * hi));
    };
    const int x0 = clamp(std::floor(cx - w / 2), frame.width);
    const int x1 = clamp(std::ceil(cx + w / 2), frame.width);
    const int y0 = clamp(std::floor(cy - h / 2), frame.height);
    const int y1 = clamp(std::ceil(cy + h / 2), frame.height);
    return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
  }

  double expand_ = 1, min_size_ = 0;
  bool square_ = false;
};

}  // namespace sluice::preproc
