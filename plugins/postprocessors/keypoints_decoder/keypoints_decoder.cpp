#include "keypoints_decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sluice/text.h"

namespace sluice::postprocessors {

Status KeypointsDecoder::open(const Params& p) {
  min_score_ = static_cast<float>(p.get(kMinScore));
  keypoint_min_score_ = static_cast<float>(p.get(kKeypointMinScore));
  label_ = p.get(kLabel);
  return ok();
}

Status KeypointsDecoder::process(Context& ctx) {
  const Tensor& t = ctx.get(kIn);
  const auto& s = t.shape;
  const bool one = s.size() == 3 && s[0] == 1 && s[2] == 3;
  const bool many = s.size() == 4 && s[0] == 1 && s[3] == 3;
  if (t.dtype != DType::kFloat32 || !(one || many))
    return invalid_argument(
        "keypoints must be float32 [1, K, 3] or [1, P, K, 3] (x, y, score), "
        "not " +
        shape_text(s));
  const int64_t people = many ? s[1] : 1, keypoints = many ? s[2] : s[1];
  const Affine2D& to_input = ctx.header().transform;
  Detections out;
  for (int64_t person = 0; person < people; ++person) {
    const float* v = t.as<float>() + person * keypoints * 3;
    Detection d;
    double total = 0;
    float x0 = std::numeric_limits<float>::max(), y0 = x0, x1 = -x0, y1 = -x0;
    for (int64_t k = 0; k < keypoints; ++k) {
      const float x = v[3 * k], y = v[3 * k + 1], score = v[3 * k + 2];
      if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(score))
        return invalid_argument("keypoint " + std::to_string(k) + " of person " +
                                std::to_string(person) + " is not finite");
      const cv::Point2f p = to_input.to_source(cv::Point2f(x, y));
      d.landmarks.push_back(p);
      d.landmark_scores.push_back(score);
      total += score;
      if (score < keypoint_min_score_) continue;
      x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x),
      y1 = std::max(y1, p.y);
    }
    d.score = keypoints > 0 ? static_cast<float>(total / static_cast<double>(keypoints)) : 0.f;
    if (d.score < min_score_ || x0 > x1) continue;  // unsure, or no keypoint to place a box
    d.box = cv::Rect2f(cv::Point2f(x0, y0), cv::Point2f(x1, y1));
    d.class_id = 0;
    d.label = label_;
    out.items.push_back(std::move(d));
  }
  std::stable_sort(out.items.begin(), out.items.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  ctx.send(kOut, std::move(out));
  return ok();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::KeypointsDecoder)
