#include "tensor_blob.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

namespace sluice::onnx {
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

std::vector<int64_t> blob_shape(const cv::Mat& blob) {
  std::vector<int64_t> shape;
  for (int i = 0; i < blob.dims; ++i) shape.push_back(blob.size[i]);
  return shape;
}

Result<cv::Mat> concat_rows(const std::vector<const Tensor*>& parts) {
  if (parts.empty()) return invalid_argument("no input tensors");
  const std::vector<int64_t>& first = parts[0]->shape;
  if (first.empty())
    return invalid_argument("input tensor has no dimensions; the batch is dimension 0");
  int64_t rows = 0;
  for (const Tensor* t : parts) {
    if (t->device.kind != Device::Kind::kCPU)
      return invalid_argument("input tensor is not on the CPU");
    if (!t->data) return invalid_argument("input tensor has no data");
    if (t->shape.size() != first.size() ||
        !std::equal(first.begin() + 1, first.end(), t->shape.begin() + 1))
      return invalid_argument("the tensors of a batch differ after dimension 0: " +
                              shape_text(first) + " and " + shape_text(t->shape));
    rows += t->shape[0];
  }
  std::vector<int> sizes;
  for (std::size_t i = 0; i < first.size(); ++i) {
    const int64_t d = i == 0 ? rows : first[i];
    if (d > INT_MAX)
      return invalid_argument("input dimension " + std::to_string(d) + " is too large for OpenCV");
    sizes.push_back(static_cast<int>(d));
  }
  const int dims = static_cast<int>(sizes.size());
  if (parts.size() == 1 && parts[0]->dtype == DType::kFloat32)
    return cv::Mat(dims, sizes.data(), CV_32F, parts[0]->data);  // setInput copies it
  cv::Mat blob(dims, sizes.data(), CV_32F);
  float* at = blob.ptr<float>();
  for (const Tensor* t : parts) {
    SLUICE_RETURN_IF_ERROR(to_float(*t, at));
    at += t->numel();
  }
  return blob;
}

std::shared_ptr<const cv::Mat> own_output(const cv::Mat& out) {
  auto owned = std::make_shared<cv::Mat>();
  const int depth = out.depth();
  if (depth == CV_32F || depth == CV_32S || depth == CV_8U)
    out.copyTo(*owned);
  else
    out.convertTo(*owned, CV_32F);
  return owned;
}

Result<Tensor> rows_of(const std::shared_ptr<const cv::Mat>& blob, int64_t start, int64_t rows) {
  Tensor t;
  switch (blob->depth()) {
    case CV_32F:
      t.dtype = DType::kFloat32;
      break;
    case CV_32S:
      t.dtype = DType::kInt32;
      break;
    case CV_8U:
      t.dtype = DType::kUInt8;
      break;
    default:
      return invalid_argument("model output of OpenCV depth " + std::to_string(blob->depth()));
  }
  t.shape = blob_shape(*blob);
  if (t.shape.empty() || start < 0 || start + rows > t.shape[0])
    return invalid_argument("output rows " + std::to_string(start) + ".." +
                            std::to_string(start + rows) + " are outside its shape " +
                            shape_text(t.shape));
  const std::size_t row_bytes =
      blob->total() / static_cast<std::size_t>(t.shape[0]) * blob->elemSize();
  t.shape[0] = rows;
  uchar* base = const_cast<uchar*>(blob->data);  // shared read-only, as packets are
  t.data = base + static_cast<std::size_t>(start) * row_bytes;
  t.buffer = std::shared_ptr<void>(std::const_pointer_cast<cv::Mat>(blob), base);
  return t;
}

}  // namespace sluice::onnx
