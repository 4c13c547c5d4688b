#include "torchvision_detections.h"

#include <algorithm>
#include <cmath>

#include "sluice/text.h"

namespace sluice::postprocessors {
namespace {

// Value i of a 1-D tensor of any integer or float type, as a double.
double value_at(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kFloat32:
      return t.as<float>()[i];
    case DType::kInt64:
      return static_cast<double>(t.as<int64_t>()[i]);
    case DType::kInt32:
      return t.as<int32_t>()[i];
    case DType::kUInt8:
      return t.as<uint8_t>()[i];
    case DType::kFloat16:
      break;
  }
  return 0;
}

}  // namespace

Status TorchvisionDetections::open(const Params& p) {
  min_score_ = static_cast<float>(p.get(kMinScore));
  mask_threshold_ = static_cast<float>(p.get(kMaskThreshold));
  SLUICE_ASSIGN_OR_RETURN(names_, read_labels(p.get(kLabelFile)));
  return ok();
}

Status TorchvisionDetections::process(Context& ctx) {
  const Tensor& boxes = ctx.get(kBoxes);
  const Tensor& scores = ctx.get(kScores);
  const Tensor& labels = ctx.get(kLabels);
  const Tensor* masks = ctx.get_if(kMasks);
  const int64_t k = boxes.shape.empty() ? 0 : boxes.shape[0];
  if (boxes.dtype != DType::kFloat32 || boxes.shape.size() != 2 || boxes.shape[1] != 4)
    return invalid_argument("boxes must be float32 [K, 4], not " + shape_text(boxes.shape));
  if (scores.numel() != k || labels.numel() != k || scores.dtype == DType::kFloat16 ||
      labels.dtype == DType::kFloat16)
    return invalid_argument("boxes " + shape_text(boxes.shape) + ", scores " +
                            shape_text(scores.shape) + " and labels " + shape_text(labels.shape) +
                            " do not describe the same K detections (connect the outputs by "
                            "output_keys = [\"boxes\", \"scores\", \"labels\", ...])");
  int mask_h = 0, mask_w = 0;
  if (masks) {
    const auto& s = masks->shape;
    if (masks->dtype != DType::kFloat32 || s.size() != 4 || s[0] != k || s[1] != 1)
      return invalid_argument("masks must be float32 [K, 1, H, W] with K = " + std::to_string(k) +
                              ", not " + shape_text(s));
    mask_h = static_cast<int>(s[2]);
    mask_w = static_cast<int>(s[3]);
  }
  const PacketHeader& h = ctx.header();
  const Affine2D& to_input = h.transform;
  const cv::Size frame = h.source_frame ? h.source_frame->image.size() : cv::Size();
  Detections out;
  for (int64_t i = 0; i < k; ++i) {
    const float* b = boxes.as<float>() + i * 4;
    const auto score = static_cast<float>(value_at(scores, i));
    if (!(score >= min_score_) || !std::isfinite(b[0]) || !std::isfinite(b[1]) ||
        !std::isfinite(b[2]) || !std::isfinite(b[3]))
      continue;
    Detection d;
    d.box = to_input.to_source(cv::Rect2f(cv::Point2f(b[0], b[1]), cv::Point2f(b[2], b[3])));
    d.score = score;
    d.class_id = static_cast<int>(value_at(labels, i));
    d.label = label_of(names_, d.class_id);
    if (masks) {
      // The box's source pixels; each takes the mask's value under its centre, mapped into
      // the input (torchvision pastes each mask into the whole image already).
      d.mask_rect = covered_pixels(d.box, frame);
      const int x0 = d.mask_rect.x, y0 = d.mask_rect.y;
      d.mask = cv::Mat::zeros(d.mask_rect.height, d.mask_rect.width, CV_8U);
      const float* m = masks->as<float>() + i * static_cast<int64_t>(mask_h) * mask_w;
      for (int r = 0; r < d.mask_rect.height; ++r)
        for (int c = 0; c < d.mask_rect.width; ++c) {
          const cv::Point2f q = to_input.apply(
              cv::Point2f(static_cast<float>(x0 + c) + 0.5f, static_cast<float>(y0 + r) + 0.5f));
          const int u = static_cast<int>(std::floor(q.x)), v = static_cast<int>(std::floor(q.y));
          if (u < 0 || v < 0 || u >= mask_w || v >= mask_h) continue;
          if (m[static_cast<int64_t>(v) * mask_w + u] >= mask_threshold_)
            d.mask.at<unsigned char>(r, c) = 255;
        }
    }
    out.items.push_back(std::move(d));
  }
  std::stable_sort(out.items.begin(), out.items.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  ctx.send(kOut, std::move(out));
  return ok();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::TorchvisionDetections)
