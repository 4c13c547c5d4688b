// Runs an ONNX model (.onnx) on Tensor packets with OpenCV's DNN module, on the CPU. Its
// ports and params are every model backend's (batched_model_node.h), so that a pipeline
// changes only `plugin` and `model` to switch backends:
//
//   [nodes.model]
//   plugin = "onnx"
//   model = "models/classifier.onnx"
//   threads = 0                    # OpenCV's thread count is per process: see below
//   input_shape = [1, 1, 28, 28]   # per packet; -1 = any; checked, and used to warm up
//   max_batch = 32                 # batch packets across streams ...
//   max_delay_ms = 2               # ... waiting at most this for a fuller batch
//
// Ports: `in` (and optional `in1`, `in2`) feed the graph's inputs in the order the file
// declares them; its outputs go to `out`, `out1`, `out2`, `out3` in declared order, or in
// the order of `output_keys` (output names). A graph whose batch dimension is a fixed
// number takes one packet per pass (max_batch is then not used). `threads = N` sets OpenCV's
// process-wide count (cv::setNumThreads) while the node is open; two onnx nodes asking for
// different counts is an error (opencv_threads.h).
#pragma once

#include <memory>

#include "batched_model_node.h"
#include "sluice/sluice.h"

namespace sluice::models {

class OnnxNode final : public models::BatchedModelNode {
 public:
  static constexpr NodeInfo kInfo{.type = "onnx",
                                  .kind = NodeKind::kModel,
                                  .description =
                                      "Runs an ONNX model on tensors with OpenCV DNN (CPU), "
                                      "batching across packets.",
                                  .stateless = true};
  SLUICE_MODEL_CONTRACT(kInfo);

  OnnxNode();
  ~OnnxNode() override;
  Status close(Context& ctx) override;

 private:
  Status load(const Params& params, const models::ModelSettings& settings) override;
  Result<std::vector<Tensor>> forward(const std::vector<Tensor>& inputs) override;
  int input_count() const override;
  Status check_ports(const bool connected[3]) const override;
  Status check_input(std::size_t index, const char* port,
                     const std::vector<int64_t>& shape) const override;
  std::vector<int64_t> declared_input_shape() const override;
  bool one_packet_per_pass() const override;
  std::string output_name(std::size_t k) const override;
  struct Impl;  // holds the OpenCV DNN objects, so that this header needs no dnn include
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::models
