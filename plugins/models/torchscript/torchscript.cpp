#include "torchscript.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include "mkldnn_repair.h"
#include "model_file.h"
#include "qengine.h"
#include "resnet18.h"
#include "sluice/text.h"
#include "state_dict_reader.h"
#include "tensor_bridge.h"
#include "warn_once.h"
#include "weights.h"

namespace sluice::models {
namespace {

// The torch device for the `device` param, or why this LibTorch or machine lacks it.
Result<torch::Device> resolve_device(const models::DeviceRequest& d) {
  const bool cuda_available = torch::cuda::is_available();
  switch (d.kind) {
    case models::DeviceRequest::Kind::kAuto:
      return cuda_available ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    case models::DeviceRequest::Kind::kCpu:
      return torch::Device(torch::kCPU);
    case models::DeviceRequest::Kind::kCuda:
      break;
  }
  if (!cuda_available)
    return unavailable("device '" + d.text +
                       "' asked for, but this LibTorch has no CUDA or no GPU is present "
                       "(use device = \"auto\" or \"cpu\")");
  if (d.index >= static_cast<int>(torch::cuda::device_count()))
    return unavailable("device '" + d.text + "': there are " +
                       std::to_string(torch::cuda::device_count()) + " CUDA devices");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(d.index));
}

}  // namespace

struct TorchScriptNode::Impl {
  std::unique_ptr<QEngineLease> qengine;  // before the module: released after it
  torch::jit::Module module;
  ResNet18 resnet{nullptr};  // set when the architecture is the built-in ResNet-18
  torch::Device device{torch::kCPU};
  bool fp16 = false;
  int threads = 1;
  std::vector<std::string> output_keys;
  bool image_list = false;
  WarnOnce warnings;

  // A dict's tensors in output_keys' order (or its own).
  Result<std::vector<at::Tensor>> dict_values(const c10::impl::GenericDict& dict) const {
    std::vector<at::Tensor> out;
    if (output_keys.empty()) {
      for (const auto& entry : dict) {
        if (!entry.value().isTensor())
          return invalid_argument("the model's result dict holds a value that is not a tensor");
        out.push_back(entry.value().toTensor());
      }
      return out;
    }
    for (const auto& key : output_keys) {
      auto it = dict.find(key);
      if (it == dict.end())
        return invalid_argument("the model's result has no key '" + key + "' (param output_keys)");
      if (!it->value().isTensor())
        return invalid_argument("the model's '" + key + "' is not a tensor");
      out.push_back(it->value().toTensor());
    }
    return out;
  }

  // A result per image: a list of dicts, or torchvision's (losses, [dict, ...]) tuple.
  Result<std::vector<std::vector<at::Tensor>>> per_image(const c10::IValue& result) const {
    c10::IValue list = result;
    if (list.isTuple() && !list.toTupleRef().elements().empty())
      list = list.toTupleRef().elements().back();  // (losses, detections): the detections
    if (!list.isList())
      return invalid_argument("input = \"image_list\": the model returned a " + result.tagKind() +
                              ", not a list of results per image (or a tuple ending in one)");
    std::vector<std::vector<at::Tensor>> out;
    for (const c10::IValue& item : list.toListRef()) {
      if (item.isGenericDict()) {
        SLUICE_ASSIGN_OR_RETURN(auto values, dict_values(item.toGenericDict()));
        out.push_back(std::move(values));
      } else if (item.isTensor()) {
        out.push_back({item.toTensor()});
      } else {
        return invalid_argument("the model's result per image is a " + item.tagKind() +
                                "; sluice takes a dict of tensors or a tensor");
      }
    }
    return out;
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
    return out;
  }

