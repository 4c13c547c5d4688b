// Takes KServe v2 inference requests (Triton's HTTP/REST protocol) posted to
// POST /v2/models/NAME/infer of `sluice run --http`: the request's JSON tensors become the
// packets of a stream of their own (out, out1, out2: the declared inputs in order), and
// tensor_response (this library's sink) answers with the model's outputs, named. NAME is
// the pipeline's name, or this node's; GET /v2/models/NAME gives the declared inputs and
// outputs. The queue, overload and deadlines are request_source.h's; the JSON,
// kserve_tensors.h's.
//
//   [nodes.request]
//   plugin = "tensor_request"
//   inputs = ["image FP32 [-1,1,28,28]"]     # NAME DATATYPE [SHAPE], -1: any size
//   outputs = ["logits FP32 [-1,10]"]        # what tensor_response answers, in order
//
// A request is checked on the server's thread that received it: every declared input
// given by name, of its datatype and a shape that fits, with as many values as its shape
// holds, each in its datatype's range, or 400 naming what is wrong.
#pragma once

#include "kserve_tensors.h"
#include "request_source.h"

namespace sluice::sources {

class TensorRequest final : public RequestSource {
 public:
  static constexpr NodeInfo kInfo{
      "tensor_request", NodeKind::kSource,
      "KServe v2 inference requests (JSON tensors) served over HTTP, each a stream of its "
      "own; tensor_response answers them."};
  static constexpr Output<Tensor> kOut{"out", "the first declared input"};
  static constexpr Output<Tensor> kOut1{"out1", "the second declared input"};
  static constexpr Output<Tensor> kOut2{"out2", "the third declared input"};
  static inline const Param<std::vector<std::string>> kInputs{
      .name = "inputs",
      .description =
          "the model's inputs, 1 to 3, as \"NAME DATATYPE [D0,D1,...]\" (-1: any size; "
          "FP32, FP16, UINT8, INT32, INT64), sent to out, out1, out2",
      .required = true};
  static inline const Param<std::vector<std::string>> kOutputs{
      .name = "outputs",
      .description =
          "the model's outputs, 1 to 4, as inputs writes them: what tensor_response's in, "
          "in1, in2, in3 answer as, checked against what the model gives",
      .required = true};
  SLUICE_CONTRACT(kInfo, kOut, kOut1, kOut2, kInputs, kOutputs, kMaxQueued, kTimeoutMs, kMaxBodyMb,
                  kRetryAfterS);

  Status open(const Params& params) override;
  Protocol protocol() const override { return Protocol::kTensors; }
  std::string model_metadata() const override { return metadata_json(inputs_, outputs_); }

 private:
  DecodedRequest decode(const ServedRequest& request) const override;
  void emit(Context& ctx, DecodedRequest& decoded, const PacketHeader& header) override;
  const char* type_name() const override { return "tensor_request"; }

  std::vector<TensorSpec> inputs_, outputs_;
};

}  // namespace sluice::sources
