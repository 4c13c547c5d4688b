#include "torchscript_node.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <filesystem>
#include <thread>

#include "model_file.h"
#include "qengine.h"
#include "resnet18.h"
#include "sluice/text.h"
#include "state_dict_reader.h"
#include "tensor_bridge.h"
#include "warn_once.h"
#include "weights.h"

namespace sluice::torchscript {
namespace {

Result<torch::Device> parse_device(const std::string& text) {
  const bool cuda_available = torch::cuda::is_available();
  if (text == "auto")
    return cuda_available ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (text.rfind("cuda", 0) != 0)
    return invalid_argument("device '" + text + "' is not one of auto, cpu, cuda, cuda:N");
  if (!cuda_available)
    return unavailable("device '" + text +
                       "' asked for, but this LibTorch has no CUDA or no GPU is present "
                       "(use device = \"auto\" or \"cpu\")");
  int index = 0;
  if (text.size() > 4) {
    if (text[4] != ':') return invalid_argument("device '" + text + "': write cuda or cuda:N");
    try {
      index = std::stoi(text.substr(5));
    } catch (const std::exception&) {
      return invalid_argument("device '" + text + "': N in cuda:N must be a number");
    }
  }
  if (index < 0 || index >= static_cast<int>(torch::cuda::device_count()))
    return unavailable("device '" + text + "': there are " +
                       std::to_string(torch::cuda::device_count()) + " CUDA devices");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace

struct TorchScriptNode::Impl {
  std::unique_ptr<QEngineLease> qengine;  // before the module: released after it
  torch::jit::Module module;
  ResNet18 resnet{nullptr};  // set when the architecture is the built-in ResNet-18
  torch::Device device{torch::kCPU};
  bool fp16 = false;
  int threads = 1;
  std::vector<int64_t> input_shape;
  std::vector<std::string> output_keys;
  WarnOnce warnings;

  Status check_shape(const char* port, c10::IntArrayRef shape) const {
    if (input_shape.empty()) return ok();
    bool good = shape.size() == input_shape.size();
    for (std::size_t i = 0; good && i < shape.size(); ++i)
      good = input_shape[i] < 0 || input_shape[i] == shape[i];
    if (good) return ok();
    return invalid_argument("input '" + std::string(port) + "' has shape " + shape_text(shape) +
                            " but the model takes " + shape_text(input_shape) +
                            " (param input_shape; -1 = any size)");
  }

  // The result as a list of tensors: a tensor, a tuple/list of tensors, or a dict's values.
  Result<std::vector<at::Tensor>> flatten(const c10::IValue& result) const {
    std::vector<at::Tensor> out;
    auto add = [&](const c10::IValue& v, const std::string& what) -> Status {
      if (!v.isTensor()) return invalid_argument("the model's " + what + " is not a tensor");
      out.push_back(v.toTensor());
      return ok();
    };
    if (result.isTensor()) {
      out.push_back(result.toTensor());
    } else if (result.isTuple()) {
      const auto& elements = result.toTupleRef().elements();
      for (std::size_t i = 0; i < elements.size(); ++i)
        SLUICE_RETURN_IF_ERROR(add(elements[i], "result element " + std::to_string(i)));
    } else if (result.isList()) {
      const auto list = result.toListRef();
      for (std::size_t i = 0; i < list.size(); ++i)
        SLUICE_RETURN_IF_ERROR(add(list[i], "result element " + std::to_string(i)));
    } else if (result.isGenericDict()) {
      const auto dict = result.toGenericDict();
      if (output_keys.empty()) {
        for (const auto& entry : dict) SLUICE_RETURN_IF_ERROR(add(entry.value(), "dict value"));
      } else {
        for (const auto& key : output_keys) {
          auto it = dict.find(key);
          if (it == dict.end())
            return invalid_argument("the model's result has no key '" + key +
                                    "' (param output_keys)");
          SLUICE_RETURN_IF_ERROR(add(it->value(), "value of '" + key + "'"));
        }
      }
    } else {
      return invalid_argument("the model returned a " + result.tagKind() +
                              "; sluice takes a tensor, or a tuple, list or dict of tensors");
    }
    if (out.size() > 4)
      return invalid_argument("the model returned " + std::to_string(out.size()) +
                              " tensors; the node has 4 outputs (out, out1, out2, out3)");
    return out;
  }

  Result<std::vector<at::Tensor>> forward(std::vector<c10::IValue> inputs) {
    at::set_num_threads(threads);  // per thread with OpenMP: this node's own setting
    c10::InferenceMode inference;
    c10::Warning::WarningHandlerGuard warn_once(&warnings);
    try {
      if (resnet) {
        if (inputs.size() != 1) return invalid_argument("resnet18 takes one input");
        return flatten(resnet->forward(inputs[0].toTensor()));
      }
      return flatten(module.forward(std::move(inputs)));
    } catch (const c10::Error& e) {
      return invalid_argument("forward failed: " + one_line(e.what_without_backtrace()));
    } catch (const std::exception& e) {
      return invalid_argument("forward failed: " + one_line(e.what()));
    }
  }
};

TorchScriptNode::TorchScriptNode() : impl_(std::make_unique<Impl>()) {}
TorchScriptNode::~TorchScriptNode() = default;

Status TorchScriptNode::load_model(const Params& p) {
  Impl& m = *impl_;
  const std::string model = p.get(kModel);
  const std::string architecture = p.get(kArchitecture);
  const std::string builtin = p.get(kBuiltinArchitecture);
  if (!architecture.empty() && !builtin.empty())
    return invalid_argument("set architecture or builtin_architecture, not both");
  if (!std::filesystem::is_regular_file(model))
    return not_found("model file '" + model + "' does not exist");
  if (classify_pt_file(model) != PtKind::kStateDict) {
    if (!architecture.empty() || !builtin.empty())
      return invalid_argument("'" + model +
                              "' is not a weights-only file (a state_dict), so it takes no "
                              "architecture");
    SLUICE_ASSIGN_OR_RETURN(m.module, load_torchscript(model, m.device));
    return ok();
  }
  if (architecture.empty() && builtin.empty())
    return load_torchscript(model, m.device).status();  // explains what is missing
  SLUICE_ASSIGN_OR_RETURN(StateDict weights, read_state_dict(model, p.get(kStateDictKey)));
  try {
    if (builtin == "resnet18") {
      int64_t classes = 1000;
      for (const auto& [name, t] : weights)
        if (name == "fc.weight" && t.dim() == 2) classes = t.size(0);
      m.resnet = ResNet18(classes);
      NamedTensors targets;
      for (const auto& item : m.resnet->named_parameters(true))
        targets.emplace_back(item.key(), item.value());
      for (const auto& item : m.resnet->named_buffers(true))
        targets.emplace_back(item.key(), item.value());
      SLUICE_RETURN_IF_ERROR(load_weights(weights, targets, model));
      m.resnet->eval();
      m.resnet->to(m.device);
      return ok();
    }
    SLUICE_ASSIGN_OR_RETURN(m.module, load_torchscript(architecture, torch::Device(torch::kCPU)));
    SLUICE_RETURN_IF_ERROR(load_weights(weights, named_tensors(m.module), model));
    m.module.to(m.device);
    m.module.eval();
    return ok();
  } catch (const c10::Error& e) {
    return invalid_argument("loading the weights of '" + model +
                            "': " + one_line(e.what_without_backtrace()));
  }
}

Status TorchScriptNode::open(const Params& p) {
  Impl& m = *impl_;
  // Loading and optimizing may warn too: through the node's handler, as forward passes do.
  c10::Warning::WarningHandlerGuard warn_once(&m.warnings);
  SLUICE_ASSIGN_OR_RETURN(m.device, parse_device(p.get(kDevice)));
  m.fp16 = p.get(kFp16);
  if (m.fp16 && !m.device.is_cuda())
    return invalid_argument("fp16 = true needs a CUDA device; this node runs on the CPU");
  const int threads = p.get(kThreads);
  m.threads =
      threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  m.input_shape = p.get(kInputShape);
  m.output_keys = p.get(kOutputKeys);
  max_batch_ = p.get(kMaxBatch);
  max_delay_us_ = static_cast<int64_t>(p.get(kMaxDelayMs) * 1000);
  // Before loading: a quantized model's weights are packed for the engine set at load.
  SLUICE_ASSIGN_OR_RETURN(m.qengine, QEngineLease::acquire(p.get(kQEngine), p.get(kModel)));
  SLUICE_RETURN_IF_ERROR(load_model(p));
  if (m.fp16) {
    if (m.resnet)
      m.resnet->to(torch::kHalf);
    else
      m.module.to(torch::kHalf);
  }

  // Freezing inlines the weights and folds batch norms; optimize_for_inference then moves
  // convolutions to oneDNN with prepacked weights. That runs these models 1.3-3.6x faster
  // on the CPU, and most at one thread, where LibTorch would otherwise run 1x1
  // convolutions through the reference BLAS (bench/RESULTS.md).
  if (p.get(kOptimize) && !m.resnet && m.device.is_cpu() && !m.fp16) {
    try {
      m.module = torch::jit::optimize_for_inference(m.module);
    } catch (const c10::Error& e) {
      return invalid_argument(
          "optimizing the model for inference failed (set optimize = false "
          "to run it as saved): " +
          one_line(e.what_without_backtrace()));
    }
  }

  // Warm-up: the first passes through TorchScript optimize the graph and allocate; do them
  // now rather than on the first frames.
  const int warmup = p.get(kWarmup);
  if (warmup > 0 && !m.input_shape.empty()) {
    std::vector<int64_t> shape = m.input_shape;
    for (auto& d : shape) d = d < 0 ? 1 : d;
    auto options =
        torch::TensorOptions().device(m.device).dtype(m.fp16 ? torch::kHalf : torch::kFloat);
    for (int i = 0; i < warmup; ++i) {
      auto result = m.forward({torch::zeros(shape, options)});
      if (!result.ok())
        return Status(result.status().code(), "warm-up with input_shape " + shape_text(shape) +
                                                  ": " + result.status().message());
    }
  }
  return ok();
}

Status TorchScriptNode::process(Context& ctx) {
  Impl& m = *impl_;
  const std::size_t n = ctx.batch_size();
  const Input<Tensor>* ports[] = {&kIn, &kIn1, &kIn2};
  const Output<Tensor>* outputs[] = {&kOut, &kOut1, &kOut2, &kOut3};

  // Inputs: each connected port's tensors of the batch, concatenated along dimension 0.
  std::vector<c10::IValue> inputs;
  std::vector<int64_t> rows(n, 1);  // rows of each packet in the batch, to split outputs back
  for (const Input<Tensor>* port : ports) {
    if (ctx.get_if(*port) == nullptr) continue;
    std::vector<at::Tensor> parts;
    for (std::size_t i = 0; i < n; ++i) {
      const Tensor* t = ctx.get_if(*port, i);
      if (!t)
        return invalid_argument(std::string("input '") + port->name + "' is missing in a batch");
      SLUICE_ASSIGN_OR_RETURN(at::Tensor a, to_aten(*t));
      if (port == &kIn) SLUICE_RETURN_IF_ERROR(m.check_shape(port->name, a.sizes()));
      if (port == &kIn) rows[i] = a.dim() > 0 ? a.size(0) : 1;
      parts.push_back(std::move(a));
    }
    at::Tensor x = n == 1 ? parts[0] : torch::cat(parts, 0);
    x = x.to(m.device, m.fp16 && x.is_floating_point() ? torch::kHalf : x.scalar_type());
    inputs.emplace_back(std::move(x));
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<at::Tensor> results, m.forward(std::move(inputs)));
  ctx.add_to_counter("forward_passes");

  int64_t total_rows = 0;
  for (int64_t r : rows) total_rows += r;
  for (std::size_t k = 0; k < results.size(); ++k) {
    at::Tensor t = results[k].to(torch::kCPU);
    if (t.scalar_type() == torch::kHalf) t = t.to(torch::kFloat);
    if (n == 1) {
      SLUICE_ASSIGN_OR_RETURN(Tensor out, from_aten(t));
      ctx.send(*outputs[k], std::move(out), ctx.header(0));
      continue;
    }
    if (t.dim() == 0 || t.size(0) != total_rows)
      return invalid_argument("output " + std::to_string(k) + " has shape " +
                              shape_text(t.sizes()) + ": its first dimension is not the batch (" +
                              std::to_string(total_rows) +
                              "), so it cannot be split back per packet; use max_batch = 1");
    int64_t start = 0;
    for (std::size_t i = 0; i < n; ++i) {
      SLUICE_ASSIGN_OR_RETURN(Tensor out, from_aten(t.narrow(0, start, rows[i])));
      ctx.send(*outputs[k], std::move(out), ctx.header(i));
      start += rows[i];
    }
  }
  return ok();
}

}  // namespace sluice::torchscript

SLUICE_EXPORT_NODES(sluice::torchscript::TorchScriptNode)
