// Thresholds: keeps detections scoring at least `min_score`; turns a probability map into
// a binary mask.
//
//   [nodes.keep]
//   plugin = "threshold"
//   min_score = 0.5                  # in (Detections) -> out
//
//   [nodes.person]
//   plugin = "threshold"
//   mask_threshold = 0.5             # probabilities ([1,H,W,1], [1,1,H,W] map) -> mask
//   # links: "segmenter -> person.probabilities", "person.mask -> overlay.mask"
//   labels = ["background", "person"]
#include "sluice/sluice.h"

namespace sluice::postprocess {

class Threshold final : public Node {
 public:
  static constexpr NodeInfo kInfo{"threshold", NodeKind::kPostprocessor,
                                  "Score threshold on detections; probability map to binary mask.",
                                  true};
  static constexpr Input<Detections> kDetectionsIn{"in", "detections to filter", false};
  static constexpr Input<Tensor> kProbabilitiesIn{
      "probabilities", "one probability map: [H, W] with any dimensions of 1 around it", false};
  static constexpr Output<Detections> kDetectionsOut{"out", "detections scoring >= min_score"};
  static constexpr Output<SegmentationMask> kMaskOut{"mask",
                                                     "1 where probability >= mask_threshold"};
  static inline const Param<double> kMinScore{.name = "min_score",
                                              .default_value = 0.5,
                                              .description = "lowest detection score kept",
                                              .min = 0.0,
                                              .max = 1.0};
  static inline const Param<double> kMaskThreshold{
      .name = "mask_threshold",
      .default_value = 0.5,
      .description = "lowest probability counted as foreground",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<std::vector<std::string>> kLabels{
      .name = "labels",
      .default_value = {"background", "foreground"},
      .description = "names of mask values 0 and 1"};
  SLUICE_CONTRACT(kInfo, kDetectionsIn, kProbabilitiesIn, kDetectionsOut, kMaskOut, kMinScore,
                  kMaskThreshold, kLabels);

  Status open(const Params& p) override {
    min_score_ = static_cast<float>(p.get(kMinScore));
    mask_threshold_ = static_cast<float>(p.get(kMaskThreshold));
    labels_ = p.get(kLabels);
    return ok();
  }

  Status process(Context& ctx) override {
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

 private:
  float min_score_ = 0.5f, mask_threshold_ = 0.5f;
  std::vector<std::string> labels_;
};

}  // namespace sluice::postprocess

SLUICE_EXPORT_NODES(sluice::postprocess::Threshold)
