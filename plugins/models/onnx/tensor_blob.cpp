#include "tensor_blob.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

namespace sluice::models {
namespace {

template <class T>
void widen(const void* from, float* to, int64_t n) {
  const T* src = static_cast<const T*>(from);
  for (int64_t i = 0; i < n; ++i) to[i] = static_cast<float>(src[i]);
}

// Writes `t`'s elements as float32 at `to`.
Status to_float(const Tensor& t, float* to) {
  const int64_t n = t.numel();
  switch (t.dtype) {
    case DType::kFloat32:
      std::memcpy(to, t.data, static_cast<std::size_t>(n) * sizeof(float));
      return ok();
    case DType::kUInt8:
      widen<uint8_t>(t.data, to, n);
      return ok();
    case DType::kInt32:
      widen<int32_t>(t.data, to, n);
      return ok();
    case DType::kInt64:
      widen<int64_t>(t.data, to, n);
      return ok();
    case DType::kFloat16: {
      if (n > INT_MAX) return invalid_argument("input tensor too large");
      cv::Mat half(1, static_cast<int>(n), CV_16F, t.data);
      cv::Mat wide(1, static_cast<int>(n), CV_32F, to);
      half.convertTo(wide, CV_32F);
      return ok();
    }
  }
  return invalid_argument("input tensor has an unknown dtype");
}

}  // namespace

Result<cv::Mat> to_blob(const Tensor& t) {
  if (t.device.kind != Device::Kind::kCPU)
    return invalid_argument("input tensor is not on the CPU");
  if (!t.data) return invalid_argument("input tensor has no data");
  std::vector<int> sizes;
  for (const int64_t d : t.shape) {
    if (d > INT_MAX)
      return invalid_argument("input dimension " + std::to_string(d) + " is too large for OpenCV");
    sizes.push_back(static_cast<int>(d));
  }
  if (sizes.empty()) sizes.push_back(1);
  const int dims = static_cast<int>(sizes.size());
  if (t.dtype == DType::kFloat32) return cv::Mat(dims, sizes.data(), CV_32F, t.data);
  cv::Mat blob(dims, sizes.data(), CV_32F);
  SLUICE_RETURN_IF_ERROR(to_float(t, blob.ptr<float>()));
  return blob;
}

Result<Tensor> to_tensor(const cv::Mat& out) {
  auto owned = std::make_shared<cv::Mat>();
  const int depth = out.depth();
  if (depth == CV_32F || depth == CV_32S || depth == CV_8U)
    out.copyTo(*owned);
  else
    out.convertTo(*owned, CV_32F);
  Tensor t;
  switch (owned->depth()) {
    case CV_32F:
      t.dtype = DType::kFloat32;
      break;
    case CV_32S:
      t.dtype = DType::kInt32;
      break;
    default:
      t.dtype = DType::kUInt8;
      break;
  }
  for (int i = 0; i < owned->dims; ++i) t.shape.push_back(owned->size[i]);
  t.data = owned->data;
  t.buffer = std::shared_ptr<void>(owned, owned->data);
  return t;
}

}  // namespace sluice::models
