#include "softmax_topk.h"

namespace sluice::postprocessors {

Status SoftmaxTopK::open(const Params& p) {
  k_ = p.get(kK);
  min_score_ = static_cast<float>(p.get(kMinScore));
  softmax_ = p.get(kSoftmax);
  SLUICE_ASSIGN_OR_RETURN(labels_, read_labels(p.get(kLabels)));
  return ok();
}

Status SoftmaxTopK::process(Context& ctx) {
  const Tensor& t = ctx.get(kIn);
  if (t.dtype != DType::kFloat32) return invalid_argument("scores must be float32");
  // One sample: every dimension but the class dimension is 1.
  const int64_t classes = t.numel();
  const int64_t largest = t.shape.empty() ? 0 : *std::max_element(t.shape.begin(), t.shape.end());
  if (classes == 0 || classes != largest)
    return invalid_argument("scores of shape " + shape_text(t.shape) +
                            " are not one sample's classes (a batch? split it with the model's "
                            "batching, which sends one packet per sample)");
  std::vector<float> p(t.as<float>(), t.as<float>() + classes);
  // A NaN would make the order undefined (and an infinity a NaN after the softmax).
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!std::isfinite(p[i]))
      return invalid_argument("the score of class " + std::to_string(i) + " is " +
                              std::to_string(p[i]) + ": the model's output is not finite");
  if (softmax_ == "always" || (softmax_ == "auto" && !are_probabilities(p))) softmax(p);
  std::vector<int> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  const std::size_t k = std::min<std::size_t>(k_, order.size());
  // Best first; equal scores by class id, so that ties come out the same every time.
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  Classifications out;
  for (std::size_t i = 0; i < k; ++i) {
    if (p[order[i]] < min_score_) break;
    out.top.push_back({order[i], p[order[i]], label_of(labels_, order[i])});
  }
  ctx.send(kOut, std::move(out));
  return ok();
}

bool SoftmaxTopK::are_probabilities(const std::vector<float>& p) {
  double sum = 0;
  for (float x : p) {
    if (x < 0 || x > 1) return false;
    sum += x;
  }
  return std::abs(sum - 1.0) < 1e-3;
}

void SoftmaxTopK::softmax(std::vector<float>& p) {
  const float top = *std::max_element(p.begin(), p.end());
  double sum = 0;
  for (float& x : p) sum += (x = std::exp(x - top));
  for (float& x : p) x = static_cast<float>(x / sum);
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::SoftmaxTopK)
