#include "to_tensor.h"

namespace sluice::preprocessors {

Status ToTensor::open(const Params& p) {
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

Status ToTensor::process(Context& ctx) {
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

bool ToTensor::uniform(int channels) const {
  for (int i = 1; i < channels; ++i)
    if (alpha(i) != alpha(0) || beta(i) != beta(0)) return false;
  return true;
}

Tensor ToTensor::new_tensor(DType dtype, std::vector<int64_t> shape, int rows) {
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

}  // namespace sluice::preprocessors

SLUICE_EXPORT_NODES(sluice::preprocessors::ToTensor)
