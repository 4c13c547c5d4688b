// Puts a state_dict's tensors into a model's parameters and buffers, by name, after
// checking that names and shapes match exactly (as PyTorch's load_state_dict(strict=True)).
#pragma once

#include <torch/script.h>

#include "state_dict_reader.h"

namespace sluice::models {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// Copies `weights` into `targets` (the model's own tensors). The error lists the missing
// keys, the unexpected keys and the shape mismatches, naming `file`.
Status load_weights(const StateDict& weights, const NamedTensors& targets, const std::string& file);

// A TorchScript module's parameters and buffers, by their dotted names.
NamedTensors named_tensors(const torch::jit::Module& module);

}  // namespace sluice::models
