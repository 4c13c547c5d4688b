// What an ONNX file declares about its graph: the names, element types and shapes of its
// inputs and outputs, read with ONNX's own library (libonnx-dev). OpenCV 4.6's DNN module
// does not tell (its importer resolves shapes only once an input is set), and the node
// needs them before the first frame: to map ports to inputs and outputs by name, to check
// input shapes with a message naming both sides, and to know whether the batch dimension
// is fixed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/status.h"
#include "sluice/text.h"

namespace sluice::models {

struct OnnxDim {
  int64_t value = -1;  // -1: not a number in the file (a symbolic name, or absent)
  std::string name;    // the symbolic name ("batch", "N"), when there is one
};

struct OnnxValue {
  std::string name;
  int32_t elem_type = 0;  // ONNX TensorProto.DataType: 1 float, 2 uint8, 7 int64, 10 float16, ...
  std::vector<OnnxDim> shape;
  bool has_shape = false;

  // A fixed batch (dimension 0 is a number), or -1 when any batch is declared.
  int64_t fixed_batch() const { return has_shape && !shape.empty() ? shape[0].value : -1; }
};

struct OnnxGraphInfo {
  int64_t ir_version = 0;
  std::vector<OnnxValue> inputs;  // the graph's real inputs, initializers left out
  std::vector<OnnxValue> outputs;
};

// Reads the ONNX protobuf in `bytes` (the file's content) far enough to fill OnnxGraphInfo.
// Fails, naming `file`, when the bytes are not an ONNX model.
Result<OnnxGraphInfo> read_onnx_graph_info(const std::string& bytes, const std::string& file);

// What ONNX's checker finds wrong with the model in `bytes`, as one line; "" when it finds
// nothing. Asked only to explain a file OpenCV cannot import: the checker itself refuses
// files OpenCV runs (any ir_version above its own, 8), so it does not gate loading.
std::string checker_verdict(const std::string& bytes);

// "[1, 3, 'batch', 28]": a declared shape, symbolic dimensions by name, for messages.
std::string shape_text(const std::vector<OnnxDim>& shape);
using sluice::shape_text;  // the concrete shapes' overload, "[1, 3, 8, 28]"
const char* elem_type_name(int32_t elem_type);

}  // namespace sluice::models
