#include "kserve_tensors.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "sluice/text.h"

namespace sluice::sources {
namespace {

using nlohmann::json;

constexpr struct {
  DType dtype;
  const char* name;
} kDatatypes[] = {{DType::kFloat32, "FP32"},
                  {DType::kFloat16, "FP16"},
                  {DType::kUInt8, "UINT8"},
                  {DType::kInt32, "INT32"},
                  {DType::kInt64, "INT64"}};

// The values of a `data` array, flat or nested, row-major, in `out`; false (with `why`)
// for anything but numbers and arrays of them.
bool flatten(const json& data, std::vector<const json*>& out, std::string& why) {
  if (data.is_number()) {
    out.push_back(&data);
    return true;
  }
  if (!data.is_array()) {
    why = std::string("holds a ") + data.type_name() + ", not a number";
    return false;
  }
  for (const json& item : data)
    if (!flatten(item, out, why)) return false;
  return true;
}

// Value `v` into element `i` of `t`, in its datatype's range; false (with `why`) if not.
bool store(const json& v, Tensor& t, int64_t i, std::string& why) {
  if (t.dtype == DType::kFloat32 || t.dtype == DType::kFloat16) {
    const double d = v.get<double>();
    if (std::abs(d) > std::numeric_limits<float>::max()) {
      why = "value " + v.dump() + " is out of FP32's range";
      return false;
    }
    if (t.dtype == DType::kFloat32)
      t.as<float>()[i] = static_cast<float>(d);
    else
      t.as<cv::float16_t>()[i] = cv::float16_t(static_cast<float>(d));
    return true;
  }
  if (!v.is_number_integer()) {
    why = "value " + v.dump() + " is not a whole number, as " + kserve_datatype(t.dtype) + " needs";
    return false;
  }
  int64_t low = std::numeric_limits<int64_t>::min(), high = std::numeric_limits<int64_t>::max();
  if (t.dtype == DType::kUInt8) low = 0, high = 255;
  if (t.dtype == DType::kInt32)
    low = std::numeric_limits<int32_t>::min(), high = std::numeric_limits<int32_t>::max();
  const bool too_big = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(high);
  const int64_t n = too_big ? high : v.get<int64_t>();
  if (too_big || n < low || n > high) {
    why = "value " + v.dump() + " is out of " + kserve_datatype(t.dtype) + "'s range";
    return false;
  }
  if (t.dtype == DType::kUInt8) t.as<uint8_t>()[i] = static_cast<uint8_t>(n);
  if (t.dtype == DType::kInt32) t.as<int32_t>()[i] = static_cast<int32_t>(n);
  if (t.dtype == DType::kInt64) t.as<int64_t>()[i] = n;
  return true;
}

json values_of(const Tensor& t) {
  json data = json::array();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    switch (t.dtype) {
      case DType::kFloat32:
        data.push_back(t.as<float>()[i]);
        break;
      case DType::kFloat16:
        data.push_back(static_cast<float>(t.as<cv::float16_t>()[i]));
        break;
      case DType::kUInt8:
        data.push_back(t.as<uint8_t>()[i]);
        break;
      case DType::kInt32:
        data.push_back(t.as<int32_t>()[i]);
        break;
      case DType::kInt64:
        data.push_back(t.as<int64_t>()[i]);
        break;
    }
  }
  return data;
}

// The declared tensor named `name`, or specs.size().
std::size_t index_of(const std::vector<TensorSpec>& specs, const std::string& name) {
  std::size_t k = 0;
  while (k < specs.size() && specs[k].name != name) ++k;
  return k;
}

// 'a', 'b'
std::string names_of(const std::vector<TensorSpec>& specs) {
  std::string names;
  for (const TensorSpec& s : specs) names += (names.empty() ? "'" : ", '") + s.name + "'";
  return names;
}

ParsedInferRequest refuse(std::string why) {
  ParsedInferRequest r;
  r.status = 400;
  r.error = std::move(why);
  return r;
}

// A request input's tensor, checked against its declaration.
ParsedInferRequest read_input(const json& in, const TensorSpec& spec, Tensor& out) {
  const std::string where = "input '" + spec.name + "'";
  if (!in.contains("datatype") || !in["datatype"].is_string())
    return refuse(where + " has no \"datatype\" (it is " + kserve_datatype(spec.dtype) + ")");
  const std::string datatype = in["datatype"];
  if (datatype != kserve_datatype(spec.dtype))
    return refuse(where + " is " + kserve_datatype(spec.dtype) + ", not " + printable(datatype) +
                  " (GET /v2/models/NAME says each input's datatype)");
  if (!in.contains("shape") || !in["shape"].is_array())
    return refuse(where + " has no \"shape\" array (it takes " + shape_text(spec.shape) + ")");
  std::vector<int64_t> shape;
  for (const json& d : in["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (int64_t{1} << 31))
      return refuse(where + ": shape " + printable(in["shape"].dump()) +
                    " is not a list of sizes from 0 to 2^31");
    shape.push_back(d.get<int64_t>());
  }
  if (!shape_fits(shape, spec.shape))
    return refuse(where + " has shape " + shape_text(shape) + ", which does not fit " +
                  shape_text(spec.shape) + " (-1: any size)");
  int64_t count = 1;
  for (const int64_t d : shape) {
    if (d != 0 && count > (int64_t{1} << 40) / d)
      return refuse(where + ": shape " + shape_text(shape) + " holds too many values");
    count *= d;
  }
  if (!in.contains("data"))
    return refuse(where +
                  " has no \"data\" (this server takes tensors as JSON, not as the "
                  "binary data extension)");
  std::vector<const json*> values;
  std::string why;
  if (!flatten(in["data"], values, why)) return refuse(where + ": \"data\" " + why);
  if (static_cast<int64_t>(values.size()) != count)
    return refuse(where + " has " + std::to_string(values.size()) + " values, but its shape " +
                  shape_text(shape) + " holds " + std::to_string(count));
  out = Tensor::zeros(spec.dtype, shape);
  for (int64_t i = 0; i < count; ++i)
    if (!store(*values[static_cast<std::size_t>(i)], out, i, why))
      return refuse(where + ": " + why + " (at " + std::to_string(i) + ")");
  return {};
}

}  // namespace

const char* kserve_datatype(DType t) {
  for (const auto& d : kDatatypes)
    if (d.dtype == t) return d.name;
  return "?";
}

std::optional<DType> dtype_of_kserve(std::string_view datatype) {
  for (const auto& d : kDatatypes)
    if (datatype == d.name) return d.dtype;
  return std::nullopt;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

bool shape_fits(const std::vector<int64_t>& shape, const std::vector<int64_t>& declared) {
  if (shape.size() != declared.size()) return false;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (declared[i] != -1 && declared[i] != shape[i]) return false;
  return true;
}

Result<TensorSpec> parse_tensor_spec(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return invalid_argument("'" + printable(std::string(text)) + "': " + why +
                            "; write NAME DATATYPE [D0,D1,...] (\"image FP32 [-1,1,28,28]\", "
                            "-1 for any size; datatypes FP32, FP16, UINT8, INT32, INT64)");
  };
  const auto open = text.find('['), close = text.rfind(']');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
      text.find_first_not_of(' ', close + 1) != std::string_view::npos)
    return bad("no shape in brackets at the end");
  std::vector<std::string> words;
  std::string word;
  for (const char c : text.substr(0, open)) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(word);
  if (words.size() != 2) return bad("a name and a datatype come before the shape");
  TensorSpec spec;
  spec.name = words[0];
  const auto dtype = dtype_of_kserve(words[1]);
  if (!dtype) return bad("no datatype " + words[1]);
  spec.dtype = *dtype;
  std::string dims(text.substr(open + 1, close - open - 1));
  std::size_t at = 0;
  while (at < dims.size()) {
    const std::size_t comma = std::min(dims.find(',', at), dims.size());
    std::string d = dims.substr(at, comma - at);
    d.erase(0, d.find_first_not_of(' '));
    d.erase(d.find_last_not_of(' ') + 1);
    if (d.empty() || d.find_first_not_of("-0123456789") != std::string::npos || d.size() > 10)
      return bad("size '" + d + "' is not a whole number");
    const int64_t n = std::stoll(d);
    if (n < -1 || n == 0) return bad("size " + d + " is not above 0 (or -1)");
    spec.shape.push_back(n);
    at = comma + 1;
  }
  if (spec.shape.empty()) return bad("the shape has no sizes");
  return spec;
}

