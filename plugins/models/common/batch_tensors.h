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

}  // namespace sluice::models
