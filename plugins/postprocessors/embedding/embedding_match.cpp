#include "embedding_match.h"

#include <algorithm>
#include <numeric>

namespace sluice::postprocessors {

Status EmbeddingMatch::open(const Params& p) {
  threshold_ = static_cast<float>(p.get(kThreshold));
  top_k_ = static_cast<std::size_t>(p.get(kTopK));
  unknown_label_ = p.get(kUnknownLabel);
  const auto labels = p.get(kLabelFrom) == "file" ? GalleryLabels::kFile : GalleryLabels::kFolder;
  const auto reduce =
      p.get(kReduce) == "centroid" ? GalleryReduce::kCentroid : GalleryReduce::kNearest;
  SLUICE_ASSIGN_OR_RETURN(Gallery g, Gallery::load(p.get(kGallery), labels, reduce));
  gallery_ = std::move(g);
  return ok();
}

Status EmbeddingMatch::process(Context& ctx) {
  const Embedding& e = ctx.get(kIn);
  if (e.values.size() != gallery_->dimension())
    return invalid_argument("the embedding has " + std::to_string(e.values.size()) +
                            " values, the gallery's " + std::to_string(gallery_->dimension()) +
                            ": was the gallery made with another model?");
  // Normalised here too, so that an embedding node with normalize = false still gives
  // cosine similarities.
  std::vector<float> unit = e.values;
  if (!normalise(unit)) return invalid_argument("the embedding is all zeros or not finite");
  const std::vector<float> score = gallery_->similarities(unit);
  std::vector<std::size_t> order(score.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Ties go to the label that sorts first, so results never depend on the sort.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  Classifications out;
  for (const std::size_t id : order) {
    if (score[id] < threshold_ || out.top.size() == top_k_) break;
    out.top.push_back({static_cast<int>(id), score[id], gallery_->labels()[id]});
  }
  if (out.top.empty()) out.top.push_back({-1, score[order.front()], unknown_label_});
  ctx.send(kOut, std::move(out));
  return ok();
}

}  // namespace sluice::postprocessors
