#include "onnx_node.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <opencv2/dnn.hpp>
#include <sstream>

#include "onnx_file.h"
#include "opencv_threads.h"
#include "tensor_blob.h"

namespace sluice::onnx {
namespace {

// cv::Exception's what() carries OpenCV's source path and line; its `err` is the message
// a user needs, which the ONNX importer may spread over several lines.
// OpenCV's message (which may quote the file's names) as one printable line. Unlike
// LibTorch's, its lines all belong to the message (its importer's errors end in a line
// holding only ">"), so they are joined rather than cut to the last.
std::string one_line(const cv::Exception& e) {
  std::string m = e.err.empty() ? std::string(e.what()) : e.err;
  std::replace(m.begin(), m.end(), '\n', ' ');
  return sluice::one_line(m);
}

Status check_device(const std::string& device) {
  if (device == "cpu" || device == "auto") return ok();
  const std::string why = "the onnx node runs models with OpenCV DNN, which is CPU-only here";
  if (device.rfind("cuda", 0) == 0)
    return invalid_argument("device '" + device + "': " + why +
                            "; use device = \"cpu\", or plugin = \"torchscript\" for a GPU");
  return invalid_argument("device '" + device + "' is not cpu or auto (" + why + ")");
}

Result<std::string> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read model file '" + path + "'");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string names_of(const std::vector<OnnxValue>& values) {
  std::string s;
  for (const auto& v : values) s += (s.empty() ? "'" : ", '") + printable(v.name) + "'";
  return s;
}

// True when `shape` fits the declared one: same rank, and every declared number equal.
bool fits(const std::vector<int64_t>& shape, const OnnxValue& declared) {
  if (!declared.has_shape) return true;
  if (shape.size() != declared.shape.size()) return false;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (declared.shape[i].value >= 0 && shape[i] >= 0 && declared.shape[i].value != shape[i])
      return false;
  return true;
}

// A hint for the usual mistake: NCHW pixels into an NHWC graph, or the other way round.
std::string layout_hint(std::vector<int64_t> shape, const OnnxValue& declared) {
  if (shape.size() != 4 || declared.shape.size() != 4) return "";
  std::vector<int64_t> want;
  for (const auto& d : declared.shape) want.push_back(d.value < 0 ? shape[0] : d.value);
  std::sort(shape.begin() + 1, shape.end());
  std::sort(want.begin() + 1, want.end());
  return shape == want ? " (NCHW against NHWC? see to_tensor's layout param)" : "";
}

}  // namespace

struct OnnxNode::Impl {
  cv::dnn::Net net;
  std::string file;  // the model's path, for messages
  OnnxGraphInfo graph;
  std::vector<std::string> output_names;  // the graph outputs sent to out, out1, ...
  std::vector<int64_t> input_shape;       // param input_shape
  OpenCvThreadClaim threads;

  Status check_input(std::size_t index, const char* port, const std::vector<int64_t>& shape) const {
    if (index == 0 && !input_shape.empty()) {
      bool good = shape.size() == input_shape.size();
      for (std::size_t i = 0; good && i < shape.size(); ++i)
        good = input_shape[i] < 0 || input_shape[i] == shape[i];
      if (!good)
        return invalid_argument("input '" + std::string(port) + "' has shape " + shape_text(shape) +
                                " but the model takes " + shape_text(input_shape) +
                                " (param input_shape; -1 = any size)");
    }
    const OnnxValue& declared = graph.inputs[index];
    if (fits(shape, declared)) return ok();
    return invalid_argument("input '" + std::string(port) + "' has shape " + shape_text(shape) +
                            " but input '" + printable(declared.name) + "' of '" + file + "' is " +
                            shape_text(declared.shape) + layout_hint(shape, declared));
  }

  Result<std::vector<cv::Mat>> forward(const std::vector<cv::Mat>& inputs) {
    try {
      for (std::size_t k = 0; k < inputs.size(); ++k) net.setInput(inputs[k], graph.inputs[k].name);
      std::vector<cv::Mat> outs;
      net.forward(outs, output_names);
      return outs;
    } catch (const cv::Exception& e) {
      return invalid_argument("OpenCV DNN failed running '" + file + "': " + one_line(e));
    }
  }