  Result<std::vector<at::Tensor>> run(std::vector<c10::IValue> inputs) {
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

Status TorchScriptNode::load_model(const Params& p, const std::string& model) {
  Impl& m = *impl_;
  const std::string architecture = p.get(kArchitecture);
  const std::string builtin = p.get(kBuiltinArchitecture);
  if (!architecture.empty() && !builtin.empty())
    return invalid_argument("set architecture or builtin_architecture, not both");
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

Status TorchScriptNode::load(const Params& p, const models::ModelSettings& s) {
  Impl& m = *impl_;
  // Loading and optimizing may warn too: through the node's handler, as forward passes do.
  c10::Warning::WarningHandlerGuard warn_once(&m.warnings);
  SLUICE_ASSIGN_OR_RETURN(m.device, resolve_device(s.device));
  m.fp16 = p.get(kFp16);
  if (m.fp16 && !m.device.is_cuda())
    return invalid_argument("fp16 = true needs a CUDA device; this node runs on the CPU");
  m.threads = s.threads > 0 ? s.threads : 1;  // LibTorch's count is per thread: this node's own
  m.output_keys = s.output_keys;
  m.image_list = p.get(kInput) == "image_list";
  // Custom ops register themselves when their library loads; kept loaded for the process
  // (ops cannot be unregistered while a model may still use them).
  for (const std::string& library : p.get(kOpsLibraries))
    if (!dlopen(library.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
      const char* why = dlerror();
      return not_found("ops_libraries: cannot load '" + library + "': " + (why ? why : "unknown"));
    }
  // Before loading: a quantized model's weights are packed for the engine set at load.
  SLUICE_ASSIGN_OR_RETURN(m.qengine, QEngineLease::acquire(p.get(kQEngine), s.model));
  SLUICE_RETURN_IF_ERROR(load_model(p, s.model));
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
  // The graph is then repaired: PyTorch 1.13 gets MobileNetV3's activations wrong on oneDNN
  // (mkldnn_repair.h). Not for image-list models: on torchvision's detectors, even repaired,
  // boxes move by up to 0.008 pixels (conv-BN folding), beyond the 1e-3 that
  // tests/pipelines/torchvision_test holds them to against Python.
  if (p.get(kOptimize) && !m.resnet && m.device.is_cpu() && !m.fp16 && !m.image_list) {
    try {
      m.module = torch::jit::optimize_for_inference(m.module);
      repair_mkldnn_activations(*m.module.get_method("forward").graph());
    } catch (const c10::Error& e) {
      return invalid_argument(
          "optimizing the model for inference failed (set optimize = false "
          "to run it as saved): " +
          one_line(e.what_without_backtrace()));
    }
  }
  return ok();
}

Result<std::vector<Tensor>> TorchScriptNode::forward(const std::vector<Tensor>& inputs) {
  Impl& m = *impl_;
  std::vector<c10::IValue> args;
  for (const Tensor& t : inputs) {
    SLUICE_ASSIGN_OR_RETURN(at::Tensor a, to_aten(t));
    args.emplace_back(
        a.to(m.device, m.fp16 && a.is_floating_point() ? torch::kHalf : a.scalar_type()));
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<at::Tensor> results, m.run(std::move(args)));
  std::vector<Tensor> out;
  for (const at::Tensor& r : results) {
    at::Tensor t = r.to(torch::kCPU);
    if (t.scalar_type() == torch::kHalf) t = t.to(torch::kFloat);
    SLUICE_ASSIGN_OR_RETURN(Tensor host, from_aten(t));
    out.push_back(std::move(host));
  }
  return out;
}

bool TorchScriptNode::takes_image_list() const { return impl_->image_list; }

Result<std::vector<std::vector<Tensor>>> TorchScriptNode::forward_list(
    const std::vector<Tensor>& images) {
  Impl& m = *impl_;
  c10::List<at::Tensor> list;
  for (const Tensor& t : images) {
    SLUICE_ASSIGN_OR_RETURN(at::Tensor a, to_aten(t));
    if (a.dim() == 4 && a.size(0) == 1) a = a.squeeze(0);
    if (a.dim() != 3)
      return invalid_argument(
          "input = \"image_list\" takes images [1, C, H, W] or [C, H, W], not " +
          shape_text(t.shape));
    list.push_back(
        a.to(m.device, m.fp16 && a.is_floating_point() ? torch::kHalf : a.scalar_type()));
  }
  at::set_num_threads(m.threads);
  c10::InferenceMode inference;
  c10::Warning::WarningHandlerGuard warn_once(&m.warnings);
  c10::IValue result;
  try {
    result = m.module.forward({c10::IValue(list)});
  } catch (const c10::Error& e) {
    return invalid_argument("forward failed: " + one_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return invalid_argument("forward failed: " + one_line(e.what()));
  }
  SLUICE_ASSIGN_OR_RETURN(auto per_image, m.per_image(result));
  std::vector<std::vector<Tensor>> out;
  for (const auto& tensors : per_image) {
    std::vector<Tensor> host;
    for (const at::Tensor& r : tensors) {
      at::Tensor t = r.to(torch::kCPU).contiguous();
      if (t.scalar_type() == torch::kHalf) t = t.to(torch::kFloat);
      SLUICE_ASSIGN_OR_RETURN(Tensor h, from_aten(t));
      host.push_back(std::move(h));
    }
    out.push_back(std::move(host));
  }
  return out;
}

}  // namespace sluice::models

SLUICE_EXPORT_NODES(sluice::models::TorchScriptNode)
