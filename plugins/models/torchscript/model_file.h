// Reads a .pt file the way a user means it, and says clearly when it cannot be run.
//
// A .pt may hold: a TorchScript module (torch.jit.save / torch.jit.script(...).save: C++
// can run it); a pickled Python module (torch.save(model): C++ cannot, the class's Python
// code is not in the file); a weights-only state_dict (torch.save(model.state_dict())); or
// something else. The first loads; the others get an error that says what to do.
#pragma once

#include <torch/script.h>

#include <string>

#include "sluice/status.h"

namespace sluice::models {

enum class PtKind { kTorchScript, kPickledModule, kStateDict, kLegacyPickle, kNotPyTorch };

// Looks inside the file (its zip directory and pickle) without running anything.
PtKind classify_pt_file(const std::string& path);

// Loads a TorchScript module onto `device`, or explains why the file cannot be one.
Result<torch::jit::Module> load_torchscript(const std::string& path, const torch::Device& device);

}  // namespace sluice::models
