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

namespace sluice::preprocessors {

class ColorConvert final : public Node {
 public:
  static constexpr NodeInfo kInfo{.type = "color_convert",
                                  .kind = NodeKind::kPreprocessor,
                                  .description = "Converts frames to BGR, RGB or GRAY.",
                                  .stateless = true};
  static constexpr Input<Frame> kIn{"in", "frames in any pixel format"};
  static constexpr Output<Frame> kOut{"out", "frames in the `to` format"};
  static inline const Param<std::string> kTo{.name = "to",
                                             .description = "the pixel format wanted",
                                             .choices = {"BGR", "RGB", "GRAY"},
                                             .required = true};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kTo);

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  // The cv::cvtColor code from `from` to `to` (which differ; `to` is BGR, RGB or GRAY).
  static int code(PixelFormat from, PixelFormat to);

  PixelFormat to_ = PixelFormat::kRGB;
};

}  // namespace sluice::preprocessors
