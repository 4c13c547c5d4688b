// Says which labelled embedding of a gallery a new one is most like: cosine similarity
// against every entry of the gallery (see gallery.h), the best label if it reaches the
// threshold. Per frame, or per detection: after crop_detections, attach_classifications
// puts each crop's match on its face.
//
//   links = ["crop.crops -> face_rgb -> face_size -> face_tensor -> faceres",
//            "faceres.out2 -> embedding -> who", "who -> names.classes",
//            "crop.cropped -> names.detections"]
//   [nodes.who]
//   plugin = "embedding_match"
//   gallery = "../out/faces_gallery.jsonl"   # sluice run pipelines/faces_gallery.toml
//   threshold = 0.7
//
// The result is a Classifications, best first: the labels whose similarity reaches
// `threshold` (at most top_k), class_id the label's index in the gallery's sorted labels;
// or, when none does, one entry labelled `unknown_label` with class_id -1 and the best
// similarity there was. The gallery is read and checked whole at open, so a bad line fails
// the run before it starts.
#pragma once

#include <optional>

#include "gallery.h"
#include "sluice/sluice.h"

namespace sluice::postprocessors {

class EmbeddingMatch final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "embedding_match",
      .kind = NodeKind::kPostprocessor,
      .description =
          "Matches an Embedding against a gallery of labelled ones (cosine similarity, "
          "a threshold).",
      .stateless = true};
  static constexpr Input<Embedding> kIn{"in", "the embedding to match"};
  static constexpr Output<Classifications> kOut{
      "out", "the matching labels, best first, or unknown_label (score: the similarity)"};
  static inline const Param<std::string> kGallery{
      .name = "gallery",
      .description =
          "JSON Lines of labelled embeddings (see the README: made by a run of the "
          "same sub-pipeline over labelled images)",
      .required = true,
      .is_path = true};
  static inline const Param<double> kThreshold{
      .name = "threshold",
      .description =
          "the cosine similarity a label must reach to match (-1..1; it depends "
          "on the model: measure it on your own faces or images)",
      .min = -1.0,
      .max = 1.0,
      .required = true};
  static inline const Param<int> kTopK{.name = "top_k",
                                       .default_value = 1,
                                       .description = "at most this many matching labels",
                                       .min = 1};
  static inline const Param<std::string> kReduce{
      .name = "reduce",
      .default_value = "nearest",
      .description =
          "a label's similarity: that of its nearest entry, or that of its "
          "entries' mean direction",
      .choices = {"nearest", "centroid"}};
  static inline const Param<std::string> kLabelFrom{
      .name = "label_from",
      .default_value = "folder",
      .description =
          "gallery lines without a label: the label is the image's folder name, "
          "or its file name without extension",
      .choices = {"folder", "file"}};
  static inline const Param<std::string> kUnknownLabel{
      .name = "unknown_label",
      .default_value = "unknown",
      .description = "the label given when nothing matches"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kGallery, kThreshold, kTopK, kReduce, kLabelFrom,
                  kUnknownLabel);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;

 private:
  std::optional<Gallery> gallery_;
  float threshold_ = 0;
  std::size_t top_k_ = 1;
  std::string unknown_label_;
};

}  // namespace sluice::postprocessors
