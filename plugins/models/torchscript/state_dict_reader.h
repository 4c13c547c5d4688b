// Reads a weights-only .pt file: `torch.save(model.state_dict(), path)`.
//
// LibTorch 1.13's pickle_load cannot: it turns the OrderedDict at the top into None. This
// is a small unpickler of its own that understands exactly what torch.save writes for
// tensors (OrderedDict, _rebuild_tensor_v2 / _rebuild_parameter, typed storages) and
// refuses every other global, so that loading weights can never run code from the file.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "sluice/status.h"

namespace sluice::models {

using StateDict = std::vector<std::pair<std::string, at::Tensor>>;  // in the file's order

// `key`: for a checkpoint dict ({"model": state_dict, "epoch": 3}), the entry that holds
// the state_dict; empty for a plain state_dict.
Result<StateDict> read_state_dict(const std::string& path, const std::string& key = "");

}  // namespace sluice::models