std::string metadata_json(const std::vector<TensorSpec>& inputs,
                          const std::vector<TensorSpec>& outputs) {
  const auto list = [](const std::vector<TensorSpec>& specs) {
    json out = json::array();
    for (const TensorSpec& s : specs)
      out.push_back({{"name", s.name}, {"datatype", kserve_datatype(s.dtype)}, {"shape", s.shape}});
    return out;
  };
  return json{{"inputs", list(inputs)}, {"outputs", list(outputs)}}.dump();
}

ParsedInferRequest parse_infer_request(std::string_view body, const std::vector<TensorSpec>& inputs,
                                       const std::vector<TensorSpec>& outputs) {
  const json request = json::parse(body, nullptr, false);
  if (request.is_discarded())
    return refuse(
        "the body is not JSON: send a KServe v2 inference request, "
        "{\"inputs\": [{\"name\", \"datatype\", \"shape\", \"data\"}]}");
  if (!request.is_object()) return refuse("the body is not a JSON object");
  ParsedInferRequest parsed;
  if (request.contains("id")) {
    if (!request["id"].is_string()) return refuse("\"id\" is not a string");
    parsed.plan.id = request["id"].get<std::string>();
  }
  if (!request.contains("inputs") || !request["inputs"].is_array())
    return refuse("the request has no \"inputs\" array");
  parsed.inputs.resize(inputs.size());
  std::vector<bool> given(inputs.size(), false);
  for (const json& in : request["inputs"]) {
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string())
      return refuse("an input has no \"name\"");
    const std::string name = in["name"];
    const std::size_t k = index_of(inputs, name);
    if (k == inputs.size())
      return refuse("no input '" + printable(name) + "': this model takes " + names_of(inputs));
    if (given[k]) return refuse("input '" + name + "' is given twice");
    given[k] = true;
    ParsedInferRequest one = read_input(in, inputs[k], parsed.inputs[k]);
    if (one.status != 200) return one;
  }
  for (std::size_t k = 0; k < inputs.size(); ++k)
    if (!given[k]) return refuse("input '" + inputs[k].name + "' is missing");
  parsed.plan.outputs = outputs;
  if (request.contains("outputs")) {
    if (!request["outputs"].is_array()) return refuse("\"outputs\" is not an array");
    for (const json& out : request["outputs"]) {
      if (!out.is_object() || !out.contains("name") || !out["name"].is_string())
        return refuse("an output asked for has no \"name\"");
      const std::string name = out["name"];
      const std::size_t k = index_of(outputs, name);
      if (k == outputs.size())
        return refuse("no output '" + printable(name) + "': this model gives " + names_of(outputs));
      parsed.plan.wanted.push_back(k);
    }
  } else {
    for (std::size_t k = 0; k < outputs.size(); ++k) parsed.plan.wanted.push_back(k);
  }
  return parsed;
}