  // The shape warm-up runs at: input_shape, else the file's own when it is concrete (a
  // symbolic batch taken as 1). Empty: no warm-up possible.
  std::vector<int64_t> warmup_shape() const {
    std::vector<int64_t> shape = input_shape;
    if (shape.empty() && graph.inputs[0].has_shape) {
      const auto& dims = graph.inputs[0].shape;
      for (std::size_t i = 0; i < dims.size(); ++i) {
        if (dims[i].value < 0 && i > 0) return {};
        shape.push_back(dims[i].value < 0 ? 1 : dims[i].value);
      }
    }
    for (auto& d : shape) d = d < 0 ? 1 : d;
    return shape;
  }
};

OnnxNode::OnnxNode() : impl_(std::make_unique<Impl>()) {}
OnnxNode::~OnnxNode() = default;

Status OnnxNode::open(const Params& p) {
  Impl& m = *impl_;
  SLUICE_RETURN_IF_ERROR(check_device(p.get(kDevice)));
  m.file = p.get(kModel);
  if (!std::filesystem::is_regular_file(m.file))
    return not_found("model file '" + m.file + "' does not exist");
  SLUICE_ASSIGN_OR_RETURN(const std::string bytes, read_bytes(m.file));
  SLUICE_ASSIGN_OR_RETURN(m.graph, read_onnx_graph_info(bytes, m.file));
  if (m.graph.inputs.size() > 3)
    return invalid_argument("'" + m.file + "' has " + std::to_string(m.graph.inputs.size()) +
                            " inputs (" + names_of(m.graph.inputs) +
                            "); the node feeds at most 3 (in, in1, in2)");
  try {
    m.net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  } catch (const cv::Exception& e) {
    return invalid_argument("OpenCV DNN cannot load '" + m.file + "': " + one_line(e));
  }
  if (m.net.empty()) return invalid_argument("OpenCV DNN read no layers from '" + m.file + "'");
  m.net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  m.net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);

  // Outputs: by name, in the order asked for, or the graph's own order.
  const std::vector<std::string> keys = p.get(kOutputKeys);
  m.output_names.clear();
  if (keys.empty()) {
    if (m.graph.outputs.size() > 4)
      return invalid_argument(
          "'" + m.file + "' has " + std::to_string(m.graph.outputs.size()) + " outputs (" +
          names_of(m.graph.outputs) +
          "); the node has 4 (out, out1, out2, out3): pick them with output_keys");
    for (const auto& v : m.graph.outputs) m.output_names.push_back(v.name);
  } else {
    if (keys.size() > 4)
      return invalid_argument("output_keys names " + std::to_string(keys.size()) +
                              " outputs; the node has 4 (out, out1, out2, out3)");
    for (const auto& key : keys) {
      const bool known = std::any_of(m.graph.outputs.begin(), m.graph.outputs.end(),
                                     [&](const OnnxValue& v) { return v.name == key; });
      if (!known)
        return invalid_argument("'" + m.file + "' has no output '" + key +
                                "' (param output_keys); its outputs are " +
                                names_of(m.graph.outputs));
      m.output_names.push_back(key);
    }
  }

  m.input_shape = p.get(kInputShape);
  if (!m.input_shape.empty() && !fits(m.input_shape, m.graph.inputs[0]))
    return invalid_argument("input_shape " + shape_text(m.input_shape) + " does not fit input '" +
                            printable(m.graph.inputs[0].name) + "' of '" + m.file + "', which is " +
                            shape_text(m.graph.inputs[0].shape) +
                            layout_hint(m.input_shape, m.graph.inputs[0]));

  // A graph exported with a fixed batch (BlazeFace's original file: 1) fails inside OpenCV
  // at any other batch, so such a node takes one packet per pass and asks the runtime not
  // to gather batches (waiting for a batch it cannot run would only add latency).
  const bool fixed_batch = std::any_of(m.graph.inputs.begin(), m.graph.inputs.end(),
                                       [](const OnnxValue& v) { return v.fixed_batch() > 0; });
  max_batch_ = fixed_batch ? 1 : p.get(kMaxBatch);
  max_delay_us_ = static_cast<int64_t>(p.get(kMaxDelayMs) * 1000);

  SLUICE_ASSIGN_OR_RETURN(m.threads, OpenCvThreadClaim::claim(p.get(kThreads)));

  // Warm-up: OpenCV DNN allocates its blobs and picks its kernels on the first pass at a
  // shape; do that now rather than on the first frames.
  const int warmup = p.get(kWarmup);
  const std::vector<int64_t> shape = m.warmup_shape();
  if (warmup > 0 && m.graph.inputs.size() == 1 && !shape.empty()) {
    Tensor zeros = Tensor::zeros(DType::kFloat32, shape);
    SLUICE_ASSIGN_OR_RETURN(cv::Mat blob, concat_rows({&zeros}));
    for (int i = 0; i < warmup; ++i) {
      auto result = m.forward({blob});
      if (!result.ok())
        return Status(result.status().code(),
                      "warm-up with shape " + shape_text(shape) + ": " + result.status().message());
    }
  }
  return ok();
}

