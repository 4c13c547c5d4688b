// Zero-copy bridges between sluice::Tensor (the SDK's payload) and at::Tensor.
// Only this plugin's sources include it: LibTorch stays out of every SDK header.
#pragma once

#include <torch/types.h>

#include "sluice/payloads.h"
#include "sluice/status.h"
#include "sluice/text.h"

namespace sluice::models {

// A view of `t` as an at::Tensor on the CPU, sharing its memory (the at::Tensor keeps
// the sluice buffer alive).
Result<at::Tensor> to_aten(const Tensor& t);

// A sluice::Tensor sharing the memory of a contiguous CPU at::Tensor (which it keeps
// alive). Non-contiguous tensors are made contiguous first (a copy).
Result<Tensor> from_aten(const at::Tensor& t);

// sluice::shape_text for LibTorch's sizes: "[1, 3, 224, 224]".
inline std::string shape_text(c10::IntArrayRef shape) {
  return sluice::shape_text({shape.data(), shape.size()});
}

}  // namespace sluice::models
