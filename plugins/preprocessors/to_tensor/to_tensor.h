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

namespace sluice::preproc {

class ToTensor final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "to_tensor", NodeKind::kPreprocessor,
      "Frames to a [1,C,H,W] or [1,H,W,C] tensor: float32 (pixel*scale - mean)/std, or uint8.",
      true};
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

  Status open(const Params& p) override {
    uint8_ = p.get(kDType) == "uint8";
    nchw_ = p.get(kLayout) == "NCHW";
    scale_ = p.get(kScale);
    mean_ = p.get(kMean);
    std_ = p.get(kStd);
    if (uint8_ && (scale_ != 1.0 || !mean_.empty() || !std_.empty()))
      return invalid_argument(
          "dtype = \"uint8\" keeps raw pixel values: scale, mean and std need dtype = "
          "\"float32\"");
    if (mean_.size() > 4 || std_.size() > 4)
      return invalid_argument("mean and std take one value per channel (at most 4), not " +
                              std::to_string(std::max(mean_.size(), std_.size())));
    if (!mean_.empty() && !std_.empty() && mean_.size() != std_.size())
      return invalid_argument("mean has " + std::to_string(mean_.size()) + " values but std has " +
                              std::to_string(std_.size()));
    for (double s : std_)
      if (s == 0) return invalid_argument("std has a 0: it divides");
    return ok();
  }

  Status process(Context& ctx) override {
    const Frame& in = ctx.get(kIn);
    SLUICE_RETURN_IF_ERROR(check_frame(in));
    const cv::Mat& src = in.image;
    const int c = src.channels(), h = src.rows, w = src.cols;
    for (const auto* list : {&mean_, &std_})
      if (list->size() > 1 && static_cast<int>(list->size()) != c)
        return invalid_argument(std::string(list == &mean_ ? "mean" : "std") + " has " +
                                std::to_string(list->size()) + " values but the frame has " +
                                channels_text(c) + " (" + to_string(in.format) + ")");
    if (uint8_ && src.depth() != CV_8U)
      return invalid_argument("dtype = \"uint8\" needs 8U pixels; the frame's are " +
                              depth_text(src.depth()));

    const int depth = uint8_ ? CV_8U : CV_32F;
    Tensor t =
        new_tensor(uint8_ ? DType::kUInt8 : DType::kFloat32,
                   nchw_ ? std::vector<int64_t>{1, c, h, w} : std::vector<int64_t>{1, h, w, c}, h);
    if (nchw_) {
      // One H x W plane per channel, written in place inside the tensor's memory.
      std::vector<cv::Mat> planes;
      const std::size_t plane_bytes = static_cast<std::size_t>(h) * w * CV_ELEM_SIZE(depth);
      for (int i = 0; i < c; ++i)
        planes.emplace_back(h, w, depth, static_cast<unsigned char*>(t.data) + i * plane_bytes);
      if (uint8_) {
        cv::split(src, planes);
      } else if (c == 1) {
        src.convertTo(planes[0], CV_32F, alpha(0), beta(0));
      } else {
        // Splitting the narrow pixels first and widening each plane once is the cheapest
        // order: every pass but the last touches 1-byte values.
        std::vector<cv::Mat> narrow;
        cv::split(src, narrow);
        for (int i = 0; i < c; ++i) narrow[i].convertTo(planes[i], CV_32F, alpha(i), beta(i));
      }
    } else {
      cv::Mat dst(h, w, CV_MAKETYPE(depth, c), t.data);
      if (uint8_) {
        src.copyTo(dst);
      } else if (uniform(c)) {
        src.convertTo(dst, CV_32F, alpha(0), beta(0));
      } else {
        src.convertTo(dst, CV_32F);
        cv::Scalar a, b;
        for (int i = 0; i < c; ++i) {
          a[i] = alpha(i);
          b[i] = beta(i);
        }
        cv::multiply(dst, a, dst);
        cv::add(dst, b, dst);
      }
    }
    ctx.send(kOut, std::move(t));
    return ok();
  }

 private:
  // out = in * alpha + beta, the same as (in * scale - mean) / std.
  double mean_of(int i) const { return mean_.empty() ? 0.0 : mean_[mean_.size() == 1 ? 0 : i]; }
  double std_of(int i) const { return std_.empty() ? 1.0 : std_[std_.size() == 1 ? 0 : i]; }
  double alpha(int i) const { return scale_ / std_of(i); }
  double beta(int i) const { return -mean_of(i) / std_of(i); }
  // True when every channel is scaled and shifted alike (one convertTo does it all).
  bool uniform(int channels) const {
    for (int i = 1; i < channels; ++i)
      if (alpha(i) != alpha(0) || beta(i) != beta(0)) return false;
    return true;
  }

  // A CPU tensor whose memory is not zeroed first (every element is written) and is
  // aligned as OpenCV's vector code likes it.
  static Tensor new_tensor(DType dtype, std::vector<int64_t> shape, int rows) {
    Tensor t;
    t.dtype = dtype;
    t.shape = std::move(shape);
    // `rows` x (the rest): each within int even for the largest frames.
    auto storage = std::make_shared<cv::Mat>(
        rows, static_cast<int>(t.nbytes() / static_cast<std::size_t>(rows)), CV_8U);
    t.data = storage->data;
    t.buffer = std::shared_ptr<void>(storage, storage->data);
    return t;
  }

  bool uint8_ = false, nchw_ = true;
  double scale_ = 1;
  std::vector<double> mean_, std_;
};

}  // namespace sluice::preproc
