#include "batched_model_node.h"

#include <filesystem>

#include "batch_tensors.h"
#include "sluice/text.h"

namespace sluice::models {

Result<DeviceRequest> parse_device(const std::string& text) {
  DeviceRequest d;
  d.text = text;
  if (text == "auto") return d;
  if (text == "cpu") {
    d.kind = DeviceRequest::Kind::kCpu;
    return d;
  }
  if (text.rfind("cuda", 0) != 0)
    return invalid_argument("device '" + printable(text) +
                            "' is not one of auto, cpu, cuda, cuda:N");
  d.kind = DeviceRequest::Kind::kCuda;
  if (text.size() > 4) {
    if (text[4] != ':')
      return invalid_argument("device '" + printable(text) + "': write cuda or cuda:N");
    const std::string number = text.substr(5);
    if (number.empty() || number.size() > 3 ||
        number.find_first_not_of("0123456789") != std::string::npos)
      return invalid_argument("device '" + printable(text) + "': N in cuda:N must be a number");
    d.index = std::stoi(number);
  }
  return d;
}

Status BatchedModelNode::open(const Params& p) {
  ModelSettings s;
  SLUICE_ASSIGN_OR_RETURN(s.device, parse_device(p.get(kDevice)));
  s.model = p.get(kModel);
  if (!std::filesystem::is_regular_file(s.model))
    return not_found("model file '" + s.model + "' does not exist");
  s.threads = p.get(kThreads);
  s.input_shape = p.get(kInputShape);
  s.output_keys = p.get(kOutputKeys);
  input_shape_ = s.input_shape;
  SLUICE_RETURN_IF_ERROR(load(p, s));

  // A model that takes one packet per pass asks the runtime not to gather batches:
  // waiting for a batch it cannot run would only add latency.
  max_batch_ = one_packet_per_pass() ? 1 : p.get(kMaxBatch);
  max_delay_us_ = static_cast<int64_t>(p.get(kMaxDelayMs) * 1000);

  // Warm-up: the first passes optimize the graph, allocate and pick kernels; do them now
  // rather than on the first frames.
  const int warmup = p.get(kWarmup);
  std::vector<int64_t> shape = input_shape_.empty() ? declared_input_shape() : input_shape_;
  const char* shape_from = input_shape_.empty() ? "the model's declared shape" : "input_shape";
  if (warmup > 0 && !shape.empty() && input_count() <= 1 && input_count() != 0) {
    for (auto& d : shape) d = d < 0 ? 1 : d;
    const Tensor zeros = Tensor::zeros(DType::kFloat32, shape);
    for (int i = 0; i < warmup; ++i) {
      auto result = forward({zeros});
      if (!result.ok())
        return Status(result.status().code(), std::string("warm-up with ") + shape_from + " " +
                                                  shape_text(shape) + ": " +
                                                  result.status().message());
    }
  }
  return ok();
}

Status BatchedModelNode::process(Context& ctx) {
  const std::size_t n = ctx.batch_size();
  const Input<Tensor>* ports[] = {&kIn, &kIn1, &kIn2};
  const Output<Tensor>* outputs[] = {&kOut, &kOut1, &kOut2, &kOut3};
  bool connected[3];
  for (std::size_t k = 0; k < 3; ++k) connected[k] = ctx.get_if(*ports[k]) != nullptr;
  SLUICE_RETURN_IF_ERROR(check_ports(connected));

  // Inputs: each connected port's tensors of the batch, joined along dimension 0.
  std::vector<Tensor> inputs;
  std::vector<int64_t> rows(n, 1);  // rows of each packet in the batch, to split outputs back
  for (std::size_t k = 0; k < 3; ++k) {
    if (!connected[k]) continue;
    const Input<Tensor>& port = *ports[k];
    std::vector<const Tensor*> parts;
    for (std::size_t i = 0; i < n; ++i) {
      const Tensor* t = ctx.get_if(port, i);
      if (!t)
        return invalid_argument("input '" + std::string(port.name) + "' is missing in a batch");
      if (k == 0 && !input_shape_.empty()) {
        bool good = t->shape.size() == input_shape_.size();
        for (std::size_t d = 0; good && d < t->shape.size(); ++d)
          good = input_shape_[d] < 0 || input_shape_[d] == t->shape[d];
        if (!good)
          return invalid_argument("input '" + std::string(port.name) + "' has shape " +
                                  shape_text(t->shape) + " but the model takes " +
                                  shape_text(input_shape_) + " (param input_shape; -1 = any size)");
      }
      SLUICE_RETURN_IF_ERROR(check_input(k, port.name, t->shape));
      if (k == 0) rows[i] = t->shape.empty() ? 1 : t->shape[0];
      parts.push_back(t);
    }
    SLUICE_ASSIGN_OR_RETURN(Tensor batch, concat_batch(parts));
    inputs.push_back(std::move(batch));
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<Tensor> results, forward(inputs));
  if (results.size() > 4)
    return invalid_argument("the model returned " + std::to_string(results.size()) +
                            " tensors; the node has 4 outputs (out, out1, out2, out3)");
  ctx.add_to_counter("forward_passes");

  // Outputs: every result split back along dimension 0, each packet's rows with its header.
  int64_t total_rows = 0;
  for (int64_t r : rows) total_rows += r;
  for (std::size_t k = 0; k < results.size(); ++k) {
    if (n == 1) {
      ctx.send(*outputs[k], std::move(results[k]), ctx.header(0));
      continue;
    }
    const Tensor& t = results[k];
    if (t.shape.empty() || t.shape[0] != total_rows)
      return invalid_argument("output " + output_name(k) + " has shape " + shape_text(t.shape) +
                              ": its first dimension is not the batch (" +
                              std::to_string(total_rows) +
                              "), so it cannot be split back per packet; use max_batch = 1");
    int64_t start = 0;
    for (std::size_t i = 0; i < n; ++i) {
      SLUICE_ASSIGN_OR_RETURN(Tensor part, rows_of(t, start, rows[i]));
      ctx.send(*outputs[k], std::move(part), ctx.header(i));
      start += rows[i];
    }
  }
  return ok();
}

}  // namespace sluice::models
