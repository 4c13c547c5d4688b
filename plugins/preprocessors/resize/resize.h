// Resizes frames to a fixed size, or so that the shorter side gets a given length with
// the aspect ratio kept (torchvision's Resize(N)); records the scale on the header.
//
//   [nodes.resize]
//   plugin = "resize"
//   shorter_side = 256        # or: size = [640, 480]
//   interpolation = "linear"  # nearest, linear, cubic, area, lanczos
#pragma once

#include <opencv2/imgproc.hpp>

#include "preproc.h"
#include "sluice/sluice.h"

namespace sluice::preprocessors {

class Resize final : public Node {
 public:
  // shorter_side on a very thin image could ask for an absurd longer side.
  static constexpr int kMaxSide = 32768;
  static constexpr NodeInfo kInfo{
      .type = "resize",
      .kind = NodeKind::kPreprocessor,
      .description =
          "Resizes frames to size = [W, H], or so the shorter side is shorter_side (aspect kept).",
      .stateless = true};
  static constexpr Input<Frame> kIn{"in", "frames"};
  static constexpr Output<Frame> kOut{"out",
                                      "resized frames; the header's transform records the scale"};
  static inline const Param<std::vector<int>> kSize{
      .name = "size",
      .default_value = {},
      .description = "output [width, height]; or set shorter_side instead",
      .min = 1,
      .max = 16384};
  static inline const Param<int> kShorterSide{
      .name = "shorter_side",
      .default_value = 0,
      .description =
          "the shorter side becomes this and the longer int(N * long / short), as "
          "torchvision's Resize(N); 0: use size",
      .min = 0,
      .max = 16384};
  static inline const Param<int> kMaxSize{
      .name = "max_size",
      .default_value = 0,
      .description =
          "with shorter_side: the longer side is at most this (torchvision's "
          "max_size); 0: no limit",
      .min = 0,
      .max = 16384};
  static inline const Param<std::string> kInterpolation{.name = "interpolation",
                                                        .default_value = "linear",
                                                        .description = "how pixels are resampled",
                                                        .choices = kInterpolations};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kSize, kShorterSide, kMaxSize, kInterpolation);

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

  // The output size for an input of `from`: torchvision's _compute_resized_output_size.
  cv::Size target(cv::Size from) const;

 private:
  cv::Size size_;
  int shorter_side_ = 0, max_size_ = 0;
  int interpolation_ = cv::INTER_LINEAR;
};

}  // namespace sluice::preprocessors
