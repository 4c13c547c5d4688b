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
// Ports: `in` (and optional `in1`, `in2`) are the model's forward() arguments in order;
// its result goes to `out`, or a tuple/list's elements (dict values, by `output_keys`) to
// `out`, `out1`, `out2`, `out3`. A batch of packets is concatenated along dimension 0 and
// every output split back along dimension 0, so each packet gets its own rows.
#pragma once

#include <memory>

#include "sluice/sluice.h"

namespace sluice::torchscript {

class TorchScriptNode final : public Node {
 public:
  static constexpr NodeInfo kInfo{"torchscript", NodeKind::kModel,
                                  "Runs a TorchScript model on tensors, batching across packets.",
                                  true};
  static constexpr Input<Tensor> kIn{"in", "first forward() argument"};
  static constexpr Input<Tensor> kIn1{"in1", "second forward() argument", false};
  static constexpr Input<Tensor> kIn2{"in2", "third forward() argument", false};
  static constexpr Output<Tensor> kOut{"out", "the result, or its first element"};
  static constexpr Output<Tensor> kOut1{"out1", "second element of a tuple/list/dict result"};
  static constexpr Output<Tensor> kOut2{"out2", "third element"};
  static constexpr Output<Tensor> kOut3{"out3", "fourth element"};
  static inline const Param<std::string> kModel{.name = "model",
                                                .description = "TorchScript file (torch.jit.save)",
                                                .required = true,
                                                .is_path = true};
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
  static inline const Param<std::string> kDevice{
      .name = "device",
      .default_value = "auto",
      .description = "auto (CUDA when available), cpu, cuda or cuda:N"};
  static inline const Param<int> kThreads{
      .name = "threads",
      .default_value = 1,
      .description =
          "intra-op threads per instance; 0 = one per core. For throughput, "
          "add replicas rather than threads (bench/RESULTS.md)",
      .min = 0,
      .max = 256};
  static inline const Param<bool> kFp16{
      .name = "fp16", .default_value = false, .description = "run in half precision (CUDA only)"};
  static inline const Param<int> kWarmup{
      .name = "warmup",
      .default_value = 2,
      .description = "forward passes on zeros at open (needs a concrete input_shape)",
      .min = 0,
      .max = 100};
  static inline const Param<std::vector<int64_t>> kInputShape{
      .name = "input_shape",
      .default_value = {},
      .description = "shape of `in` per packet, -1 for any size; empty: not checked",
      .min = -1};
  static inline const Param<std::vector<std::string>> kOutputKeys{
      .name = "output_keys",
      .default_value = {},
      .description = "for a dict result: the keys sent to out, out1, ... in order"};
  static inline const Param<int> kMaxBatch{.name = "max_batch",
                                           .default_value = 1,
                                           .description = "most packets run in one forward pass",
                                           .min = 1,
                                           .max = 1024};
  static inline const Param<double> kMaxDelayMs{
      .name = "max_delay_ms",
      .default_value = 5.0,
      .description = "longest wait for a fuller batch after the first packet",
      .min = 0.0,
      .max = 10000.0};
  static inline const Param<bool> kOptimize{
      .name = "optimize",
      .default_value = true,
      .description =
          "freeze the model and fuse it for CPU inference at open "
          "(torch.jit.optimize_for_inference)"};
  static inline const Param<std::string> kQEngine{
      .name = "qengine",
      .default_value = "auto",
      .description =
          "quantized engine, one per process: auto (the one the model file names, "
          "else LibTorch's), qnnpack, onednn, fbgemm or x86 (where this LibTorch has it)",
      .choices = {"auto", "qnnpack", "onednn", "fbgemm", "x86"}};
  SLUICE_CONTRACT(kInfo, kIn, kIn1, kIn2, kOut, kOut1, kOut2, kOut3, kModel, kArchitecture,
                  kBuiltinArchitecture, kStateDictKey, kDevice, kThreads, kFp16, kWarmup,
                  kInputShape, kOutputKeys, kMaxBatch, kMaxDelayMs, kOptimize, kQEngine);

  TorchScriptNode();
  ~TorchScriptNode() override;
  Status open(const Params& params) override;
  Status process(Context& ctx) override;
  int max_batch() const override { return max_batch_; }
  int64_t max_delay_us() const override { return max_delay_us_; }

 private:
  Status load_model(const Params& params);
  struct Impl;  // holds the LibTorch objects, so that this header needs no torch include
  std::unique_ptr<Impl> impl_;
  int max_batch_ = 1;
  int64_t max_delay_us_ = 5000;
};

}  // namespace sluice::torchscript
