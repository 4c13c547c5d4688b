#include "weights.h"

#include <sluice/text.h>

#include <map>
#include <set>

#include "tensor_bridge.h"

namespace sluice::models {
namespace {

// "a, b, c and 12 more"
std::string listed(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 8;
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i)
    s += (i ? ", " : "") + printable(names[i]);  // keys are the file's bytes
  if (names.size() > kShown) s += " and " + std::to_string(names.size() - kShown) + " more";
  return s;
}

}  // namespace

NamedTensors named_tensors(const torch::jit::Module& module) {
  NamedTensors out;
  for (const auto& p : module.named_parameters(true)) out.emplace_back(p.name, p.value);
  for (const auto& b : module.named_buffers(true)) out.emplace_back(b.name, b.value);
  return out;
}

Status load_weights(const StateDict& weights, const NamedTensors& targets,
                    const std::string& file) {
  std::map<std::string, at::Tensor> given(weights.begin(), weights.end());
  std::vector<std::string> missing, unexpected, mismatched;
  std::set<std::string> known;
  for (const auto& [name, target] : targets) {
    known.insert(name);
    auto it = given.find(name);
    if (it == given.end()) {
      missing.push_back(name);
    } else if (it->second.sizes() != target.sizes()) {
      mismatched.push_back(name + " " + shape_text(it->second.sizes()) + " in the file, " +
                           shape_text(target.sizes()) + " in the model");
    }
  }
  for (const auto& [name, t] : weights)
    if (!known.count(name)) unexpected.push_back(name);
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string why = "the weights in '" + file + "' do not fit the architecture:";
    if (!missing.empty())
      why += " missing keys (" + std::to_string(missing.size()) + "): " + listed(missing) + ";";
    if (!unexpected.empty())
      why += " unexpected keys (" + std::to_string(unexpected.size()) + "): " + listed(unexpected) +
             ";";
    if (!mismatched.empty())
      why += " shape mismatches (" + std::to_string(mismatched.size()) +
             "): " + listed(mismatched) + ";";
    why.pop_back();
    return invalid_argument(why);
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    at::Tensor t = target;  // shares the model's storage
    t.copy_(given.at(name));
  }
  return ok();
}

}  // namespace sluice::models
