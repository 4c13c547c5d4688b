// Turns a classifier's scores into the top-k classes with labels.
//
//   [nodes.top5]
//   plugin = "softmax_topk"
//   k = 5
//   labels = "models/imagenet_labels.txt"
//   min_score = 0.1
//   softmax = "auto"     # auto: skipped when the scores already are probabilities
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>

#include "labels.h"
#include "sluice/sluice.h"

namespace sluice::postprocessors {

class SoftmaxTopK final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "softmax_topk",
      .kind = NodeKind::kPostprocessor,
      .description = "Softmax (when needed), then the k best classes with labels.",
      .stateless = true};
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

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  static bool are_probabilities(const std::vector<float>& p);
  static void softmax(std::vector<float>& p);

  int k_ = 5;
  float min_score_ = 0;
  std::string softmax_ = "auto";
  std::vector<std::string> labels_;
};

}  // namespace sluice::postprocessors
