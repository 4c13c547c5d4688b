// Runs a TorchScript model (.pt written by torch.jit.save) on Tensor packets.
//
//   [nodes.model]
//   plugin = "torchscript"
//   model = "models/classifier.pt"  # TorchScript; or a state_dict with architecture below
//   device = "auto"                # cuda when this LibTorch has it and a GPU is there
//   threads = 2                    # intra-op threads of this node
//   input_shape = [1, 3, 224, 224] # per packet; -1 = any; checked, and used to warm up
//   max_batch = 8                  # batch packets across streams ...
//   max_delay_ms = 5               # ... waiting at most this for a fuller batch
//   qengine = "auto"               # quantized models: LibTorch's INT8 engine (qengine.h)
//
// A weights-only file (torch.save(model.state_dict())) runs on `architecture` (a
// TorchScript file) or `builtin_architecture = "resnet18"` (torchvision's, built in C++).
//
// Ports, shared params and batching are every model backend's (batched_model_node.h):
// `in` (and optional `in1`, `in2`) are forward()'s arguments in order; the result goes to
// `out`, or a tuple/list's elements (dict values, by `output_keys`) to `out` .. `out3`.
#pragma once

#include <memory>

#include "batched_model_node.h"
#include "sluice/sluice.h"

namespace sluice::models {

class TorchScriptNode final : public models::BatchedModelNode {
 public:
  static constexpr NodeInfo kInfo{
      .type = "torchscript",
      .kind = NodeKind::kModel,
      .description = "Runs a TorchScript model on tensors, batching across packets.",
      .stateless = true};
  static inline const Param<std::string> kArchitecture{
      .name = "architecture",
      .default_value = "",
      .description =
          "for a weights-only model (a state_dict): a TorchScript file whose "
          "parameters receive the weights",
      .is_path = true};
  static inline const Param<std::string> kBuiltinArchitecture{
      .name = "builtin_architecture",
      .default_value = "",
      .description = "for a weights-only model: an architecture built in C++ (torchvision names)",
      .choices = {"", "resnet18"}};
  static inline const Param<std::string> kStateDictKey{
      .name = "state_dict_key",
      .default_value = "",
      .description =
          "for a checkpoint dict ({\"model\": state_dict, ...}): the entry holding the weights"};
  static inline const Param<bool> kFp16{
      .name = "fp16", .default_value = false, .description = "run in half precision (CUDA only)"};
  static inline const Param<bool> kOptimize{
      .name = "optimize",
      .default_value = true,
      .description =
          "freeze the model and fuse it for CPU inference at open "
          "(torch.jit.optimize_for_inference); never with input = image_list, where it "
          "changes torchvision detectors' results"};
  static inline const Param<std::string> kQEngine{
      .name = "qengine",
      .default_value = "auto",
      .description =
          "quantized engine, one per process: auto (the one the model file names, "
          "else LibTorch's), qnnpack, onednn, fbgemm or x86 (where this LibTorch has it)",
      .choices = {"auto", "qnnpack", "onednn", "fbgemm", "x86"}};
  static inline const Param<std::string> kInput{
      .name = "input",
      .default_value = "tensor",
      .description =
          "tensor: forward(batch, ...); image_list: forward([image, ...]), each "
          "packet's [1, C, H, W] as a [C, H, W] of its own size, and a result per "
          "image (torchvision's detectors: a list of dicts, keys by output_keys)",
      .choices = {"tensor", "image_list"}};
  static inline const Param<std::vector<std::string>> kOpsLibraries{
      .name = "ops_libraries",
      .default_value = {},
      .description =
          "shared libraries of custom TorchScript ops to load before the model "
          "(torchvision's detectors need torchvision's: Debian's python3-torchvision "
          "has it as torchvision/_C.*.so)"};
  SLUICE_MODEL_CONTRACT(kInfo, kArchitecture, kBuiltinArchitecture, kStateDictKey, kFp16, kOptimize,
                        kQEngine, kInput, kOpsLibraries);

  TorchScriptNode();
  ~TorchScriptNode() override;

 private:
  Status load(const Params& params, const models::ModelSettings& settings) override;
  Result<std::vector<Tensor>> forward(const std::vector<Tensor>& inputs) override;
  bool takes_image_list() const override;
  Result<std::vector<std::vector<Tensor>>> forward_list(const std::vector<Tensor>& images) override;
  Status load_model(const Params& params, const std::string& model);
  struct Impl;  // holds the LibTorch objects, so that this header needs no torch include
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::models
