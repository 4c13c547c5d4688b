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

namespace sluice::preprocessors {

class Letterbox final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "letterbox",
      .kind = NodeKind::kPreprocessor,
      .description = "Scales frames to fit size = [W, H] keeping the aspect ratio, pads the rest.",
      .stateless = true};
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

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  cv::Size size_;
  double pad_value_ = 114;
  bool centre_ = true, upscale_ = true;
  int interpolation_ = cv::INTER_LINEAR;
};

}  // namespace sluice::preprocessors
