#include "batched_model_node.h"

#include <algorithm>
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
  const std::string batch_shapes = p.get(kBatchShapes);
  batch_shapes_ = batch_shapes == "pad"     ? BatchShapes::kPad
                  : batch_shapes == "group" ? BatchShapes::kGroup
                                            : BatchShapes::kError;
  pad_value_ = p.get(kPadValue);
  pad_info_ = p.get(kPadInfo);
  if (pad_info_ != "none" && batch_shapes_ != BatchShapes::kPad)
    return invalid_argument("pad_info = \"" + pad_info_ + "\" needs batch_shapes = \"pad\"");

  // Warm-up: the first passes optimize the graph, allocate and pick kernels; do them now
  // rather than on the first frames.
  const int warmup = p.get(kWarmup);
  std::vector<int64_t> shape = input_shape_.empty() ? declared_input_shape() : input_shape_;
  const char* shape_from = input_shape_.empty() ? "the model's declared shape" : "input_shape";
  if (warmup > 0 && !shape.empty() && input_count() <= 1 && input_count() != 0) {
    for (auto& d : shape) d = d < 0 ? 1 : d;
    const Tensor zeros = Tensor::zeros(DType::kFloat32, shape);
    for (int i = 0; i < warmup; ++i) {
      const Status s =
          takes_image_list() ? forward_list({zeros}).status() : forward({zeros}).status();
      if (!s.ok())
        return Status(s.code(), std::string("warm-up with ") + shape_from + " " +
                                    shape_text(shape) + ": " + s.message());
    }
  }
  return ok();
}

namespace {

const Input<Tensor>* const kPorts[] = {&BatchedModelNode::kIn, &BatchedModelNode::kIn1,
                                       &BatchedModelNode::kIn2};

// The shapes of input set i's connected inputs after their first dimension (the rows,
// which may differ: they are what is joined), as one key: equal keys can share a pass.
std::vector<std::vector<int64_t>> shape_key(const Context& ctx, std::size_t i,
                                            const bool connected[3]) {
  std::vector<std::vector<int64_t>> key;
  for (std::size_t k = 0; k < 3; ++k) {
    if (!connected[k]) continue;
    const auto& shape = ctx.get_if(*kPorts[k], i)->shape;
    key.emplace_back(shape.empty() ? shape.begin() : shape.begin() + 1, shape.end());
  }
  return key;
}

}  // namespace

Status BatchedModelNode::process(Context& ctx) {
  const std::size_t n = ctx.batch_size();
  const Output<Tensor>* outputs[] = {&kOut, &kOut1, &kOut2, &kOut3};
  bool connected[3];
  for (std::size_t k = 0; k < 3; ++k) connected[k] = ctx.get_if(*kPorts[k]) != nullptr;
  SLUICE_RETURN_IF_ERROR(check_ports(connected));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < 3; ++k)
      if (connected[k] && !ctx.get_if(*kPorts[k], i))
        return invalid_argument("input '" + std::string(kPorts[k]->name) +
                                "' is missing in a batch");

  // A list of images takes any sizes: nothing to group or pad.
  if (takes_image_list()) return run_list_pass(ctx, connected);

  // Which input sets run together: all of them, unless their shapes differ (after the
  // batch dimension) and batch_shapes groups them by shape.
  std::vector<std::vector<std::vector<int64_t>>> keys;
  std::vector<std::vector<std::size_t>> passes;
  for (std::size_t i = 0; i < n; ++i) {
    auto key = shape_key(ctx, i, connected);
    const auto at = std::find(keys.begin(), keys.end(), key);
    if (at == keys.end()) {
      keys.push_back(std::move(key));
      passes.push_back({i});
    } else {
      passes[static_cast<std::size_t>(at - keys.begin())].push_back(i);
    }
  }
  const bool same_shapes = keys.size() == 1;
  if (!same_shapes && batch_shapes_ == BatchShapes::kError)
    return invalid_argument("the packets of a batch differ in shape (" +
                            shape_text(ctx.get_if(kIn, passes[0][0])->shape) + " and " +
                            shape_text(ctx.get_if(kIn, passes[1][0])->shape) +
                            "): set batch_shapes = \"pad\" or \"group\" on this node, "
                            "resize them to one size, or use max_batch = 1");
  if (batch_shapes_ != BatchShapes::kGroup) {  // one pass of every set, padded if need be
    passes.assign(1, {});
    for (std::size_t i = 0; i < n; ++i) passes[0].push_back(i);
  }

  std::vector<std::vector<Tensor>> results(n);
  // With pad, every pass pads (a no-op for equal shapes): a model that takes pad_info gets
  // it on every pass, a batch of one included.
  for (const auto& pass : passes)
    SLUICE_RETURN_IF_ERROR(
        run_pass(ctx, pass, connected, batch_shapes_ == BatchShapes::kPad, results));
  // Sent in the call's order, whatever the passes: a stream's packets stay in order.
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < results[i].size(); ++k)
      ctx.send(*outputs[k], std::move(results[i][k]), ctx.header(i));
  return ok();
}

