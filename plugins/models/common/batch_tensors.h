// The tensor work of a model node's batch path, on the SDK's host tensors: the packets of
// a batch joined along dimension 0 for one forward pass, and each packet's rows of a
// result handed back as a view (no copy).
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/payloads.h"
#include "sluice/status.h"

namespace sluice::models {

// One tensor holding `parts` one after the other along dimension 0. They must be CPU
// tensors of one dtype whose dimensions after the first are equal. A single part is
// returned as it is (sharing its memory); more are copied once into a new buffer.
Result<Tensor> concat_batch(const std::vector<const Tensor*>& parts);

// Rows [start, start + rows) of `t` along dimension 0, sharing its memory.
Result<Tensor> rows_of(const Tensor& t, int64_t start, int64_t rows);

// The largest size of each dimension after the first over `parts` (same rank, same dtype,
// else an error naming both shapes).
Result<std::vector<int64_t>> padded_shape(const std::vector<const Tensor*>& parts);

// `t` padded at the end of every dimension after the first to `shape` (as padded_shape
// gives: at least t's), new cells set to `value`. For images NCHW: bottom and right, so the
// packet's pixels keep their coordinates and its geometry stays true.
Result<Tensor> pad_to(const Tensor& t, const std::vector<int64_t>& shape, double value);

// Where `t`'s own values are in `shape` (padded_shape's): a tensor of `shape` and t's rows,
// of `dtype`, 1 on them and 0 on the padding.
Tensor padding_mask(const Tensor& t, const std::vector<int64_t>& shape, DType dtype);

}  // namespace sluice::models
