// Reading model outputs: a float32 Tensor seen as rows of `row` values, with checks that
// name what is wrong.
#pragma once

#include <cmath>
#include <span>
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

// One sample's output values, checked: float32, and every value finite (a NaN would pass
// any comparison, and spread through sums).
inline Result<std::span<const float>> finite_values(const Tensor& t) {
  if (t.dtype != DType::kFloat32)
    return invalid_argument(std::string("the output must be float32, not ") + to_string(t.dtype));
  const std::span<const float> v(t.as<float>(), static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      return invalid_argument("the output " + shape_text(t.shape) +
                              " holds a non-finite value at " + std::to_string(i));
  return v;
}

}  // namespace sluice::postprocessors
