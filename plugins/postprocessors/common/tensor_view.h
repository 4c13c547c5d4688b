// Reading model outputs: a float32 Tensor seen as rows of `row` values, with checks that
// name what is wrong.
#pragma once

#include <string>

#include "sluice/payloads.h"
#include "sluice/status.h"
#include "sluice/text.h"

namespace sluice::postprocessors {

// The number of rows of `row` floats in `t`; an error naming `what` when it does not split.
inline Result<int64_t> rows_of(const Tensor& t, int64_t row, const std::string& what) {
  if (t.dtype != DType::kFloat32) return invalid_argument(what + " must be float32");
  if (row <= 0) return invalid_argument(what + ": rows of " + std::to_string(row) + " values");
  if (t.numel() % row != 0 || t.numel() == 0)
    return invalid_argument(what + " of shape " + shape_text(t.shape) + " is not rows of " +
                            std::to_string(row) + " values");
  return t.numel() / row;
}

}  // namespace sluice::postprocessors
