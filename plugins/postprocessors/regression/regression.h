// Turns a regression head's outputs into named numbers (the seed's "regression task: take
// the output value directly"): values as they are, scaled and offset; through a sigmoid (a
// probability, e.g. of one of two classes); or the expected value over a softmax of bins
// (an age from 100 one-year bins).
//
//   [nodes.age]
//   plugin = "regression"
//   mode = "expectation"     # sum of bin values weighted by their softmax probabilities
//   names = ["age"]
//   bin_start = 0            # bin i stands for bin_start + i * bin_step
//   bin_step = 1
#pragma once

#include "sluice/sluice.h"

namespace sluice::postprocessors {

class Regression final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "regression",
      .kind = NodeKind::kPostprocessor,
      .description =
          "Regression outputs to named numbers: as they are, through a sigmoid, or "
          "the expected value over binned probabilities.",
      .stateless = true};
  static constexpr Input<Tensor> kIn{"in", "one sample's output values (float32)"};
  static constexpr Output<Values> kOut{"out", "the named numbers"};
  static inline const Param<std::vector<std::string>> kNames{
      .name = "names",
      .description = "a name per output value (value, sigmoid), or the one name (expectation)",
      .required = true};
  static inline const Param<std::string> kMode{
      .name = "mode",
      .default_value = "value",
      .description =
          "value: v; sigmoid: 1 / (1 + exp(-v)); expectation: sum over bins of "
          "softmax(v)_i x (bin_start + i x bin_step); then x scale + offset",
      .choices = {"value", "sigmoid", "expectation"}};
  static inline const Param<double> kScale{
      .name = "scale", .default_value = 1.0, .description = "the result is multiplied by it"};
  static inline const Param<double> kOffset{
      .name = "offset", .default_value = 0.0, .description = "then this is added"};
  static inline const Param<double> kBinStart{
      .name = "bin_start", .default_value = 0.0, .description = "expectation: bin 0's value"};
  static inline const Param<double> kBinStep{
      .name = "bin_step", .default_value = 1.0, .description = "expectation: between bins"};
  static inline const Param<bool> kProbabilities{
      .name = "probabilities",
      .default_value = false,
      .description = "expectation: the values are already probabilities (no softmax)"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kNames, kMode, kScale, kOffset, kBinStart, kBinStep,
                  kProbabilities);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;

 private:
  std::vector<std::string> names_;
  std::string mode_ = "value";
  double scale_ = 1, offset_ = 0, bin_start_ = 0, bin_step_ = 1;
  bool probabilities_ = false;
};

}  // namespace sluice::postprocessors
