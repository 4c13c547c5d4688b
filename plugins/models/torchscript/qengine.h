// LibTorch's quantized engine (qnnpack, onednn, fbgemm, x86) for the torchscript nodes.
//
// The engine is one setting for the whole process (at::globalContext().setQEngine), and it
// matters when a quantized model is loaded: a TorchScript file stores its INT8 weights
// unpacked, and loading packs them for the engine selected at that moment (an engine that
// cannot take them, e.g. onednn with asymmetric weights, fails there). It also steers the
// quantized ops that hold no packed weights (max_pool2d, add) at every forward pass. So a
// node holds a lease on the engine from open until it is destroyed, and two nodes of one
// process cannot ask for different engines: the second gets an error at open.
#pragma once

#include <memory>
#include <string>

#include "sluice/status.h"

namespace sluice::models {

// "qnnpack, onednn": the engines this LibTorch has (without "none").
std::string available_qengines();

// The engine LibTorch uses now, by its param name ("onednn"; "none" when there is none).
std::string current_qengine();

// The engine a quantized model file was made for: its `extra/sluice_qengine` record
// (written by scripts/models/quantize_fmnist.py); "" when the file names none.
std::string qengine_named_by(const std::string& model_file);

// Holds LibTorch's quantized engine for one node. Releasing the last lease on an engine
// puts back the engine from before and lets a later node pick another one.
class QEngineLease {
 public:
  // `requested`: the node's qengine param. "auto" takes the engine the model file names,
  // or, when it names none (or "any"), leaves LibTorch's engine as it is and holds nothing.
  static Result<std::unique_ptr<QEngineLease>> acquire(const std::string& requested,
                                                       const std::string& model_file);
  ~QEngineLease();
  QEngineLease(const QEngineLease&) = delete;
  QEngineLease& operator=(const QEngineLease&) = delete;

 private:
  explicit QEngineLease(std::string engine) : engine_(std::move(engine)) {}
  std::string engine_;  // empty: holds nothing
};

}  // namespace sluice::models
