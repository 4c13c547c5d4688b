// Turns a detector's box table into Detections on the source frame: rows of
// [x1, y1, x2, y2, score, class, then `keypoints` (x, y) pairs] in model-input pixels.
// The models of scripts/models give such tables: CenterNet [N, 100, 6], BlazeFace
// [N, 896, 18] (anchors already decoded: keypoints = 6).
//
//   [nodes.decode]
//   plugin = "box_decoder"
//   min_score = 0.3
//   labels = "../assets/models/coco80_labels.txt"
//   keypoints = 0
#include "../common/labels.h"
#include "../common/tensor_view.h"
#include "sluice/sluice.h"

namespace sluice::postprocess {

class BoxDecoder final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "box_decoder", NodeKind::kPostprocessor,
      "Box table rows (x1, y1, x2, y2, score, class, keypoints) to Detections on the source frame.",
      true};
  static constexpr Input<Tensor> kIn{
      "in", "detections table of one image: [1, N, 6 + 2K] or [N, 6 + 2K]"};
  static constexpr Output<Detections> kOut{"out", "detections in source-frame pixels, best first"};
  static inline const Param<double> kMinScore{.name = "min_score",
                                              .default_value = 0.3,
                                              .description = "lowest score kept",
                                              .min = 0.0,
                                              .max = 1.0};
  static inline const Param<std::string> kLabels{.name = "labels",
                                                 .default_value = "",
                                                 .description = "label file: line i names class i",
                                                 .is_path = true};
  static inline const Param<bool> kNormalized{
      .name = "normalized",
      .default_value = false,
      .description = "coordinates are 0..1 of the input instead of pixels"};
  static inline const Param<std::vector<int64_t>> kInputSize{
      .name = "input_size",
      .default_value = {512, 512},
      .description = "model input [W, H], for normalized coordinates",
      .min = 1};
  static inline const Param<int> kKeypoints{.name = "keypoints",
                                            .default_value = 0,
                                            .description = "(x, y) pairs after the class column",
                                            .min = 0,
                                            .max = 1000};
  static inline const Param<std::vector<std::string>> kNames{
      .name = "names",
      .default_value = {},
      .description = "class names by id, instead of a labels file"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kMinScore, kLabels, kNames, kNormalized, kInputSize,
                  kKeypoints);

  Status open(const Params& p) override {
    min_score_ = static_cast<float>(p.get(kMinScore));
    normalized_ = p.get(kNormalized);
    const auto size = p.get(kInputSize);
    if (size.size() != 2) return invalid_argument("input_size must be [W, H]");
    scale_x_ = normalized_ ? static_cast<float>(size[0]) : 1.f;
    scale_y_ = normalized_ ? static_cast<float>(size[1]) : 1.f;
    SLUICE_ASSIGN_OR_RETURN(labels_, read_labels(p.get(kLabels)));
    if (!p.get(kNames).empty()) {
      if (!labels_.empty()) return invalid_argument("give labels or names, not both");
      labels_ = p.get(kNames);
    }
    keypoints_ = p.get(kKeypoints);
    return ok();
  }

  Status process(Context& ctx) override {
    const Tensor& t = ctx.get(kIn);
    const int64_t row = 6 + 2 * keypoints_;
    SLUICE_ASSIGN_OR_RETURN(int64_t rows, rows_of(t, row, "the detections table"));
    const Affine2D& to_input = ctx.header().transform;
    Detections out;
    for (int64_t r = 0; r < rows; ++r) {
      const float* v = t.as<float>() + r * row;
      if (v[4] < min_score_) continue;
      Detection d;
      const cv::Rect2f in_input(cv::Point2f(v[0] * scale_x_, v[1] * scale_y_),
                                cv::Point2f(v[2] * scale_x_, v[3] * scale_y_));
      d.box = to_input.to_source(in_input);
      d.score = v[4];
      d.class_id = static_cast<int>(v[5]);
      d.label = label_of(labels_, d.class_id);
      for (int k = 0; k < keypoints_; ++k)
        d.landmarks.push_back(
            to_input.to_source(cv::Point2f(v[6 + 2 * k] * scale_x_, v[7 + 2 * k] * scale_y_)));
      out.items.push_back(std::move(d));
    }
    std::stable_sort(out.items.begin(), out.items.end(),
                     [](const auto& a, const auto& b) { return a.score > b.score; });
    ctx.send(kOut, std::move(out));
    return ok();
  }

 private:
  float min_score_ = 0.3f, scale_x_ = 1, scale_y_ = 1;
  bool normalized_ = false;
  int keypoints_ = 0;
  std::vector<std::string> labels_;
};

}  // namespace sluice::postprocess

SLUICE_EXPORT_NODES(sluice::postprocess::BoxDecoder)
