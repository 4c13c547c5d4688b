#include "qengine.h"

#include <ATen/Context.h>
#include <caffe2/serialize/inline_container.h>

#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace sluice::models {
namespace {

const std::pair<const char*, at::QEngine> kEngines[] = {
    {"qnnpack", at::kQNNPACK}, {"onednn", at::kONEDNN}, {"fbgemm", at::kFBGEMM}, {"x86", at::kX86}};

std::optional<at::QEngine> engine_of(const std::string& name) {
  for (const auto& [n, e] : kEngines)
    if (name == n) return e;
  return std::nullopt;
}

std::string name_of(at::QEngine engine) {
  for (const auto& [n, e] : kEngines)
    if (engine == e) return n;
  return "none";
}

bool supported(at::QEngine engine) {
  for (at::QEngine e : at::globalContext().supportedQEngines())
    if (e == engine) return true;
  return false;
}

// Which engine the open nodes of this process hold, how many hold it, and the model of the
// first, for the message a node asking for another engine gets; and LibTorch's engine
// before the first, which the last one puts back.
struct Holders {
  std::mutex mu;
  std::string engine;
  int count = 0;
  std::string first_model;
  at::QEngine before = at::kNoQEngine;
};
Holders& holders() {
  static Holders h;
  return h;
}

}  // namespace

std::string available_qengines() {
  std::string names;
  for (at::QEngine e : at::globalContext().supportedQEngines()) {
    if (e == at::kNoQEngine) continue;
    names += (names.empty() ? "" : ", ") + name_of(e);
  }
  return names.empty() ? "none" : names;
}

std::string current_qengine() { return name_of(at::globalContext().qEngine()); }

std::string qengine_named_by(const std::string& model_file) {
  try {
    caffe2::serialize::PyTorchStreamReader reader(model_file);
    if (!reader.hasRecord("extra/sluice_qengine")) return "";
    auto [data, size] = reader.getRecord("extra/sluice_qengine");
    return std::string(static_cast<const char*>(data.get()), size);
  } catch (const std::exception&) {
    return "";  // not a zip archive: loading the model says what is wrong with it
  }
}

Result<std::unique_ptr<QEngineLease>> QEngineLease::acquire(const std::string& requested,
                                                            const std::string& model_file) {
  std::string engine = requested;
  if (requested == "auto") {
    engine = qengine_named_by(model_file);
    if (engine.empty() || engine == "any")
      return std::unique_ptr<QEngineLease>(new QEngineLease(""));
  }
  const std::optional<at::QEngine> e = engine_of(engine);
  const std::string origin =
      requested == "auto" ? "'" + model_file + "' was quantized for" : "qengine";
  if (!e || !supported(*e))
    return unavailable(origin + " \"" + engine +
                       "\", which this LibTorch lacks; it has: " + available_qengines() +
                       (requested == "auto" ? " (set qengine to one of them to try it)" : ""));

  Holders& h = holders();
  std::lock_guard lock(h.mu);
  if (h.count > 0 && h.engine != engine)
    return invalid_argument(
        origin + " \"" + engine + "\", but another torchscript node (model '" + h.first_model +
        "') holds LibTorch's quantized engine as \"" + h.engine +
        "\": it is one setting for the whole process, so every node must use the same qengine");
  if (h.count == 0) {
    h.before = at::globalContext().qEngine();
    at::globalContext().setQEngine(*e);
    h.engine = engine;
    h.first_model = model_file;
  }
  ++h.count;
  return std::unique_ptr<QEngineLease>(new QEngineLease(engine));
}

QEngineLease::~QEngineLease() {
  if (engine_.empty()) return;
  Holders& h = holders();
  std::lock_guard lock(h.mu);
  if (--h.count == 0 && supported(h.before)) at::globalContext().setQEngine(h.before);
}

}  // namespace sluice::models
