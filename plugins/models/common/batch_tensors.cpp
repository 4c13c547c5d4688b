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

}  // namespace sluice::models
