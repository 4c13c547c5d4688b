// Zero-copy bridges between sluice::Tensor (the SDK's payload) and at::Tensor.
// Only this plugin's sources include it: LibTorch stays out of every SDK header.
#pragma once

#include <torch/types.h>

#include "sluice/payloads.h"
#include "sluice/status.h"

namespace sluice::torchscript {

// A view of `t` as an at::Tensor on the CPU, sharing its memory (the at::Tensor keeps
// the sluice buffer alive).
Result<at::Tensor> to_aten(const Tensor& t);

// A sluice::Tensor sharing the memory of a contiguous CPU at::Tensor (which it keeps
// alive). Non-contiguous tensors are made contiguous first (a copy).
Result<Tensor> from_aten(const at::Tensor& t);

// "[1, 3, 224, 224]", for messages.
std::string shape_text(c10::IntArrayRef shape);

}  // namespace sluice::torchscript
