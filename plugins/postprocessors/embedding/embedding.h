// Turns a model's output into an Embedding: one sample's values as a vector, normalised to
// unit length (so that comparing two is a dot product, their cosine similarity). After
// crop_detections, attach_embeddings puts each crop's embedding on its detection.
//
//   links = ["faceres.out2 -> embedding"]
//   [nodes.embedding]
//   plugin = "embedding"
//   size = 1024          # optional: the values expected, checked on every sample
#pragma once

#include "sluice/sluice.h"

namespace sluice::postprocessors {

class EmbeddingNode final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "embedding",
      .kind = NodeKind::kPostprocessor,
      .description =
          "A model output as an Embedding: one sample's values, normalised to "
          "unit length.",
      .stateless = true};
  static constexpr Input<Tensor> kIn{"in", "one sample's output (float32), any shape"};
  static constexpr Output<Embedding> kOut{"out", "its values as one vector"};
  static inline const Param<bool> kNormalize{
      .name = "normalize",
      .default_value = true,
      .description = "scale the vector to unit length (an all-zero output is an error)"};
  static inline const Param<int> kSize{
      .name = "size",
      .default_value = 0,
      .description = "the number of values each sample must have (0: any)",
      .min = 0};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kNormalize, kSize);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;

 private:
  bool normalize_ = true;
  int64_t size_ = 0;
};

}  // namespace sluice::postprocessors
