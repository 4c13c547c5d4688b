#include "onnx_file.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <set>

namespace sluice::models {
namespace {

OnnxValue value_of(const ::onnx::ValueInfoProto& info) {
  OnnxValue v;
  v.name = info.name();
  if (!info.has_type() || !info.type().has_tensor_type()) return v;
  const ::onnx::TypeProto::Tensor& tensor = info.type().tensor_type();
  v.elem_type = tensor.elem_type();
  v.has_shape = tensor.has_shape();
  for (const ::onnx::TensorShapeProto::Dimension& d : tensor.shape().dim()) {
    OnnxDim dim;
    // A size of 0 is not a real input size: exporters write it for "unknown".
    if (d.has_dim_value() && d.dim_value() > 0) dim.value = d.dim_value();
    if (d.has_dim_param()) dim.name = d.dim_param();
    v.shape.push_back(std::move(dim));
  }
  return v;
}

std::string zip_hint(const std::string& bytes) {
  if (bytes.rfind("PK\x03\x04", 0) != 0) return "";
  return " (it is a zip archive, like a TorchScript .pt: run it with plugin = \"torchscript\", "
         "or export it with scripts/models/export_onnx.py)";
}

}  // namespace

Result<OnnxGraphInfo> read_onnx_graph_info(const std::string& bytes, const std::string& file) {
  auto not_onnx = [&](const std::string& why) {
    return invalid_argument("'" + file + "' is not an ONNX model: " + why + zip_hint(bytes));
  };
  ::onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return not_onnx("it does not parse as an ONNX protobuf");
  // An empty file parses too (protobuf's fields are all optional).
  if (model.ir_version() <= 0 || !model.has_graph())
    return not_onnx("it has no ir_version or no graph");
  OnnxGraphInfo info;
  info.ir_version = model.ir_version();
  const ::onnx::GraphProto& graph = model.graph();
  // Before IR version 4 every weight was listed among the inputs too; those are not inputs
  // a pipeline feeds.
  std::set<std::string> initializers;
  for (const auto& t : graph.initializer()) initializers.insert(t.name());
  for (const auto& in : graph.input())
    if (!initializers.count(in.name())) info.inputs.push_back(value_of(in));
  for (const auto& out : graph.output()) info.outputs.push_back(value_of(out));
  if (info.inputs.empty() || info.outputs.empty())
    return not_onnx("its graph declares no inputs or no outputs");
  return info;
}

std::string checker_verdict(const std::string& bytes) {
  ::onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return "";
  try {
    ::onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    std::string why = e.what();
    std::replace(why.begin(), why.end(), '\n', ' ');
    return printable(why);
  }
  return "";
}

std::string shape_text(const std::vector<OnnxDim>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    s += i ? ", " : "";
    if (shape[i].value >= 0)
      s += std::to_string(shape[i].value);
    else
      s += shape[i].name.empty() ? "?" : "'" + shape[i].name + "'";
  }
  return s + "]";
}

const char* elem_type_name(int32_t elem_type) {
  switch (elem_type) {
    case 1:
      return "float32";
    case 2:
      return "uint8";
    case 3:
      return "int8";
    case 5:
      return "int16";
    case 6:
      return "int32";
    case 7:
      return "int64";
    case 9:
      return "bool";
    case 10:
      return "float16";
    case 11:
      return "float64";
    default:
      return "an unusual type";
  }
}

}  // namespace sluice::models
