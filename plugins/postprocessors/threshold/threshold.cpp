#include "threshold.h"

namespace sluice::postprocessors {

Status Threshold::open(const Params& p) {
  min_score_ = static_cast<float>(p.get(kMinScore));
  mask_threshold_ = static_cast<float>(p.get(kMaskThreshold));
  labels_ = p.get(kLabels);
  // The mask has two classes: 0 below mask_threshold, 1 at or above it.
  if (!labels_.empty() && labels_.size() != 2)
    return invalid_argument("labels names " + std::to_string(labels_.size()) +
                            " classes; the mask has 2 (0: below mask_threshold, 1: at or above "
                            "it), like labels = [\"background\", \"person\"]");
  return ok();
}

Status Threshold::process(Context& ctx) {
  if (const Detections* in = ctx.get_if(kDetectionsIn)) {
    Detections kept;
    for (const auto& d : in->items)
      if (d.score >= min_score_) kept.items.push_back(d);
    ctx.send(kDetectionsOut, std::move(kept), ctx.packet(kDetectionsIn).header());
  }
  if (const Tensor* p = ctx.get_if(kProbabilitiesIn)) {
    if (p->dtype != DType::kFloat32) return invalid_argument("probabilities must be float32");
    // [H, W], or with batch and channel dimensions of 1 around it ([1, 1, H, W],
    // [1, H, W, 1]): leading, then trailing ones go, so a map 1 pixel high or wide stays.
    std::vector<int64_t> dims = p->shape;
    while (dims.size() > 2 && dims.front() == 1) dims.erase(dims.begin());
    while (dims.size() > 2 && dims.back() == 1) dims.pop_back();
    if (dims.size() != 2)
      return invalid_argument("probabilities of shape " + shape_text(p->shape) +
                              " are not one [H, W] map (with batch and channel of 1 around it)");
    const cv::Mat map(static_cast<int>(dims[0]), static_cast<int>(dims[1]), CV_32F, p->data);
    SegmentationMask mask;
    cv::compare(map, mask_threshold_, mask.mask, cv::CMP_GE);
    mask.mask /= 255;  // 0 or 1: class ids, not a picture
    mask.labels = labels_;
    ctx.send(kMaskOut, std::move(mask), ctx.packet(kProbabilitiesIn).header());
  }
  return ok();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::Threshold)
