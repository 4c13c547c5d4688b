#include "embedding.h"

#include "embedding_match.h"
#include "gallery.h"
#include "sluice/text.h"
#include "tensor_view.h"

namespace sluice::postprocessors {

Status EmbeddingNode::open(const Params& p) {
  normalize_ = p.get(kNormalize);
  size_ = p.get(kSize);
  return ok();
}

Status EmbeddingNode::process(Context& ctx) {
  const Tensor& t = ctx.get(kIn);
  SLUICE_ASSIGN_OR_RETURN(const std::span<const float> values, finite_values(t));
  const auto n = static_cast<int64_t>(values.size());
  if (n < 1) return invalid_argument("the output " + shape_text(t.shape) + " is empty");
  if (size_ > 0 && n != size_)
    return invalid_argument("the output " + shape_text(t.shape) + " holds " + std::to_string(n) +
                            " values, and size is " + std::to_string(size_));
  Embedding e;
  e.values.assign(values.begin(), values.end());
  if (normalize_ && !normalise(e.values))
    return invalid_argument("the output " + shape_text(t.shape) +
                            " is all zeros: it has no direction to normalise");
  ctx.send(kOut, std::move(e));
  return ok();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::EmbeddingNode, sluice::postprocessors::EmbeddingMatch)
