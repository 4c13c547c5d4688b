// Decodes an SSD-style face detector with anchors (MediaPipe BlazeFace): per anchor a score
// logit and 16 values (box centre offset, size, and 6 keypoints), into Detections with
// landmarks on the source frame. Follow it with nms (method = "weighted").
//
//   [nodes.faces]
//   plugin = "blazeface_decoder"
//   input_size = [128, 128]
//   min_score = 0.75
//   # links: "det.out -> faces.scores", "det.out1 -> faces.scores2",
//   #        "det.out2 -> faces.boxes", "det.out3 -> faces.boxes2"
#pragma once

#include <cmath>

#include "sluice/sluice.h"
#include "tensor_view.h"

namespace sluice::postprocessors {

class BlazeFaceDecoder final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "blazeface_decoder",
      .kind = NodeKind::kPostprocessor,
      .description = "SSD anchors (BlazeFace) to face Detections with 6 keypoints.",
      .stateless = true};
  static constexpr Input<Tensor> kScores{
      "scores", "score logits, one per anchor (or of the first anchor layers)"};
  static constexpr Input<Tensor> kBoxes{"boxes",
                                        "16 values per anchor (or of the first anchor layers)"};
  static constexpr Input<Tensor> kScores2{
      .name = "scores2",
      .description = "score logits of the remaining anchors, when split",
      .required = false};
  static constexpr Input<Tensor> kBoxes2{
      .name = "boxes2",
      .description = "box values of the remaining anchors, when split",
      .required = false};
  static constexpr Output<Detections> kOut{"out", "faces in source-frame pixels, with 6 landmarks"};
  static inline const Param<std::vector<int64_t>> kInputSize{
      .name = "input_size",
      .default_value = {128, 128},
      .description = "model input [W, H] in pixels",
      .min = 1};
  static inline const Param<std::vector<int64_t>> kGrids{
      .name = "grids",
      .default_value = {16, 8},
      .description = "anchor grid size of each layer",
      .min = 1};
  static inline const Param<std::vector<int64_t>> kAnchorsPerCell{
      .name = "anchors_per_cell",
      .default_value = {2, 6},
      .description = "anchors per grid cell of each layer",
      .min = 1};
  static inline const Param<double> kMinScore{.name = "min_score",
                                              .default_value = 0.75,
                                              .description = "lowest face probability kept",
                                              .min = 0.0,
                                              .max = 1.0};
  SLUICE_CONTRACT(kInfo, kScores, kBoxes, kScores2, kBoxes2, kOut, kInputSize, kGrids,
                  kAnchorsPerCell, kMinScore);

  static constexpr int kValues = 16;  // cx, cy, w, h, then 6 keypoints (x, y)
  static constexpr int kKeypoints = 6;

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  static const float* box_at(const std::vector<const float*>& parts,
                             const std::vector<int64_t>& counts, std::size_t anchor);

  float width_ = 128, height_ = 128, min_score_ = 0.75f;
  std::vector<std::pair<float, float>> anchors_;
};

}  // namespace sluice::postprocessors
