// Crops the centre of frames to size = [W, H], exactly as torchvision's CenterCrop does:
// top = round((H_in - H) / 2), left = round((W_in - W) / 2) with Python's round (halves
// to even). A crop larger than the frame is an error, or with pad = true the frame is
// padded first as torchvision does (the odd pixel right/bottom). Records the offset.
//
//   [nodes.crop]
//   plugin = "center_crop"
//   size = [224, 224]        # or [224]
//   pad = false
#pragma once

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "preproc.h"
#include "sluice/sluice.h"

namespace sluice::preproc {

class CenterCrop final : public Node {
 public:
  static constexpr NodeInfo kInfo{"center_crop", NodeKind::kPreprocessor,
                                  "Crops the centre of frames to size = [W, H] (torchvision "
                                  "CenterCrop).",
                                  true};
  static constexpr Input<Frame> kIn{"in", "frames"};
  static constexpr Output<Frame> kOut{
      "out",
      "W x H frames (views of the input's pixels unless padded); transform records "
      "the offset"};
  static inline const Param<std::vector<int>> kSize{
      .name = "size",
      .description = "crop [width, height], or [side] for a square",
      .min = 1,
      .max = 16384,
      .required = true};
  static inline const Param<bool> kPad{
      .name = "pad",
      .default_value = false,
      .description =
          "pad frames smaller than size (as torchvision); false: such a frame is an "
          "error"};
  static inline const Param<double> kPadValue{.name = "pad_value",
                                              .default_value = 0.0,
                                              .description = "value of every padded channel",
                                              .min = 0.0,
                                              .max = 65535.0};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kSize, kPad, kPadValue);

  Status open(const Params& p) override {
    SLUICE_ASSIGN_OR_RETURN(size_, size_param(p.get(kSize), kSize.name, true));
    pad_ = p.get(kPad);
    pad_value_ = p.get(kPadValue);
    return ok();
  }

  Status process(Context& ctx) override {
    const Frame& in = ctx.get(kIn);
    SLUICE_RETURN_IF_ERROR(check_frame(in));
    const cv::Size from = in.image.size();
    if (from == size_) {  // nothing to crop: forward the same packet
      ctx.forward(kOut, ctx.take(kIn));
      return ok();
    }
    const bool too_small = size_.width > from.width || size_.height > from.height;
    if (too_small && !pad_)
      return invalid_argument("the crop " + size_text(size_) + " is larger than the frame " +
                              size_text(from) + "; set pad = true to pad such frames");
    const Axis x = axis(from.width, size_.width), y = axis(from.height, size_.height);

    Frame out;
    out.format = in.format;
    // The part of the frame inside the crop: a view, no copy (packets are immutable).
    const cv::Mat kept = in.image(cv::Rect(x.first, y.first, x.length, y.length));
    if (too_small)
      cv::copyMakeBorder(kept, out.image, y.pad_before, y.pad_after, x.pad_before, x.pad_after,
                         cv::BORDER_CONSTANT, cv::Scalar::all(pad_value_));
    else
      out.image = kept;
    const Affine2D step =
        Affine2D::scale_translate(1, 1, x.pad_before - x.first, y.pad_before - y.first);
    ctx.send(kOut, std::move(out), with_step(ctx.header(), step));
    return ok();
  }

 private:
  // One axis of the crop: which input pixels it keeps, and the padding around them.
  struct Axis {
    int first = 0, length = 0, pad_before = 0, pad_after = 0;
  };
  // torchvision's center_crop on one axis: pad (crop - in) // 2 before and the rest after
  // when the crop is larger; else start at round((in - crop) / 2).
  static Axis axis(int in, int crop) {
    if (crop >= in) return {0, in, (crop - in) / 2, (crop - in + 1) / 2};
    return {round_half_even((in - crop) / 2.0), crop, 0, 0};
  }

  cv::Size size_;
  bool pad_ = false;
  double pad_value_ = 0;
};

}  // namespace sluice::preproc
