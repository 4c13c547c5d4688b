// Answers tensor_request's KServe v2 requests with the model's outputs: in, in1, in2, in3
// are the outputs tensor_request declares, in order, each answered under its name, with its
// datatype and shape, the values row-major:
//
//   {"model_name": "fmnist", "model_version": "1", "id": "7",
//    "outputs": [{"name": "logits", "datatype": "FP32", "shape": [1, 10], "data": [...]}]}
//
// Only the outputs a request asks for ("outputs": [{"name": ...}]) are answered; all of them
// when it asks for none. A tensor that does not fit its declaration (datatype, shape) is
// answered 500 naming both, and counted ("misdeclared").
//
//   [nodes.answer]
//   plugin = "tensor_response"
//
//   links = ["request -> model -> answer"]
#pragma once

#include "sluice/sluice.h"

namespace sluice::sources {

class TensorResponse final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "tensor_response", NodeKind::kSink,
      "Answers tensor_request's KServe v2 requests with the model's outputs, named."};
  static constexpr Input<Tensor> kIn{"in", "the first declared output"};
  static constexpr Input<Tensor> kIn1{
      .name = "in1", .description = "the second declared output", .required = false};
  static constexpr Input<Tensor> kIn2{
      .name = "in2", .description = "the third declared output", .required = false};
  static constexpr Input<Tensor> kIn3{
      .name = "in3", .description = "the fourth declared output", .required = false};
  SLUICE_CONTRACT(kInfo, kIn, kIn1, kIn2, kIn3);

  Status process(Context& ctx) override;
};

}  // namespace sluice::sources
