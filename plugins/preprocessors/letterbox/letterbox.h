// Scales frames to fit size = [W, H] with the aspect ratio kept, and pads the rest with
// pad_value (YOLO-style letterboxing); records scale and offset on the header.
//
//   [nodes.letterbox]
//   plugin = "letterbox"
//   size = [640, 640]
//   pad_value = 114          # grey, as YOLO models are trained with
//   align = "center"         # or "top_left": the image at (0, 0), padding right/bottom
//   upscale = true           # false: smaller frames are only padded, never enlarged
#pragma once

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "preproc.h"
#include "sluice/sluice.h"

namespace sluice::preproc {

class Letterbox final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "letterbox", NodeKind::kPreprocessor,
      "Scales frames to fit size = [W, H] keeping the aspect ratio, pads the rest.", true};
  static constexpr Input<Frame> kIn{"in", "frames"};
  static constexpr Output<Frame> kOut{
      "out", "W x H frames; the header's transform records scale and padding offset"};
  static inline const Param<std::vector<int>> kSize{.name = "size",
                                                    .description = "output [width, height]",
                                                    .min = 1,
                                                    .max = 16384,
                                                    .required = true};
  static inline const Param<double> kPadValue{
      .name = "pad_value",
      .default_value = 114.0,
      .description = "value of every channel of the padding (114: YOLO's grey)",
      .min = 0.0,
      .max = 65535.0};
  static inline const Param<std::string> kAlign{
      .name = "align",
      .default_value = "center",
      .description =
          "where the scaled image sits: centred (padding split evenly, the odd "
          "pixel right/bottom) or at the top left",
      .choices = {"center", "top_left"}};
  static inline const Param<bool> kUpscale{
      .name = "upscale",
      .default_value = true,
      .description = "enlarge frames smaller than size; false: only pad them"};
  static inline const Param<std::string> kInterpolation{.name = "interpolation",
                                                        .default_value = "linear",
                                                        .description = "how pixels are resampled",
                                                        .choices = kInterpolations};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kSize, kPadValue, kAlign, kUpscale, kInterpolation);

  Status open(const Params& p) override {
    SLUICE_ASSIGN_OR_RETURN(size_, size_param(p.get(kSize), kSize.name, false));
    pad_value_ = p.get(kPadValue);
    centre_ = p.get(kAlign) == "center";
    upscale_ = p.get(kUpscale);
    interpolation_ = interpolation_flag(p.get(kInterpolation));
    return ok();
  }

  Status process(Context& ctx) override {
    const Frame& in = ctx.get(kIn);
    SLUICE_RETURN_IF_ERROR(check_frame(in));
    const cv::Size from = in.image.size();
    if (from == size_) {  // already fits exactly: forward the same packet, no copy
      ctx.forward(kOut, ctx.take(kIn));
      return ok();
    }
    double s = std::min(static_cast<double>(size_.width) / from.width,
                        static_cast<double>(size_.height) / from.height);
    if (!upscale_) s = std::min(s, 1.0);
    // As YOLO's letterbox: int(round(side * s)), at least one pixel, at most the target.
    const cv::Size scaled(std::clamp(round_half_even(from.width * s), 1, size_.width),
                          std::clamp(round_half_even(from.height * s), 1, size_.height));
    const int pad_x = size_.width - scaled.width, pad_y = size_.height - scaled.height;
    const int left = centre_ ? pad_x / 2 : 0, top = centre_ ? pad_y / 2 : 0;

    Frame out;
    out.format = in.format;
    out.image = cv::Mat(size_, in.image.type(), cv::Scalar::all(pad_value_));
    // Resize straight into the image's place inside the padded canvas: no second copy.
    cv::Mat place = out.image(cv::Rect(cv::Point(left, top), scaled));
    if (scaled == from)
      in.image.copyTo(place);
    else
      cv::resize(in.image, place, scaled, 0, 0, interpolation_);
    // The per-axis scales actually applied (rounding makes them differ slightly from s).
    const Affine2D step =
        Affine2D::scale_translate(static_cast<double>(scaled.width) / from.width,
                                  static_cast<double>(scaled.height) / from.height, left, top);
    ctx.send(kOut, std::move(out), with_step(ctx.header(), step));
    return ok();
  }

 private:
  cv::Size size_;
  double pad_value_ = 114;
  bool centre_ = true, upscale_ = true;
  int interpolation_ = cv::INTER_LINEAR;
};

}  // namespace sluice::preproc
