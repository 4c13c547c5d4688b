// Converts frames to BGR, RGB or GRAY from whatever PixelFormat they carry (BGR, RGB,
// GRAY, BGRA, RGBA), and says so in Frame::format. Frames already in the target format
// pass through unchanged (no copy). Geometry is unchanged.
//
//   [nodes.rgb]
//   plugin = "color_convert"
//   to = "RGB"       # most PyTorch models are trained on RGB; OpenCV decodes BGR
#pragma once

#include <opencv2/imgproc.hpp>

#include "preproc.h"
#include "sluice/sluice.h"

namespace sluice::preproc {

class ColorConvert final : public Node {
 public:
  static constexpr NodeInfo kInfo{"color_convert", NodeKind::kPreprocessor,
                                  "Converts frames to BGR, RGB or GRAY.", true};
  static constexpr Input<Frame> kIn{"in", "frames in any pixel format"};
  static constexpr Output<Frame> kOut{"out", "frames in the `to` format"};
  static inline const Param<std::string> kTo{.name = "to",
                                             .description = "the pixel format wanted",
                                             .choices = {"BGR", "RGB", "GRAY"},
                                             .required = true};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kTo);

  Status open(const Params& p) override {
    const std::string to = p.get(kTo);
    to_ = to == "RGB" ? PixelFormat::kRGB : to == "GRAY" ? PixelFormat::kGRAY : PixelFormat::kBGR;
    return ok();
  }

  Status process(Context& ctx) override {
    const Frame& in = ctx.get(kIn);
    SLUICE_RETURN_IF_ERROR(check_frame(in));
    if (in.format == to_) {
      ctx.forward(kOut, ctx.take(kIn));
      return ok();
    }
    Frame out;
    out.format = to_;
    cv::cvtColor(in.image, out.image, code(in.format, to_));
    ctx.send(kOut, std::move(out));  // same header: pixels moved nowhere
    return ok();
  }

 private:
  // The cv::cvtColor code from `from` to `to` (which differ; `to` is BGR, RGB or GRAY).
  static int code(PixelFormat from, PixelFormat to) {
    switch (from) {
      case PixelFormat::kBGR:
        return to == PixelFormat::kRGB ? cv::COLOR_BGR2RGB : cv::COLOR_BGR2GRAY;
      case PixelFormat::kRGB:
        return to == PixelFormat::kBGR ? cv::COLOR_RGB2BGR : cv::COLOR_RGB2GRAY;
      case PixelFormat::kGRAY:
        return to == PixelFormat::kBGR ? cv::COLOR_GRAY2BGR : cv::COLOR_GRAY2RGB;
      case PixelFormat::kBGRA:
        return to == PixelFormat::kBGR   ? cv::COLOR_BGRA2BGR
               : to == PixelFormat::kRGB ? cv::COLOR_BGRA2RGB
                                         : cv::COLOR_BGRA2GRAY;
      case PixelFormat::kRGBA:
        return to == PixelFormat::kBGR   ? cv::COLOR_RGBA2BGR
               : to == PixelFormat::kRGB ? cv::COLOR_RGBA2RGB
                                         : cv::COLOR_RGBA2GRAY;
    }
    return cv::COLOR_BGR2RGB;
  }

  PixelFormat to_ = PixelFormat::kRGB;
};

}  // namespace sluice::preproc
