// Payload helpers that need no template: names, sizes, Tensor <-> cv::Mat bridges.
#include "sluice/payloads.h"

#include <cstring>
#include <numeric>

namespace sluice {

const char* to_string(PixelFormat f) {
  switch (f) {
    case PixelFormat::kBGR:
      return "BGR";
    case PixelFormat::kRGB:
      return "RGB";
    case PixelFormat::kGRAY:
      return "GRAY";
    case PixelFormat::kBGRA:
      return "BGRA";
    case PixelFormat::kRGBA:
      return "RGBA";
  }
  return "?";
}

const char* to_string(DType t) {
  switch (t) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat16:
      return "float16";
    case DType::kUInt8:
      return "uint8";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
  }
  return "?";
}

std::size_t element_size(DType t) {
  switch (t) {
    case DType::kFloat32:
      return 4;
    case DType::kFloat16:
      return 2;
    case DType::kUInt8:
      return 1;
    case DType::kInt32:
      return 4;
    case DType::kInt64:
      return 8;
  }
  return 0;
}

std::string Device::to_string() const {
  return kind == Kind::kCPU ? "cpu" : "cuda:" + std::to_string(index);
}

int64_t Tensor::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

Tensor Tensor::zeros(DType dtype, std::vector<int64_t> shape) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  const std::size_t bytes = t.nbytes();
  std::shared_ptr<unsigned char[]> mem(new unsigned char[bytes > 0 ? bytes : 1]());
  t.data = mem.get();
  t.buffer = std::shared_ptr<void>(mem, mem.get());
  return t;
}

namespace {
DType dtype_of_depth(int depth) {
  switch (depth) {
    case CV_8U:
      return DType::kUInt8;
    case CV_32S:
      return DType::kInt32;
    case CV_16F:
      return DType::kFloat16;
    default:
      return DType::kFloat32;
  }
}
int depth_of_dtype(DType t) {
  switch (t) {
    case DType::kUInt8:
      return CV_8U;
    case DType::kInt32:
      return CV_32S;
    case DType::kFloat16:
      return CV_16F;
    case DType::kFloat32:
      return CV_32F;
    case DType::kInt64:
      return -1;
  }
  return -1;
}
}  // namespace

Tensor Tensor::from_mat(const cv::Mat& mat) {
  cv::Mat m = mat.isContinuous() ? mat : mat.clone();
  Tensor t;
  t.dtype = dtype_of_depth(m.depth());
  t.shape = {m.rows, m.cols, m.channels()};
  auto holder = std::make_shared<cv::Mat>(m);  // shares the Mat's reference-counted memory
  t.data = holder->data;
  t.buffer = std::shared_ptr<void>(holder, holder->data);
  return t;
}

cv::Mat Tensor::to_mat() const {
  const int depth = depth_of_dtype(dtype);
  if (depth < 0 || shape.empty()) return {};
  int rows = 1, cols = static_cast<int>(shape.back());
  if (shape.size() >= 2) {
    rows = static_cast<int>(shape[shape.size() - 2]);
    for (std::size_t i = 0; i + 2 < shape.size(); ++i)
      if (shape[i] != 1) return {};
  }
  return cv::Mat(rows, cols, CV_MAKETYPE(depth, 1), data);
}

}  // namespace sluice
