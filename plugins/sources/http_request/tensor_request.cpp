#include "tensor_request.h"

namespace sluice::sources {
namespace {

// The specs of a list param, each checked, names unique; or an error naming the entry.
Result<std::vector<TensorSpec>> specs_of(const std::vector<std::string>& texts, const char* param,
                                         std::size_t most) {
  if (texts.empty() || texts.size() > most)
    return invalid_argument(std::string(param) + " has " + std::to_string(texts.size()) +
                            " entries: give 1 to " + std::to_string(most));
  std::vector<TensorSpec> specs;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto spec = parse_tensor_spec(texts[i]);
    if (!spec.ok())
      return invalid_argument(std::string(param) + "[" + std::to_string(i) + "] " +
                              spec.status().message());
    for (const TensorSpec& other : specs)
      if (other.name == spec->name)
        return invalid_argument(std::string(param) + " names '" + spec->name + "' twice");
    specs.push_back(*std::move(spec));
  }
  return specs;
}

}  // namespace

Status TensorRequest::open(const Params& params) {
  auto inputs = specs_of(params.get(kInputs), "inputs", 3);
  if (!inputs.ok()) return inputs.status();
  auto outputs = specs_of(params.get(kOutputs), "outputs", 4);
  if (!outputs.ok()) return outputs.status();
  inputs_ = *std::move(inputs);
  outputs_ = *std::move(outputs);
  return RequestSource::open(params);
}

DecodedRequest TensorRequest::decode(const ServedRequest& request) const {
  ParsedInferRequest parsed = parse_infer_request(request.body(), inputs_, outputs_);
  DecodedRequest decoded;
  decoded.status = parsed.status;
  decoded.error = std::move(parsed.error);
  if (parsed.status != 200) return decoded;
  parsed.plan.model_name = request.target();
  decoded.tensors = std::move(parsed.inputs);
  decoded.plan = std::make_shared<const TensorPlan>(std::move(parsed.plan));
  return decoded;
}

void TensorRequest::emit(Context& ctx, DecodedRequest& decoded, const PacketHeader& header) {
  const Output<Tensor>* ports[] = {&kOut, &kOut1, &kOut2};
  for (std::size_t k = 0; k < decoded.tensors.size(); ++k)
    ctx.send(*ports[k], std::move(decoded.tensors[k]), header);
}

}  // namespace sluice::sources