Status OnnxNode::process(Context& ctx) {
  Impl& m = *impl_;
  const std::size_t n = ctx.batch_size();
  const Input<Tensor>* ports[] = {&kIn, &kIn1, &kIn2};
  const Output<Tensor>* outputs[] = {&kOut, &kOut1, &kOut2, &kOut3};

  // Inputs: port k feeds the graph's input k; a batch is concatenated along dimension 0.
  std::vector<cv::Mat> blobs;
  std::vector<int64_t> rows(n, 1);  // rows of each packet in the batch, to split outputs back
  for (std::size_t k = 0; k < 3; ++k) {
    const Input<Tensor>& port = *ports[k];
    const bool connected = ctx.get_if(port) != nullptr;
    if (k >= m.graph.inputs.size()) {
      if (connected)
        return invalid_argument("input '" + std::string(port.name) + "' is connected, but '" +
                                m.file + "' has only " + std::to_string(m.graph.inputs.size()) +
                                " input(s)");
      continue;
    }
    if (!connected)
      return invalid_argument("'" + m.file + "' has " + std::to_string(m.graph.inputs.size()) +
                              " inputs (" + names_of(m.graph.inputs) + "), but input '" +
                              port.name + "' is not connected");
    std::vector<const Tensor*> parts;
    for (std::size_t i = 0; i < n; ++i) {
      const Tensor* t = ctx.get_if(port, i);
      if (!t)
        return invalid_argument("input '" + std::string(port.name) + "' is missing in a batch");
      SLUICE_RETURN_IF_ERROR(m.check_input(k, port.name, t->shape));
      if (k == 0) rows[i] = t->shape.empty() ? 1 : t->shape[0];
      parts.push_back(t);
    }
    SLUICE_ASSIGN_OR_RETURN(cv::Mat blob, concat_rows(parts));
    blobs.push_back(std::move(blob));
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<cv::Mat> results, m.forward(blobs));
  ctx.add_to_counter("forward_passes");

  int64_t total_rows = 0;
  for (int64_t r : rows) total_rows += r;
  for (std::size_t k = 0; k < results.size(); ++k) {
    const auto blob = own_output(results[k]);
    const std::vector<int64_t> shape = blob_shape(*blob);
    if (n == 1) {
      SLUICE_ASSIGN_OR_RETURN(Tensor out, rows_of(blob, 0, shape.empty() ? 0 : shape[0]));
      ctx.send(*outputs[k], std::move(out), ctx.header(0));
      continue;
    }
    if (shape.empty() || shape[0] != total_rows)
      return invalid_argument("output '" + printable(m.output_names[k]) + "' has shape " +
                              shape_text(shape) + ": its first dimension is not the batch (" +
                              std::to_string(total_rows) +
                              "), so it cannot be split back per packet; use max_batch = 1");
    int64_t start = 0;
    for (std::size_t i = 0; i < n; ++i) {
      SLUICE_ASSIGN_OR_RETURN(Tensor out, rows_of(blob, start, rows[i]));
      ctx.send(*outputs[k], std::move(out), ctx.header(i));
      start += rows[i];
    }
  }
  return ok();
}

Status OnnxNode::close(Context& ctx) {
  (void)ctx;
  impl_->threads = OpenCvThreadClaim();  // another node may now set its own count
  return ok();
}

}  // namespace sluice::onnx

SLUICE_EXPORT_NODES(sluice::onnx::OnnxNode)
