#include "model_file.h"

#include <caffe2/serialize/inline_container.h>
#include <sluice/text.h>

#include <filesystem>
#include <fstream>

#include "qengine.h"

namespace sluice::models {
namespace {

std::string read_prefix(const std::string& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

const char* kExportHint =
    "export it as TorchScript: torch.jit.script(model).save(path) (or torch.jit.trace(model, "
    "example).save(path) for models script cannot compile)";

Status load_error(const std::string& path, const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  const std::string why = c10_error ? c10_error->what_without_backtrace() : e.what();
  // Loading packs a quantized model's weights for the current quantized engine; an engine
  // that cannot take them (or none at all) fails here, at open, not at the first frame.
  // A model that calls a library's custom ops (torchvision's nms, roi_align) loads only
  // once that library is: say which, and how, instead of LibTorch's page of TorchScript.
  if (const auto at = why.find("Unknown builtin op: "); at != std::string::npos) {
    const std::string op = why.substr(at + 20, why.find_first_of(".\n", at + 20) - at - 20);
    return invalid_argument("cannot load '" + path + "': it uses the custom op " + op +
                            ", whose library is not loaded: name it in ops_libraries (for "
                            "torchvision::*, Debian's python3-torchvision ships it as "
                            "torchvision/_C.*.so)");
  }
  if (why.find("prepack") != std::string::npos || why.find("QEngine") != std::string::npos)
    return invalid_argument("cannot load the quantized model '" + path +
                            "' with the quantized engine \"" + current_qengine() +
                            "\": " + one_line(why) +
                            " (param qengine; this LibTorch has: " + available_qengines() + ")");
  return invalid_argument("cannot load TorchScript '" + path + "': " + why);
}

}  // namespace

PtKind classify_pt_file(const std::string& path) {
  const std::string magic = read_prefix(path, 4);
  if (magic.size() >= 2 && static_cast<unsigned char>(magic[0]) == 0x80 &&
      static_cast<unsigned char>(magic[1]) <= 5)
    return PtKind::kLegacyPickle;  // torch.save(..., _use_new_zipfile_serialization=False)
  if (magic.rfind("PK", 0) != 0) return PtKind::kNotPyTorch;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (reader.hasRecord("constants.pkl") || reader.hasRecord("code/__torch__.py") ||
        reader.hasRecord("bytecode.pkl"))
      return PtKind::kTorchScript;
    if (!reader.hasRecord("data.pkl")) return PtKind::kNotPyTorch;
    auto [data, size] = reader.getRecord("data.pkl");
    const std::string pickle(static_cast<const char*>(data.get()), size);
    // A pickled module names its classes (torch.nn.modules..., __main__...); a state_dict
    // is an OrderedDict of tensors.
    if (pickle.find("torch.nn.modules") != std::string::npos ||
        pickle.find("__main__") != std::string::npos)
      return PtKind::kPickledModule;
    if (pickle.find("OrderedDict") != std::string::npos) return PtKind::kStateDict;
    return PtKind::kPickledModule;
  } catch (const std::exception&) {
    return PtKind::kNotPyTorch;
  }
}

Result<torch::jit::Module> load_torchscript(const std::string& path, const torch::Device& device) {
  if (!std::filesystem::is_regular_file(path))
    return not_found("model file '" + path + "' does not exist");
  switch (classify_pt_file(path)) {
    case PtKind::kTorchScript:
      break;
    case PtKind::kPickledModule:
      return invalid_argument("'" + path +
                              "' was written by torch.save(model): a pickled Python module, which "
                              "C++ cannot run; " +
                              kExportHint);
    case PtKind::kStateDict:
      return invalid_argument("'" + path +
                              "' holds only weights (a state_dict): give the architecture too "
                              "(param architecture), or " +
                              kExportHint);
    case PtKind::kLegacyPickle:
      return invalid_argument("'" + path +
                              "' is a legacy (non-zip) torch.save pickle, which C++ cannot run; " +
                              kExportHint);
    case PtKind::kNotPyTorch:
      return invalid_argument("'" + path + "' is not a PyTorch file (corrupt or truncated?)");
  }
  try {
    torch::jit::Module m = torch::jit::load(path, device);
    m.eval();
    return m;
  } catch (const std::exception& e) {  // c10::Error, or a JITException from TorchScript code
    return load_error(path, e);
  }
}

}  // namespace sluice::models
