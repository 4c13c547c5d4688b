// What every model backend shares (torchscript, onnx), written once: the ports, the
// params that mean the same in every backend with one set of defaults, the input-shape
// check, warm-up, and the batch path of process(). The packets of a batch are joined
// along dimension 0, run in one forward pass, and every output is split back along
// dimension 0 by each packet's rows, so each packet gets its own rows with its own header.
//
// A backend is a node class deriving from BatchedModelNode that implements load() and
// forward() on host tensors, and may refine the checks through the optional hooks:
//
//   class MyBackendNode final : public sluice::models::BatchedModelNode {
//    public:
//     static constexpr sluice::NodeInfo kInfo{.type = "my_backend", .kind =
//     sluice::NodeKind::kModel,
//                                             .description = "...", .stateless = true};
//     SLUICE_MODEL_CONTRACT(kInfo);  // then the backend's own params, if any
//    private:
//     sluice::Status load(const sluice::Params& p, const ModelSettings& s) override;
//     sluice::Result<std::vector<sluice::Tensor>> forward(
//         const std::vector<sluice::Tensor>& inputs) override;
//   };
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::models {

// The `device` param, parsed: auto, cpu, cuda or cuda:N. Each backend decides what it can
// run on (onnx: the CPU only).
struct DeviceRequest {
  enum class Kind { kAuto, kCpu, kCuda } kind = Kind::kAuto;
  int index = 0;     // N of cuda:N
  std::string text;  // as written, for messages
};
Result<DeviceRequest> parse_device(const std::string& text);

// The shared params as load() receives them, read and checked.
struct ModelSettings {
  std::string model;  // the model file, which exists
  DeviceRequest device;
  int threads = 0;  // 0: the backend's default
  std::vector<int64_t> input_shape;
  std::vector<std::string> output_keys;
};

class BatchedModelNode : public Node {
 public:
  static constexpr Input<Tensor> kIn{"in", "the model's first input"};
  static constexpr Input<Tensor> kIn1{
      .name = "in1", .description = "the model's second input", .required = false};
  static constexpr Input<Tensor> kIn2{
      .name = "in2", .description = "the model's third input", .required = false};
  static constexpr Output<Tensor> kOut{"out", "the model's first output (or output_keys[0])"};
  static constexpr Output<Tensor> kOut1{"out1", "second output"};
  static constexpr Output<Tensor> kOut2{"out2", "third output"};
  static constexpr Output<Tensor> kOut3{"out3", "fourth output"};
  static inline const Param<std::string> kModel{
      .name = "model", .description = "the model file", .required = true, .is_path = true};
  static inline const Param<std::string> kDevice{
      .name = "device",
      .default_value = "auto",
      .description = "auto (CUDA when the backend has it and a GPU is there), cpu, cuda or cuda:N"};
  static inline const Param<int> kThreads{
      .name = "threads",
      .default_value = 0,
      .description =
          "threads of the backend; 0 = its default (torchscript: 1 per instance; onnx: "
          "OpenCV's process-wide count left as it is). For throughput, add replicas rather "
          "than threads (bench/RESULTS.md)",
      .min = 0,
      .max = 256};
  static inline const Param<int> kWarmup{
      .name = "warmup",
      .default_value = 2,
      .description =
          "forward passes on zeros at open, at input_shape (or the model's declared "
          "shape when it is concrete)",
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
      .description =
          "the model's outputs sent to out, out1, ... in order, by name (dict keys, "
          "graph output names); empty: the model's own order"};
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

  static inline const Param<std::string> kBatchShapes{
      .name = "batch_shapes",
      .default_value = "error",
      .description =
          "packets of different shapes in one batch: error; pad (each to the "
          "batch's largest size, at the end of every dimension after the first); "
          "group (one forward pass per shape)",
      .choices = {"error", "pad", "group"}};
  static inline const Param<double> kPadValue{
      .name = "pad_value",
      .default_value = 0.0,
      .description = "the value padding is filled with (batch_shapes = \"pad\")"};
  static inline const Param<std::string> kPadInfo{
      .name = "pad_info",
      .default_value = "none",
      .description =
          "passed to the model after its inputs when padding: mask (1 on each "
          "packet's own values of `in`, 0 on padding, in its shape and type) or "
          "lengths (int64 [N, rank - 1]: each packet's sizes of `in`)",
      .choices = {"none", "mask", "lengths"}};

  Status open(const Params& params) final;
  Status process(Context& ctx) final;
  int max_batch() const final { return max_batch_; }
  int64_t max_delay_us() const final { return max_delay_us_; }

 protected:
  // Loads the model, and reads the backend's own params from `params`.
  virtual Status load(const Params& params, const ModelSettings& settings) = 0;
  // One forward pass. `inputs` holds one CPU tensor per connected input port, in port
  // order, each a whole batch along dimension 0. Returns at most 4 CPU tensors (out ..
  // out3), which the node shares with downstream packets: they must own their memory.
  virtual Result<std::vector<Tensor>> forward(const std::vector<Tensor>& inputs) = 0;

  // Optional hooks, for a backend that knows more about its model before it runs.
  // The model's input count, or -1 when unknown; warm-up runs only for one (or unknown).
  virtual int input_count() const { return -1; }
  // Called with which of in, in1, in2 are connected, before every pass.
  virtual Status check_ports(const bool connected[3]) const {
    (void)connected;
    return ok();
  }
  // Called for every input tensor of a pass (index 0 = `in`), after input_shape's check.
  virtual Status check_input(std::size_t index, const char* port,
                             const std::vector<int64_t>& shape) const {
    (void)index, (void)port, (void)shape;
    return ok();
  }
  // The shape warm-up runs at when input_shape is empty (-1: any size, run as 1); empty
  // when the model declares none it can be run at.
  virtual std::vector<int64_t> declared_input_shape() const { return {}; }
  // True when the model runs one packet per pass whatever max_batch says (a fixed batch).
  virtual bool one_packet_per_pass() const { return false; }
  // Output k as messages name it: "0", "'boxes'".
  virtual std::string output_name(std::size_t k) const { return std::to_string(k); }
  // Models that take a list of images and give a result per image (torchvision's
  // detectors): when true, a pass calls forward_list with each input set's `in` tensor as
  // it came (any sizes: nothing is joined or padded), and each set gets its own results.
  virtual bool takes_image_list() const { return false; }
  virtual Result<std::vector<std::vector<Tensor>>> forward_list(const std::vector<Tensor>& images) {
    (void)images;
    return internal_error("this backend takes no image lists");
  }

 private:
  // Runs the input sets `sets` of this call in one forward pass (with `pad`, each tensor
  // padded to the pass's largest, and pad_info added); each set's results go to
  // results[set] (one tensor per output), sent later in the call's order.
  Status run_pass(Context& ctx, const std::vector<std::size_t>& sets, const bool connected[3],
                  bool pad, std::vector<std::vector<Tensor>>& results);
  // The whole call as one list of images (takes_image_list), each set sent its results.
  Status run_list_pass(Context& ctx, const bool connected[3]);

  std::vector<int64_t> input_shape_;
  enum class BatchShapes { kError, kPad, kGroup } batch_shapes_ = BatchShapes::kError;
  double pad_value_ = 0;
  std::string pad_info_ = "none";
  int max_batch_ = 1;
  int64_t max_delay_us_ = 5000;
};

}  // namespace sluice::models

// Declares a backend's contract: the shared ports and params, then the backend's own.
#define SLUICE_MODEL_CONTRACT(info, ...)                                                       \
  SLUICE_CONTRACT(info, kIn, kIn1, kIn2, kOut, kOut1, kOut2, kOut3, kModel, kDevice, kThreads, \
                  kWarmup, kInputShape, kOutputKeys, kMaxBatch, kMaxDelayMs, kBatchShapes,     \
                  kPadValue, kPadInfo __VA_OPT__(, ) __VA_ARGS__)
