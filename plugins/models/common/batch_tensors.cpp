#include "batch_tensors.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "sluice/text.h"

namespace sluice::models {

Result<Tensor> concat_batch(const std::vector<const Tensor*>& parts) {
  if (parts.empty()) return invalid_argument("no input tensors");
  for (const Tensor* t : parts) {
    if (t->device.kind != Device::Kind::kCPU)
      return invalid_argument("input tensor is not on the CPU");
    if (!t->data && t->numel() > 0) return invalid_argument("input tensor has no data");
  }
  if (parts.size() == 1) return *parts[0];

  const Tensor& first = *parts[0];
  if (first.shape.empty())
    return invalid_argument("input tensor has no dimensions; the batch is dimension 0");
  int64_t rows = 0;
  for (const Tensor* t : parts) {
    if (t->dtype != first.dtype)
      return invalid_argument(std::string("the tensors of a batch differ in type: ") +
                              to_string(first.dtype) + " and " + to_string(t->dtype));
    if (t->shape.size() != first.shape.size() ||
        !std::equal(first.shape.begin() + 1, first.shape.end(), t->shape.begin() + 1))
      return invalid_argument("the tensors of a batch differ after dimension 0: " +
                              shape_text(first.shape) + " and " + shape_text(t->shape));
    rows += t->shape[0];
  }
  std::vector<int64_t> shape = first.shape;
  shape[0] = rows;
  Tensor batch = Tensor::zeros(first.dtype, std::move(shape));
  auto* at = static_cast<unsigned char*>(batch.data);
  for (const Tensor* t : parts) {
    std::memcpy(at, t->data, t->nbytes());
    at += t->nbytes();
  }
  return batch;
}

Result<Tensor> rows_of(const Tensor& t, int64_t start, int64_t rows) {
  if (t.shape.empty() || start < 0 || rows < 0 || start + rows > t.shape[0])
    return invalid_argument("rows " + std::to_string(start) + ".." + std::to_string(start + rows) +
                            " are outside the shape " + shape_text(t.shape));
  Tensor view = t;
  const std::size_t row_bytes =
      t.shape[0] == 0 ? 0 : t.nbytes() / static_cast<std::size_t>(t.shape[0]);
  view.shape[0] = rows;
  view.data = static_cast<unsigned char*>(t.data) + static_cast<std::size_t>(start) * row_bytes;
  return view;
}

Result<std::vector<int64_t>> padded_shape(const std::vector<const Tensor*>& parts) {
  if (parts.empty()) return invalid_argument("no input tensors");
  std::vector<int64_t> shape = parts[0]->shape;
  if (shape.empty())
    return invalid_argument("input tensor has no dimensions; the batch is dimension 0");
  for (const Tensor* t : parts) {
    if (t->dtype != parts[0]->dtype)
      return invalid_argument(std::string("the tensors of a batch differ in type: ") +
                              to_string(parts[0]->dtype) + " and " + to_string(t->dtype));
    if (t->shape.size() != shape.size())
      return invalid_argument(
          "the tensors of a batch differ in rank: " + shape_text(parts[0]->shape) + " and " +
          shape_text(t->shape) + "; padding needs one rank");
    for (std::size_t d = 1; d < shape.size(); ++d) shape[d] = std::max(shape[d], t->shape[d]);
  }
  return shape;
}

namespace {

// Calls copy(source offset, destination offset, count) for every run of the last
// dimension of `from` inside `to` (both row-major, the same rows), in elements.
template <class F>
void for_each_row_run(const std::vector<int64_t>& from, const std::vector<int64_t>& to, F copy) {
  const std::size_t rank = from.size();
  std::vector<int64_t> index(rank, 0);  // over all but the last dimension of `from`
  const int64_t run = from[rank - 1];
  int64_t runs = 1;
  for (std::size_t d = 0; d + 1 < rank; ++d) runs *= from[d];
  for (int64_t r = 0; r < runs; ++r) {
    int64_t src = 0, dst = 0;
    for (std::size_t d = 0; d + 1 < rank; ++d) {
      src = src * from[d] + index[d];
      dst = dst * to[d] + index[d];
    }
    copy(src * run, dst * to[rank - 1], run);
    for (std::size_t d = rank - 1; d-- > 0;) {  // next index, last dimension fastest
      if (++index[d] < from[d]) break;
      index[d] = 0;
    }
  }
}

template <class T>
void fill(Tensor& t, double value) {
  std::fill_n(t.as<T>(), t.numel(), static_cast<T>(value));
}

void fill_value(Tensor& t, double value) {
  switch (t.dtype) {
    case DType::kFloat32:
      fill<float>(t, value);
      break;
    case DType::kUInt8:
      fill<uint8_t>(t, value);
      break;
    case DType::kInt32:
      fill<int32_t>(t, value);
      break;
    case DType::kInt64:
      fill<int64_t>(t, value);
      break;
    case DType::kFloat16:
      break;  // pad_to refuses float16 before this
  }
}

}  // namespace

Result<Tensor> pad_to(const Tensor& t, const std::vector<int64_t>& shape, double value) {
  if (t.dtype == DType::kFloat16)
    return invalid_argument("padding a float16 tensor is not supported; pad float32");
  std::vector<int64_t> to = shape;
  to[0] = t.shape[0];
  if (to == t.shape) return t;
  Tensor out = Tensor::zeros(t.dtype, to);
  fill_value(out, value);
  if (t.numel() == 0) return out;
  const std::size_t size = element_size(t.dtype);
  const auto* src = static_cast<const unsigned char*>(t.data);
  auto* dst = static_cast<unsigned char*>(out.data);
  for_each_row_run(t.shape, to, [&](int64_t from, int64_t at, int64_t count) {
    std::memcpy(dst + at * size, src + from * size, static_cast<std::size_t>(count) * size);
  });
  return out;
}

Tensor padding_mask(const Tensor& t, const std::vector<int64_t>& shape, DType dtype) {
  std::vector<int64_t> to = shape;
  to[0] = t.shape[0];
  Tensor mask = Tensor::zeros(dtype, to);
  if (t.numel() == 0) return mask;
  Tensor ones = Tensor::zeros(dtype, t.shape);
  fill_value(ones, 1);
  const std::size_t size = element_size(dtype);
  const auto* src = static_cast<const unsigned char*>(ones.data);
  auto* dst = static_cast<unsigned char*>(mask.data);
  for_each_row_run(t.shape, to, [&](int64_t from, int64_t at, int64_t count) {
    std::memcpy(dst + at * size, src + from * size, static_cast<std::size_t>(count) * size);
  });
  return mask;
}

}  // namespace sluice::models
