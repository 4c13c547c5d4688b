#include "nms.h"

namespace sluice::postprocessors {

Status Nms::open(const Params& p) {
  iou_ = static_cast<float>(p.get(kIou));
  agnostic_ = p.get(kAgnostic);
  max_ = p.get(kMax);
  weighted_ = p.get(kMethod) == "weighted";
  return ok();
}

Status Nms::process(Context& ctx) {
  const auto& in = ctx.get(kIn).items;
  std::vector<std::size_t> order(in.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return in[a].score > in[b].score; });
  std::vector<bool> done(in.size(), false);
  Detections out;
  for (std::size_t i = 0; i < order.size() && static_cast<int>(out.items.size()) < max_; ++i) {
    const std::size_t best = order[i];
    if (done[best]) continue;
    done[best] = true;
    std::vector<std::size_t> cluster{best};
    for (std::size_t j = i + 1; j < order.size(); ++j) {
      const std::size_t other = order[j];
      if (done[other] || (!agnostic_ && in[other].class_id != in[best].class_id)) continue;
      if (iou(in[best].box, in[other].box) > iou_) {
        done[other] = true;
        cluster.push_back(other);
      }
    }
    out.items.push_back(weighted_ ? blend(in, cluster) : in[best]);
  }
  ctx.send(kOut, std::move(out));
  return ok();
}

Detection Nms::blend(const std::vector<Detection>& in, const std::vector<std::size_t>& cluster) {
  Detection d = in[cluster[0]];
  float total = 0, x = 0, y = 0, w = 0, h = 0;
  std::vector<cv::Point2f> landmarks(d.landmarks.size());
  // Each landmark is averaged over the members that have it: a member with fewer landmarks
  // must not pull the others towards (0, 0).
  std::vector<float> landmark_weight(d.landmarks.size(), 0.f);
  for (std::size_t k : cluster) {
    const Detection& c = in[k];
    total += c.score;
    x += c.box.x * c.score;
    y += c.box.y * c.score;
    w += c.box.width * c.score;
    h += c.box.height * c.score;
    for (std::size_t l = 0; l < landmarks.size() && l < c.landmarks.size(); ++l) {
      landmarks[l] += c.landmarks[l] * c.score;
      landmark_weight[l] += c.score;
    }
  }
  if (total <= 0) return d;
  d.box = cv::Rect2f(x / total, y / total, w / total, h / total);
  for (std::size_t l = 0; l < landmarks.size(); ++l)
    if (landmark_weight[l] > 0) d.landmarks[l] = landmarks[l] / landmark_weight[l];
  return d;
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::Nms)
