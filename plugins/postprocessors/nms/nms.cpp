// Non-maximum suppression: keeps the best of overlapping detections.
//
//   [nodes.nms]
//   plugin = "nms"
//   iou_threshold = 0.45
//   class_agnostic = false   # true: boxes of different classes suppress each other too
//   max_detections = 100
//   method = "hard"          # or "weighted": blend each cluster, score-weighted (BlazeFace)
#include <algorithm>
#include <numeric>

#include "sluice/sluice.h"

namespace sluice::postprocess {

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

class Nms final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "nms", NodeKind::kPostprocessor,
      "Non-maximum suppression, class-wise or class-agnostic, hard or weighted.", true};
  static constexpr Input<Detections> kIn{"in", "detections, any order"};
  static constexpr Output<Detections> kOut{"out", "kept detections, best first"};
  static inline const Param<double> kIou{
      .name = "iou_threshold",
      .default_value = 0.45,
      .description = "overlap (IoU) above which the weaker box is suppressed",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<bool> kAgnostic{
      .name = "class_agnostic",
      .default_value = false,
      .description = "suppress across classes (else only within a class)"};
  static inline const Param<int> kMax{.name = "max_detections",
                                      .default_value = 100,
                                      .description = "most detections kept",
                                      .min = 1,
                                      .max = 100000};
  static inline const Param<std::string> kMethod{
      .name = "method",
      .default_value = "hard",
      .description = "hard: drop suppressed boxes; weighted: blend each cluster by score",
      .choices = {"hard", "weighted"}};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kIou, kAgnostic, kMax, kMethod);

  Status open(const Params& p) override {
    iou_ = static_cast<float>(p.get(kIou));
    agnostic_ = p.get(kAgnostic);
    max_ = p.get(kMax);
    weighted_ = p.get(kMethod) == "weighted";
    return ok();
  }

  Status process(Context& ctx) override {
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

 private:
  // The cluster's best detection with box and landmarks averaged, weighted by score.
  static Detection blend(const std::vector<Detection>& in,
                         const std::vector<std::size_t>& cluster) {
    Detection d = in[cluster[0]];
    float total = 0, x = 0, y = 0, w = 0, h = 0;
    std::vector<cv::Point2f> landmarks(d.landmarks.size());
    for (std::size_t k : cluster) {
      const Detection& c = in[k];
      total += c.score;
      x += c.box.x * c.score;
      y += c.box.y * c.score;
      w += c.box.width * c.score;
      h += c.box.height * c.score;
      for (std::size_t l = 0; l < landmarks.size() && l < c.landmarks.size(); ++l)
        landmarks[l] += c.landmarks[l] * c.score;
    }
    if (total <= 0) return d;
    d.box = cv::Rect2f(x / total, y / total, w / total, h / total);
    for (auto& l : landmarks) l /= total;
    d.landmarks = landmarks;
    return d;
  }

  float iou_ = 0.45f;
  bool agnostic_ = false;
  int max_ = 100;
  bool weighted_ = false;
};

}  // namespace sluice::postprocess

SLUICE_EXPORT_NODES(sluice::postprocess::Nms)
