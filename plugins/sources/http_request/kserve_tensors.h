// KServe v2 (the Open Inference Protocol, Triton's HTTP/REST protocol) tensors as JSON, for
// tensor_request and tensor_response:
//
//   request   {"id": "7", "inputs": [{"name": "image", "datatype": "FP32",
//              "shape": [1, 1, 28, 28], "data": [0.0, 0.1, ...]}],
//              "outputs": [{"name": "logits"}]}                  (id, outputs: optional)
//   response  {"model_name": "fmnist", "model_version": "1", "id": "7",
//              "outputs": [{"name": "logits", "datatype": "FP32", "shape": [1, 10],
//              "data": [...]}]}
//
// `data` is row-major, flat or nested. Datatypes taken: FP32, FP16, UINT8, INT32, INT64 (the
// tensors sluice's models take). A node declares its tensors as "NAME DATATYPE [D0,D1,...]"
// with -1 for a size that may vary ("image FP32 [-1,1,28,28]").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/payloads.h"
#include "sluice/status.h"

namespace sluice::sources {

struct TensorSpec {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;  // -1: any size
};

// "NAME DATATYPE [D0,D1,...]", or an error saying how to write it.
Result<TensorSpec> parse_tensor_spec(std::string_view text);
// "FP32" of DType::kFloat32, ...; the DType of a KServe datatype, if sluice has it.
const char* kserve_datatype(DType t);
std::optional<DType> dtype_of_kserve(std::string_view datatype);
// [-1,1,28,28]
std::string shape_text(const std::vector<int64_t>& shape);
// Whether `shape` fits `declared` (same rank; equal where declared is not -1).
bool shape_fits(const std::vector<int64_t>& shape, const std::vector<int64_t>& declared);
// {"inputs": [{"name", "datatype", "shape"}], "outputs": [...]} as JSON text.
std::string metadata_json(const std::vector<TensorSpec>& inputs,
                          const std::vector<TensorSpec>& outputs);

// How a request is to be answered: its id and the outputs it asked for.
struct TensorPlan {
  std::string model_name;           // as the client addressed it
  std::optional<std::string> id;    // echoed when the request had one
  std::vector<TensorSpec> outputs;  // the declared outputs, in the model's order
  std::vector<std::size_t> wanted;  // indices into outputs, in the order asked for
};

struct ParsedInferRequest {
  int status = 200;  // else 400, with `error`
  std::string error;
  std::vector<Tensor> inputs;  // one per declared input, in declared order
  TensorPlan plan;
};

// A KServe v2 inference request against the declared inputs and outputs: every input given
// once by name, of its datatype and a shape that fits, with as many values as the shape
// holds, each in its datatype's range; outputs asked for by declared names.
ParsedInferRequest parse_infer_request(std::string_view body, const std::vector<TensorSpec>& inputs,
                                       const std::vector<TensorSpec>& outputs);

// The response to `plan`, from the model's results (one per declared output), or an error
// naming the result that does not fit its declaration.
Result<std::string> infer_response_json(const TensorPlan& plan,
                                        const std::vector<const Tensor*>& results);

}  // namespace sluice::sources
