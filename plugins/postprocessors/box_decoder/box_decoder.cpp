#include "box_decoder.h"

#include <cmath>

namespace sluice::postprocessors {

Status BoxDecoder::open(const Params& p) {
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

Status BoxDecoder::process(Context& ctx) {
  const Tensor& t = ctx.get(kIn);
  const int64_t row = 6 + 2 * keypoints_;
  // One image's table: [N, 6], [1, N, 6] or flat. A batch's tables would otherwise be read
  // as one image's rows.
  if (t.shape.size() >= 3 && t.shape[0] > 1)
    return invalid_argument("the detections table of shape " + shape_text(t.shape) + " holds " +
                            std::to_string(t.shape[0]) +
                            " images' tables; box_decoder takes one image's rows ([N, " +
                            std::to_string(row) + "] or [1, N, " + std::to_string(row) + "])");
  SLUICE_ASSIGN_OR_RETURN(int64_t rows, rows_of(t, row, "the detections table"));
  const Affine2D& to_input = ctx.header().transform;
  Detections out;
  for (int64_t r = 0; r < rows; ++r) {
    const float* v = t.as<float>() + r * row;
    // A NaN score would pass `< min_score` and then sort anywhere; a non-finite box would
    // reach every consumer. Such rows are dropped and counted.
    if (!std::isfinite(v[0]) || !std::isfinite(v[1]) || !std::isfinite(v[2]) ||
        !std::isfinite(v[3]) || !std::isfinite(v[4])) {
      ctx.add_to_counter("skipped_invalid");
      continue;
    }
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

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::BoxDecoder)
