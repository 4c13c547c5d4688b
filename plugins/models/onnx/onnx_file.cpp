#include "onnx_file.h"

#include <set>
#include <string_view>

namespace sluice::onnx {
namespace {

// Field numbers of onnx.proto (ONNX 1.x; they never change once published).
constexpr uint32_t kModelIrVersion = 1, kModelGraph = 7;
constexpr uint32_t kGraphInitializer = 5, kGraphInput = 11, kGraphOutput = 12;
constexpr uint32_t kTensorName = 8;  // TensorProto.name
constexpr uint32_t kValueName = 1, kValueType = 2;
constexpr uint32_t kTypeTensor = 1;
constexpr uint32_t kTensorTypeElem = 1, kTensorTypeShape = 2;
constexpr uint32_t kShapeDim = 1;
constexpr uint32_t kDimValue = 1, kDimParam = 2;

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

// One field of a protobuf message: its number, wire type, and its value (a number for
// varints, the bytes of a length-delimited field).
struct Field {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

// Walks the fields of one protobuf message. The wire format is small enough to read here;
// linking libprotobuf and ONNX's generated code for six message types would not be.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  bool failed() const { return failed_; }

  bool next(Field& f) {
    if (done() || failed_) return false;
    uint64_t key = 0;
    if (!read_varint(key)) return fail();
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<uint32_t>(key & 7);
    if (f.number == 0) return fail();
    switch (f.wire) {
      case kVarint:
        return read_varint(f.varint) || fail();
      case kFixed64:
        return skip(8);
      case kFixed32:
        return skip(4);
      case kBytes: {
        uint64_t length = 0;
        if (!read_varint(length) || length > data_.size() - pos_) return fail();
        f.bytes = data_.substr(pos_, length);
        pos_ += length;
        return true;
      }
      default:  // groups (3, 4) are not used by ONNX; anything else is not protobuf
        return fail();
    }
  }

 private:
  bool read_varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      const auto byte = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return true;
    }
    return false;
  }
  bool skip(std::size_t n) {
    if (n > data_.size() - pos_) return fail();
    pos_ += n;
    return true;
  }
  bool fail() {
    failed_ = true;
    return false;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

bool read_dim(std::string_view data, OnnxDim& dim) {
  Reader r(data);
  for (Field f; r.next(f);) {
    if (f.number == kDimValue && f.wire == kVarint) dim.value = static_cast<int64_t>(f.varint);
    if (f.number == kDimParam && f.wire == kBytes) dim.name = std::string(f.bytes);
  }
  // A dimension of 0 is how some exporters write "unknown".
  if (dim.value == 0) dim.value = -1;
  return !r.failed();
}

bool read_tensor_type(std::string_view data, OnnxValue& v) {
  Reader r(data);
  for (Field f; r.next(f);) {
    if (f.number == kTensorTypeElem && f.wire == kVarint)
      v.elem_type = static_cast<int32_t>(f.varint);
    if (f.number == kTensorTypeShape && f.wire == kBytes) {
      v.has_shape = true;
      Reader shape(f.bytes);
      for (Field d; shape.next(d);) {
        if (d.number != kShapeDim || d.wire != kBytes) continue;
        OnnxDim dim;
        if (!read_dim(d.bytes, dim)) return false;
        v.shape.push_back(std::move(dim));
      }
      if (shape.failed()) return false;
    }
  }
  return !r.failed();
}

bool read_value_info(std::string_view data, OnnxValue& v) {
  Reader r(data);
  for (Field f; r.next(f);) {
    if (f.number == kValueName && f.wire == kBytes) v.name = std::string(f.bytes);
    if (f.number == kValueType && f.wire == kBytes) {
      Reader type(f.bytes);
      for (Field t; type.next(t);)
        if (t.number == kTypeTensor && t.wire == kBytes && !read_tensor_type(t.bytes, v))
          return false;
      if (type.failed()) return false;
    }
  }
  return !r.failed() && !v.name.empty();
}

std::string initializer_name(std::string_view data) {
  Reader r(data);
  for (Field f; r.next(f);)
    if (f.number == kTensorName && f.wire == kBytes) return std::string(f.bytes);
  return "";
}

}  // namespace

Result<OnnxGraphInfo> read_onnx_graph_info(const std::string& bytes, const std::string& file) {
  auto not_onnx = [&](const std::string& why) {
    std::string hint;
    if (bytes.rfind("PK\x03\x04", 0) == 0)
      hint =
          " (it is a zip archive, like a TorchScript .pt: run it with plugin = \"torchscript\", "
          "or export it with scripts/models/export_onnx.py)";
    return invalid_argument("'" + file + "' is not an ONNX model: " + why + hint);
  };
  OnnxGraphInfo info;
  std::string_view graph;
  Reader model(bytes);
  for (Field f; model.next(f);) {
    if (f.number == kModelIrVersion && f.wire == kVarint)
      info.ir_version = static_cast<int64_t>(f.varint);
    if (f.number == kModelGraph && f.wire == kBytes) graph = f.bytes;
  }
  if (model.failed()) return not_onnx("it does not parse as a protobuf message");
  if (info.ir_version <= 0 || graph.empty()) return not_onnx("it has no ir_version or no graph");

  std::vector<OnnxValue> declared_inputs;
  std::set<std::string> initializers;
  Reader g(graph);
  for (Field f; g.next(f);) {
    if (f.wire != kBytes) continue;
    if (f.number == kGraphInitializer) {
      initializers.insert(initializer_name(f.bytes));
    } else if (f.number == kGraphInput || f.number == kGraphOutput) {
      OnnxValue v;
      if (!read_value_info(f.bytes, v)) return not_onnx("a graph input or output does not parse");
      (f.number == kGraphInput ? declared_inputs : info.outputs).push_back(std::move(v));
    }
  }
  if (g.failed()) return not_onnx("its graph does not parse");
  // Before IR version 4 every weight was listed among the inputs too; those are not inputs
  // a pipeline feeds.
  for (auto& v : declared_inputs)
    if (!initializers.count(v.name)) info.inputs.push_back(std::move(v));
  if (info.inputs.empty() || info.outputs.empty())
    return not_onnx("its graph declares no inputs or no outputs");
  return info;
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

}  // namespace sluice::onnx
