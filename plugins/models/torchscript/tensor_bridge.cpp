#include "tensor_bridge.h"

namespace sluice::models {
namespace {

Result<at::ScalarType> scalar_type_of(DType d) {
  switch (d) {
    case DType::kFloat32:
      return at::kFloat;
    case DType::kFloat16:
      return at::kHalf;
    case DType::kUInt8:
      return at::kByte;
    case DType::kInt32:
      return at::kInt;
    case DType::kInt64:
      return at::kLong;
  }
  return invalid_argument("unknown tensor dtype");
}

Result<DType> dtype_of(at::ScalarType s) {
  switch (s) {
    case at::kFloat:
      return DType::kFloat32;
    case at::kHalf:
      return DType::kFloat16;
    case at::kByte:
      return DType::kUInt8;
    case at::kInt:
      return DType::kInt32;
    case at::kLong:
      return DType::kInt64;
    default:
      return invalid_argument(std::string("the model returned a tensor of type ") +
                              c10::toString(s) + ", which sluice tensors do not carry");
  }
}

}  // namespace

Result<at::Tensor> to_aten(const Tensor& t) {
  if (t.device.kind != Device::Kind::kCPU)
    return invalid_argument("input tensor is not on the CPU");
  if (!t.data) return invalid_argument("input tensor has no data");
  SLUICE_ASSIGN_OR_RETURN(at::ScalarType type, scalar_type_of(t.dtype));
  std::shared_ptr<void> keep = t.buffer;  // from_blob does not own the memory: this does
  return torch::from_blob(
      t.data, t.shape, [keep](void*) mutable { keep.reset(); }, torch::TensorOptions().dtype(type));
}

Result<Tensor> from_aten(const at::Tensor& source) {
  at::Tensor t = source.is_contiguous() ? source : source.contiguous();
  if (!t.device().is_cpu()) return invalid_argument("output tensor is not on the CPU");
  Tensor out;
  SLUICE_ASSIGN_OR_RETURN(out.dtype, dtype_of(t.scalar_type()));
  out.shape.assign(t.sizes().begin(), t.sizes().end());
  auto holder = std::make_shared<at::Tensor>(t);
  out.data = holder->data_ptr();
  out.buffer = std::shared_ptr<void>(holder, holder->data_ptr());
  return out;
}

}  // namespace sluice::models
