// Runs an ONNX model (.onnx) on Tensor packets with OpenCV's DNN module, on the CPU. Same
// ports and params as `torchscript` where they mean the same, so that a pipeline changes
// only `plugin` and `model` to switch backends:
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
// the order of `output_keys` (output names). A batch of packets is concatenated along
// dimension 0 and every output split back along dimension 0, as torchscript does; a graph
// whose batch dimension is a fixed number takes one packet per pass (max_batch is then
// not used). `threads = N` sets OpenCV's process-wide count (cv::setNumThreads) while the
// node is open; two onnx nodes asking for different counts is an error (opencv_threads.h).
#pragma once

#include <memory>

#include "sluice/sluice.h"

namespace sluice::onnx {

class OnnxNode final : public Node {
 public:
  static constexpr NodeInfo kInfo{"onnx", NodeKind::kModel,
                                  "Runs an ONNX model on tensors with OpenCV DNN (CPU), batching "
                                  "across packets.",
                                  true};
  static constexpr Input<Tensor> kIn{"in", "the graph's first input"};
  static constexpr Input<Tensor> kIn1{"in1", "the graph's second input", false};
  static constexpr Input<Tensor> kIn2{"in2", "the graph's third input", false};
  static constexpr Output<Tensor> kOut{"out", "the graph's first output (or output_keys[0])"};
  static constexpr Output<Tensor> kOut1{"out1", "second output"};
  static constexpr Output<Tensor> kOut2{"out2", "third output"};
  static constexpr Output<Tensor> kOut3{"out3", "fourth output"};
  static inline const Param<std::string> kModel{
      .name = "model", .description = "ONNX file", .required = true, .is_path = true};
  static inline const Param<std::string> kDevice{
      .name = "device",
      .default_value = "cpu",
      .description = "cpu (or auto, which is cpu): OpenCV DNN runs on the CPU here"};
  static inline const Param<int> kThreads{
      .name = "threads",
      .default_value = 0,
      .description =
          "OpenCV's thread count for the whole process while this node is open; "
          "0 = leave it (one per core)",
      .min = 0,
      .max = 256};
  static inline const Param<int> kWarmup{
      .name = "warmup",
      .default_value = 2,
      .description =
          "forward passes on zeros at open (input_shape, or the file's own shape "
          "when it is concrete)",
      .min = 0,
      .max = 100};
  static inline const Param<std::vector<int64_t>> kInputShape{
      .name = "input_shape",
      .default_value = {},
      .description =
          "shape of `in` per packet, -1 for any size; empty: only the file's "
          "declared shape is checked",
      .min = -1};
  static inline const Param<std::vector<std::string>> kOutputKeys{
      .name = "output_keys",
      .default_value = {},
      .description =
          "names of the graph outputs sent to out, out1, ... in order; empty: the "
          "graph's outputs in declared order"};
  static inline const Param<int> kMaxBatch{
      .name = "max_batch",
      .default_value = 1,
      .description = "most packets run in one forward pass (needs a graph with a dynamic batch)",
      .min = 1,
      .max = 1024};
  static inline const Param<double> kMaxDelayMs{
      .name = "max_delay_ms",
      .default_value = 5.0,
      .description = "longest wait for a fuller batch after the first packet",
      .min = 0.0,
      .max = 10000.0};
  SLUICE_CONTRACT(kInfo, kIn, kIn1, kIn2, kOut, kOut1, kOut2, kOut3, kModel, kDevice, kThreads,
                  kWarmup, kInputShape, kOutputKeys, kMaxBatch, kMaxDelayMs);

  OnnxNode();
  ~OnnxNode() override;
  Status open(const Params& params) override;
  Status process(Context& ctx) override;
  Status close(Context& ctx) override;
  int max_batch() const override { return max_batch_; }
  int64_t max_delay_us() const override { return max_delay_us_; }

 private:
  struct Impl;  // holds the OpenCV DNN objects, so that this header needs no dnn include
  std::unique_ptr<Impl> impl_;
  int max_batch_ = 1;
  int64_t max_delay_us_ = 5000;
};

}  // namespace sluice::onnx
