#include "embedding.h"

#include <cmath>

#include "embedding_match.h"
#include "gallery.h"
#include "sluice/text.h"

namespace sluice::postprocessors {

Status EmbeddingNode::open(const Params& p) {
  normalize_ = p.get(kNormalize);
  size_ = p.get(kSize);
  return ok();
}

Status EmbeddingNode::process(Context& ctx) {
  const Tensor& t = ctx.get(kIn);
  if (t.dtype != DType::kFloat32)
    return invalid_argument(std::string("the output must be float32, not ") + to_string(t.dtype));
  const int64_t n = t.numel();
  if (n < 1) return invalid_argument("the output " + shape_text(t.shape) + " is empty");
  if (size_ > 0 && n != size_)
    return invalid_argument("the output " + shape_text(t.shape) + " holds " + std::to_string(n) +
                            " values, and size is " + std::to_string(size_));
  Embedding e;
  e.values.assign(t.as<float>(), t.as<float>() + n);
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(e.values[static_cast<std::size_t>(i)]))
      return invalid_argument("the output " + shape_text(t.shape) +
                              " holds a non-finite value at " + std::to_string(i));
  if (normalize_ && !normalise(e.values))
    return invalid_argument("the output " + shape_text(t.shape) +
                            " is all zeros: it has no direction to normalise");
  ctx.send(kOut, std::move(e));
  return ok();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::EmbeddingNode, sluice::postprocessors::EmbeddingMatch)