Result<std::string> infer_response_json(const TensorPlan& plan,
                                        const std::vector<const Tensor*>& results) {
  json outputs = json::array();
  for (const std::size_t k : plan.wanted) {
    const TensorSpec& spec = plan.outputs[k];
    if (k >= results.size() || !results[k])
      return internal_error("the model gave no tensor for output '" + spec.name + "'");
    const Tensor& t = *results[k];
    if (t.dtype != spec.dtype || !shape_fits(t.shape, spec.shape))
      return internal_error("output '" + spec.name + "' is " + kserve_datatype(t.dtype) + " " +
                            shape_text(t.shape) + ", not " + kserve_datatype(spec.dtype) + " " +
                            shape_text(spec.shape) +
                            " as tensor_request's outputs declare: correct the declaration");
    if (t.device.kind != Device::Kind::kCPU)
      return internal_error("output '" + spec.name + "' is not on the CPU");
    outputs.push_back({{"name", spec.name},
                       {"datatype", kserve_datatype(t.dtype)},
                       {"shape", t.shape},
                       {"data", values_of(t)}});
  }
  json response{{"model_name", plan.model_name}, {"model_version", "1"}, {"outputs", outputs}};
  if (plan.id) response["id"] = *plan.id;
  return response.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace sluice::sources
