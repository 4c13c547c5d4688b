// Turns a classifier's scores into the top-k classes with labels.
//
//   [nodes.top5]
//   plugin = "softmax_topk"
//   k = 5
//   labels = "models/imagenet_labels.txt"
//   min_score = 0.1
//   softmax = "auto"     # auto: skipped when the scores already are probabilities
#include <algorithm>
#include <cmath>
#include <numeric>

#include "../common/labels.h"
#include "sluice/sluice.h"

namespace sluice::postprocess {

class SoftmaxTopK final : public Node {
 public:
  static constexpr NodeInfo kInfo{"softmax_topk", NodeKind::kPostprocessor,
                                  "Softmax (when needed), then the k best classes with labels.",
                                  true};
  static constexpr Input<Tensor> kIn{"in", "scores of one sample: [C], [1, C] or [1, C, 1, 1]"};
  static constexpr Output<Classifications> kOut{"out", "the best classes, best first"};
  static inline const Param<int> kK{.name = "k",
                                    .default_value = 5,
                                    .description = "how many classes to keep",
                                    .min = 1,
                                    .max = 100000};
  static inline const Param<std::string> kLabels{.name = "labels",
                                                 .default_value = "",
                                                 .description = "label file: line i names class i",
                                                 .is_path = true};
  static inline const Param<double> kMinScore{.name = "min_score",
                                              .default_value = 0.0,
                                              .description = "drop classes below this probability",
                                              .min = 0.0,
                                              .max = 1.0};
  static inline const Param<std::string> kSoftmax{
      .name = "softmax",
      .default_value = "auto",
      .description =
          "apply softmax: auto (unless the scores already sum to 1 within [0, 1]), always, never",
      .choices = {"auto", "always", "never"}};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kK, kLabels, kMinScore, kSoftmax);

  Status open(const Params& p) override {
    k_ = p.get(kK);
    min_score_ = static_cast<float>(p.get(kMinScore));
    softmax_ = p.get(kSoftmax);
    SLUICE_ASSIGN_OR_RETURN(labels_, read_labels(p.get(kLabels)));
    return ok();
  }

  Status process(Context& ctx) override {
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
    if (softmax_ == "always" || (softmax_ == "auto" && !are_probabilities(p))) softmax(p);
    std::vector<int> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    const std::size_t k = std::min<std::size_t>(k_, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](int a, int b) { return p[a] > p[b]; });
    Classifications out;
    for (std::size_t i = 0; i < k; ++i) {
      if (p[order[i]] < min_score_) break;
      out.top.push_back({order[i], p[order[i]], label_of(labels_, order[i])});
    }
    ctx.send(kOut, std::move(out));
    return ok();
  }

 private:
  static bool are_probabilities(const std::vector<float>& p) {
    double sum = 0;
    for (float x : p) {
      if (x < 0 || x > 1) return false;
      sum += x;
    }
    return std::abs(sum - 1.0) < 1e-3;
  }
  static void softmax(std::vector<float>& p) {
    const float top = *std::max_element(p.begin(), p.end());
    double sum = 0;
    for (float& x : p) sum += (x = std::exp(x - top));
    for (float& x : p) x = static_cast<float>(x / sum);
  }

  int k_ = 5;
  float min_score_ = 0;
  std::string softmax_ = "auto";
  std::vector<std::string> labels_;
};

}  // namespace sluice::postprocess

SLUICE_EXPORT_NODES(sluice::postprocess::SoftmaxTopK)
