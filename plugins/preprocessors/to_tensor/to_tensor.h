// Turns frames into model input: a Tensor of shape [1, C, H, W] (NCHW) or [1, H, W, C]
// (NHWC), float32 as (pixel * scale - mean[c]) / std[c], or the raw uint8 pixels.
//
// Channels keep the frame's order: a BGR frame gives B, G, R planes, and mean/std are in
// that order too. For a model trained on RGB (every torchvision model), put
// color_convert (to = "RGB") before this node. The header, and so the transform that
// maps tensor pixels back onto the source frame, is the frame's.
//
//   [nodes.tensor]
//   plugin = "to_tensor"
//   dtype = "float32"
//   layout = "NCHW"
//   scale = 0.00392156862745098      # 1/255: pixels to [0, 1], as torchvision's ToTensor
//   mean = [0.485, 0.456, 0.406]     # ImageNet, RGB order
//   std = [0.229, 0.224, 0.225]
#pragma once

#include <algorithm>
#include <memory>
#include <opencv2/core.hpp>

#include "preproc.h"
#include "sluice/sluice.h"

namespace sluice::preprocessors {

class ToTensor final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "to_tensor",
      .kind = NodeKind::kPreprocessor,
      .description =
          "Frames to a [1,C,H,W] or [1,H,W,C] tensor: float32 (pixel*scale - mean)/std, or uint8.",
      .stateless = true};
  static constexpr Input<Frame> kIn{"in", "frames (8U; 16U and 32F for float32 too)"};
  static constexpr Output<Tensor> kOut{
      "out", "one tensor per frame, batch dimension 1, channels in the frame's order"};
  static inline const Param<std::string> kDType{
      .name = "dtype",
      .default_value = "float32",
      .description = "element type; uint8 keeps raw pixels (no scale, mean or std)",
      .choices = {"float32", "uint8"}};
  static inline const Param<std::string> kLayout{
      .name = "layout",
      .default_value = "NCHW",
      .description = "NCHW: planes (PyTorch); NHWC: interleaved (as the frame)",
      .choices = {"NCHW", "NHWC"}};
  static inline const Param<double> kScale{
      .name = "scale",
      .default_value = 1.0,
      .description = "pixels are multiplied by this first (1/255 = 0.00392156862745098)",
      .min = 0.0};
  static inline const Param<std::vector<double>> kMean{
      .name = "mean",
      .default_value = {},
      .description =
          "subtracted after scale, per channel in the frame's order (one value: "
          "all channels); empty: 0"};
  static inline const Param<std::vector<double>> kStd{
      .name = "std",
      .default_value = {},
      .description =
          "divides after mean, per channel in the frame's order (one value: all "
          "channels); empty: 1"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kDType, kLayout, kScale, kMean, kStd);

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  // out = in * alpha + beta, the same as (in * scale - mean) / std.
  double mean_of(int i) const { return mean_.empty() ? 0.0 : mean_[mean_.size() == 1 ? 0 : i]; }
  double std_of(int i) const { return std_.empty() ? 1.0 : std_[std_.size() == 1 ? 0 : i]; }
  double alpha(int i) const { return scale_ / std_of(i); }
  double beta(int i) const { return -mean_of(i) / std_of(i); }
  // True when every channel is scaled and shifted alike (one convertTo does it all).
  bool uniform(int channels) const;

  // A CPU tensor whose memory is not zeroed first (every element is written) and is
  // aligned as OpenCV's vector code likes it.
  static Tensor new_tensor(DType dtype, std::vector<int64_t> shape, int rows);

  bool uint8_ = false, nchw_ = true;
  double scale_ = 1;
  std::vector<double> mean_, std_;
};

}  // namespace sluice::preprocessors
