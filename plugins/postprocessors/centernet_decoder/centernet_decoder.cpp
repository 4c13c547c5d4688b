// Turns a detector's box table into Detections on the source frame: rows of
// [x1, y1, x2, y2, score, class] in model-input pixels (CenterNet as converted by
// scripts/models; any model with that output shape works).
//
//   [nodes.decode]
//   plugin = "centernet_decoder"
//   min_score = 0.3
//   labels = "../assets/models/coco_labels.txt"
#include "../common/labels.h"
#include "../common/tensor_view.h"
#include "sluice/sluice.h"

namespace sluice::postprocess {

class CenterNetDecoder final : public Node {
 public:
  static constexpr NodeInfo kInfo{"centernet_decoder", NodeKind::kPostprocessor,
                                  "Box table [N, 6] (x1, y1, x2, y2, score, class) to Detections on the source frame.",
                                  true};
  static constexpr Input<Tensor> kIn{"in", "detections table of one image: [1, N, 6] or [N, 6]"};
  static constexpr Output<Detections> kOut{"out", "detections in source-frame pixels, best first"};
  static inline const Param<double> kMinScore{.name = "min_score",
                                              .default_value = 0.3,
                                              .description = "lowest score kept",
                                              .min = 0.0,
                                              .max = 1.0};
  static inline const Param<std::string> kLabels{
      .name = "labels", .default_value = "", .description = "label file: line i names class i", .is_path = true};
  static inline const Param<bool> kNormalized{
      .name = "normalized", .default_value = false,
      .description = "coordinates are 0..1 of the input instead of pixels"};
  static inline const Param<std::vector<int64_t>> kInputSize{
      .name = "input_size", .default_value = {512, 512},
      .description = "model input [W, H], for normalized coordinates", .min = 1};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kMinScore, kLabels, kNormalized, kInputSize);

  Status open(const Params& p) override {
    min_score_ = static_cast<float>(p.get(kMinScore));
    normalized_ = p.get(kNormalized);
    const auto size = p.get(kInputSize);
    if (size.size() != 2) return invalid_argument("input_size must be [W, H]");
    scale_x_ = normalized_ ? static_cast<float>(size[0]) : 1.f;
    scale_y_ = normalized_ ? static_cast<float>(size[1]) : 1.f;
    SLUICE_ASSIGN_OR_RETURN(labels_, read_labels(p.get(kLabels)));
    return ok();
  }

  Status process(Context& ctx) override {
    const Tensor& t = ctx.get(kIn);
    SLUICE_ASSIGN_OR_RETURN(int64_t rows, rows_of(t, 6, "the detections table"));
    const Affine2D& to_input = ctx.header().transform;
    Detections out;
    for (int64_t r = 0; r < rows; ++r) {
      const float* v = t.as<float>() + r * 6;
      if (v[4] < min_score_) continue;
      Detection d;
      const cv::Rect2f in_input(cv::Point2f(v[0] * scale_x_, v[1] * scale_y_), cv::Point2f(v[2] * scale_x_, v[3] * scale_y_));
      d.box = to_input.to_source(in_input);
      d.score = v[4];
      d.class_id = static_cast<int>(v[5]);
      d.label = label_of(labels_, d.class_id);
      out.items.push_back(std::move(d));
    }
    std::stable_sort(out.items.begin(), out.items.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    ctx.send(kOut, std::move(out));
    return ok();
  }

 private:
  float min_score_ = 0.3f, scale_x_ = 1, scale_y_ = 1;
  bool normalized_ = false;
  std::vector<std::string> labels_;
};

}  // namespace sluice::postprocess

SLUICE_EXPORT_NODES(sluice::postprocess::CenterNetDecoder)
