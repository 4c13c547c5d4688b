#include "regression.h"

#include <algorithm>
#include <cmath>

#include "sluice/text.h"
#include "tensor_view.h"

namespace sluice::postprocessors {

Status Regression::open(const Params& p) {
  names_ = p.get(kNames);
  mode_ = p.get(kMode);
  scale_ = p.get(kScale);
  offset_ = p.get(kOffset);
  bin_start_ = p.get(kBinStart);
  bin_step_ = p.get(kBinStep);
  probabilities_ = p.get(kProbabilities);
  if (names_.empty()) return invalid_argument("names is empty");
  if (mode_ == "expectation" && names_.size() != 1)
    return invalid_argument("mode = \"expectation\" gives one number: give one name, not " +
                            std::to_string(names_.size()));
  if (probabilities_ && mode_ != "expectation")
    return invalid_argument("probabilities = true is for mode = \"expectation\"");
  return ok();
}

Status Regression::process(Context& ctx) {
  const Tensor& t = ctx.get(kIn);
  SLUICE_ASSIGN_OR_RETURN(const std::span<const float> values, finite_values(t));
  const auto n = static_cast<int64_t>(values.size());
  const float* v = values.data();
  Values out;
  if (mode_ == "expectation") {
    if (n < 1) return invalid_argument("the output is empty: no bins");
    // Softmax with the maximum subtracted, so large logits do not overflow.
    const float top = *std::max_element(v, v + n);
    double total = 0, weighted = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double p = probabilities_ ? v[i] : std::exp(static_cast<double>(v[i]) - top);
      total += p;
      weighted += p * (bin_start_ + static_cast<double>(i) * bin_step_);
    }
    if (total <= 0) return invalid_argument("the bins' probabilities sum to 0");
    out.items.push_back({names_[0], static_cast<float>(weighted / total * scale_ + offset_)});
  } else {
    if (static_cast<std::size_t>(n) != names_.size())
      return invalid_argument("the output " + shape_text(t.shape) + " holds " + std::to_string(n) +
                              " values, and names has " + std::to_string(names_.size()) +
                              ": one name per value");
    for (int64_t i = 0; i < n; ++i) {
      const double x =
          mode_ == "sigmoid" ? 1.0 / (1.0 + std::exp(-static_cast<double>(v[i]))) : v[i];
      out.items.push_back(
          {names_[static_cast<std::size_t>(i)], static_cast<float>(x * scale_ + offset_)});
    }
  }
  ctx.send(kOut, std::move(out));
  return ok();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::Regression)