Status BatchedModelNode::run_list_pass(Context& ctx, const bool connected[3]) {
  if (connected[1] || connected[2])
    return invalid_argument("a model that takes a list of images has one input: connect `in` only");
  const std::size_t n = ctx.batch_size();
  std::vector<Tensor> images;
  for (std::size_t i = 0; i < n; ++i) {
    const Tensor* t = ctx.get_if(kIn, i);
    SLUICE_RETURN_IF_ERROR(check_input(0, kIn.name, t->shape));
    images.push_back(*t);
  }
  SLUICE_ASSIGN_OR_RETURN(auto results, forward_list(images));
  if (results.size() != n)
    return invalid_argument("the model gave " + std::to_string(results.size()) +
                            " results for a list of " + std::to_string(n) + " images");
  ctx.add_to_counter("forward_passes");
  const Output<Tensor>* outputs[] = {&kOut, &kOut1, &kOut2, &kOut3};
  for (std::size_t i = 0; i < n; ++i) {
    if (results[i].size() > 4)
      return invalid_argument("the model gave " + std::to_string(results[i].size()) +
                              " tensors per image; the node has 4 outputs (name the ones to "
                              "keep with output_keys)");
    for (std::size_t k = 0; k < results[i].size(); ++k)
      ctx.send(*outputs[k], std::move(results[i][k]), ctx.header(i));
  }
  return ok();
}

Status BatchedModelNode::run_pass(Context& ctx, const std::vector<std::size_t>& sets,
                                  const bool connected[3], bool pad,
                                  std::vector<std::vector<Tensor>>& results) {
  // Inputs: each connected port's tensors of the pass, joined along dimension 0.
  std::vector<Tensor> inputs;
  std::vector<int64_t> rows(sets.size(), 1);  // rows of each set, to split outputs back
  std::vector<int64_t> padded;                // `in`'s padded shape, when padding
  for (std::size_t k = 0; k < 3; ++k) {
    if (!connected[k]) continue;
    const Input<Tensor>& port = *kPorts[k];
    std::vector<const Tensor*> parts;
    for (std::size_t j = 0; j < sets.size(); ++j) {
      const Tensor* t = ctx.get_if(port, sets[j]);
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
      if (k == 0) rows[j] = t->shape.empty() ? 1 : t->shape[0];
      parts.push_back(t);
    }
    std::vector<Tensor> padded_parts;  // owns the padded copies while they are joined
    if (pad) {
      SLUICE_ASSIGN_OR_RETURN(std::vector<int64_t> shape, padded_shape(parts));
      if (k == 0) padded = shape;
      for (const Tensor* t : parts) {
        SLUICE_ASSIGN_OR_RETURN(Tensor p, pad_to(*t, shape, pad_value_));
        padded_parts.push_back(std::move(p));
      }
      for (std::size_t j = 0; j < parts.size(); ++j) parts[j] = &padded_parts[j];
    }
    SLUICE_ASSIGN_OR_RETURN(Tensor batch, concat_batch(parts));
    inputs.push_back(std::move(batch));
  }
  if (pad && pad_info_ != "none") {
    // What was padded, for models that take it: a mask of `in`, or its sizes per packet.
    std::vector<const Tensor*> parts;
    std::vector<Tensor> infos;
    for (std::size_t j = 0; j < sets.size(); ++j) {
      const Tensor& t = *ctx.get_if(kIn, sets[j]);
      if (pad_info_ == "mask") {
        infos.push_back(padding_mask(t, padded, t.dtype));
      } else {
        const int64_t dims = static_cast<int64_t>(t.shape.size()) - 1;
        Tensor lengths = Tensor::zeros(DType::kInt64, {rows[j], dims});
        for (int64_t r = 0; r < rows[j]; ++r)
          for (int64_t d = 0; d < dims; ++d) lengths.as<int64_t>()[r * dims + d] = t.shape[d + 1];
        infos.push_back(std::move(lengths));
      }
    }
    for (const Tensor& t : infos) parts.push_back(&t);
    SLUICE_ASSIGN_OR_RETURN(Tensor info, concat_batch(parts));
    inputs.push_back(std::move(info));
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<Tensor> out, forward(inputs));
  if (out.size() > 4)
    return invalid_argument("the model returned " + std::to_string(out.size()) +
                            " tensors; the node has 4 outputs (out, out1, out2, out3)");
  ctx.add_to_counter("forward_passes");

  // Outputs: every result split back along dimension 0, each set's rows.
  int64_t total_rows = 0;
  for (int64_t r : rows) total_rows += r;
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (sets.size() == 1) {
      results[sets[0]].push_back(std::move(out[k]));
      continue;
    }
    const Tensor& t = out[k];
    if (t.shape.empty() || t.shape[0] != total_rows)
      return invalid_argument("output " + output_name(k) + " has shape " + shape_text(t.shape) +
                              ": its first dimension is not the batch (" +
                              std::to_string(total_rows) +
                              "), so it cannot be split back per packet; use max_batch = 1");
    int64_t start = 0;
    for (std::size_t j = 0; j < sets.size(); ++j) {
      SLUICE_ASSIGN_OR_RETURN(Tensor part, rows_of(t, start, rows[j]));
      results[sets[j]].push_back(std::move(part));
      start += rows[j];
    }
  }
  return ok();
}

}  // namespace sluice::models
