#include "onnx.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <opencv2/dnn.hpp>
#include <sstream>

#include "onnx_file.h"
#include "opencv_threads.h"
#include "tensor_blob.h"

namespace sluice::models {
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

Status check_device(const models::DeviceRequest& device) {
  if (device.kind != models::DeviceRequest::Kind::kCuda) return ok();
  return invalid_argument("device '" + device.text +
                          "': the onnx node runs models with OpenCV DNN, which is CPU-only "
                          "here; use device = \"cpu\", or plugin = \"torchscript\" for a GPU");
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
  OpenCvThreadClaim threads;
};

OnnxNode::OnnxNode() : impl_(std::make_unique<Impl>()) {}
OnnxNode::~OnnxNode() = default;

Status OnnxNode::load(const Params& p, const models::ModelSettings& s) {
  (void)p;
  Impl& m = *impl_;
  SLUICE_RETURN_IF_ERROR(check_device(s.device));
  m.file = s.model;
  SLUICE_ASSIGN_OR_RETURN(const std::string bytes, read_bytes(m.file));
  SLUICE_ASSIGN_OR_RETURN(m.graph, read_onnx_graph_info(bytes, m.file));
  if (m.graph.inputs.empty()) return invalid_argument("'" + m.file + "' declares no graph inputs");
  if (m.graph.inputs.size() > 3)
    return invalid_argument("'" + m.file + "' has " + std::to_string(m.graph.inputs.size()) +
                            " inputs (" + names_of(m.graph.inputs) +
                            "); the node feeds at most 3 (in, in1, in2)");
  try {
    m.net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  } catch (const cv::Exception& e) {
    const std::string checker = checker_verdict(bytes);
    return invalid_argument("OpenCV DNN cannot load '" + m.file + "': " + one_line(e) +
                            (checker.empty() ? "" : "; ONNX's checker says: " + checker));
  }
  if (m.net.empty()) return invalid_argument("OpenCV DNN read no layers from '" + m.file + "'");
  m.net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  m.net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);

  // Outputs: by name, in the order asked for, or the graph's own order.
  const std::vector<std::string>& keys = s.output_keys;
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

  if (!s.input_shape.empty() && !fits(s.input_shape, m.graph.inputs[0]))
    return invalid_argument("input_shape " + shape_text(s.input_shape) + " does not fit input '" +
                            printable(m.graph.inputs[0].name) + "' of '" + m.file + "', which is " +
                            shape_text(m.graph.inputs[0].shape) +
                            layout_hint(s.input_shape, m.graph.inputs[0]));
  SLUICE_ASSIGN_OR_RETURN(m.threads, OpenCvThreadClaim::claim(s.threads));
  return ok();
}

Result<std::vector<Tensor>> OnnxNode::forward(const std::vector<Tensor>& inputs) {
  Impl& m = *impl_;
  std::vector<cv::Mat> outs;
  try {
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      SLUICE_ASSIGN_OR_RETURN(cv::Mat blob, to_blob(inputs[k]));
      m.net.setInput(blob, m.graph.inputs[k].name);  // copies the blob
    }
    m.net.forward(outs, m.output_names);
  } catch (const cv::Exception& e) {
    return invalid_argument("OpenCV DNN failed running '" + m.file + "': " + one_line(e));
  }
  std::vector<Tensor> results;
  for (const cv::Mat& out : outs) {
    SLUICE_ASSIGN_OR_RETURN(Tensor t, to_tensor(out));
    results.push_back(std::move(t));
  }
  return results;
}

int OnnxNode::input_count() const { return static_cast<int>(impl_->graph.inputs.size()); }

// Port k feeds the graph's input k: every graph input must be fed, and no other port.
Status OnnxNode::check_ports(const bool connected[3]) const {
  const Impl& m = *impl_;
  const char* names[] = {"in", "in1", "in2"};
  for (std::size_t k = 0; k < 3; ++k) {
    if (k >= m.graph.inputs.size() && connected[k])
      return invalid_argument("input '" + std::string(names[k]) + "' is connected, but '" + m.file +
                              "' has only " + std::to_string(m.graph.inputs.size()) + " input(s)");
    if (k < m.graph.inputs.size() && !connected[k])
      return invalid_argument("'" + m.file + "' has " + std::to_string(m.graph.inputs.size()) +
                              " inputs (" + names_of(m.graph.inputs) + "), but input '" + names[k] +
                              "' is not connected");
  }
  return ok();
}

Status OnnxNode::check_input(std::size_t index, const char* port,
                             const std::vector<int64_t>& shape) const {
  const Impl& m = *impl_;
  const OnnxValue& declared = m.graph.inputs[index];
  if (fits(shape, declared)) return ok();
  return invalid_argument("input '" + std::string(port) + "' has shape " + shape_text(shape) +
                          " but input '" + printable(declared.name) + "' of '" + m.file + "' is " +
                          shape_text(declared.shape) + layout_hint(shape, declared));
}

// The file's own input shape when it is concrete (a symbolic batch taken as 1).
std::vector<int64_t> OnnxNode::declared_input_shape() const {
  const OnnxValue& in = impl_->graph.inputs[0];
  if (!in.has_shape) return {};
  std::vector<int64_t> shape;
  for (std::size_t i = 0; i < in.shape.size(); ++i) {
    if (in.shape[i].value < 0 && i > 0) return {};
    shape.push_back(in.shape[i].value);
  }
  return shape;
}

// A graph exported with a fixed batch (BlazeFace's original file: 1) fails inside OpenCV
// at any other batch.
bool OnnxNode::one_packet_per_pass() const {
  return std::any_of(impl_->graph.inputs.begin(), impl_->graph.inputs.end(),
                     [](const OnnxValue& v) { return v.fixed_batch() > 0; });
}

std::string OnnxNode::output_name(std::size_t k) const {
  return "'" + printable(impl_->output_names[k]) + "'";
}

Status OnnxNode::close(Context& ctx) {
  (void)ctx;
  impl_->threads = OpenCvThreadClaim();  // another node may now set its own count
  return ok();
}

}  // namespace sluice::models

SLUICE_EXPORT_NODES(sluice::models::OnnxNode)
