#include "threshold.h"

namespace sluice::postprocessors {

Status Threshold::open(const Params& p) {
  min_score_ = static_cast<float>(p.get(kMinScore));
  mask_threshold_ = static_cast<float>(p.get(kMaskThreshold));
  labels_ = p.get(kLabels);
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
    // The two dimensions larger than 1 are height and width.
    std::vector<int64_t> dims;
    for (int64_t d : p->shape)
      if (d != 1) dims.push_back(d);
    if (dims.size() != 2)
      return invalid_argument("probabilities are not one [H, W] map (shape has " +
                              std::to_string(dims.size()) + " dimensions larger than 1)");
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
