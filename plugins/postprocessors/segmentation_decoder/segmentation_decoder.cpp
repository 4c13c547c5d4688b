#include "segmentation_decoder.h"

namespace sluice::postprocessors {

Status SegmentationDecoder::open(const Params& p) {
  layout_ = p.get(kLayout);
  threshold_ = static_cast<float>(p.get(kThreshold));
  labels_ = p.get(kLabels);
  labels_set_ = p.is_set(kLabels.name);
  return ok();
}

Status SegmentationDecoder::process(Context& ctx) {
  const Tensor& t = ctx.get(kIn);
  if (t.dtype != DType::kFloat32) return invalid_argument("scores must be float32");
  std::vector<int64_t> s = t.shape;
  while (s.size() > 3 && s.front() == 1) s.erase(s.begin());
  bool nhwc = layout_ != "NCHW";
  if (s.size() == 2) {
    s.insert(nhwc ? s.end() : s.begin(), 1);  // one [H, W] map: a single class channel
  } else if (s.size() == 3 && layout_ == "auto") {
    // Classes are few and images large: the class dimension is the smaller of the first
    // and the last: [21, 512, 512] and a one-channel [1, 256, 256] are NCHW, [512, 512, 21]
    // and [256, 256, 1] NHWC.
    if (s[0] == s[2])
      return invalid_argument("scores of shape " + shape_text(t.shape) +
                              " could be NHWC or NCHW: set layout");
    nhwc = s[2] < s[0];
  }
  if (s.size() != 3)
    return invalid_argument("scores of shape " + shape_text(t.shape) + " are not one image's map");
  const int64_t h = nhwc ? s[0] : s[1], w = nhwc ? s[1] : s[2], c = nhwc ? s[2] : s[0];
  if (c > 256)
    return invalid_argument("scores of shape " + shape_text(t.shape) + " have " +
                            std::to_string(c) + " classes (layout " + (nhwc ? "NHWC" : "NCHW") +
                            "); more than 256 do not fit an 8-bit mask");
  // One label per class (with one channel: 0 below the threshold, 1 at or above it). The
  // default pair names a two-class mask only; other masks then go unnamed.
  const int64_t classes = c == 1 ? 2 : c;
  const bool labels_fit = static_cast<int64_t>(labels_.size()) == classes;
  if (labels_set_ && !labels_.empty() && !labels_fit)
    return invalid_argument("labels names " + std::to_string(labels_.size()) +
                            " classes but the scores of shape " + shape_text(t.shape) + " have " +
                            std::to_string(classes) + " (layout " + (nhwc ? "NHWC" : "NCHW") + ")");
  SegmentationMask out;
  out.mask = cv::Mat(static_cast<int>(h), static_cast<int>(w), CV_8U);
  if (labels_fit) out.labels = labels_;
  const float* data = t.as<float>();
  auto at = [&](int64_t y, int64_t x, int64_t k) {
    return nhwc ? data[(y * w + x) * c + k] : data[(k * h + y) * w + x];
  };
  for (int64_t y = 0; y < h; ++y) {
    auto* row = out.mask.ptr<uint8_t>(static_cast<int>(y));
    for (int64_t x = 0; x < w; ++x) {
      if (c == 1) {
        row[x] = at(y, x, 0) >= threshold_ ? 1 : 0;
        continue;
      }
      int64_t best = 0;
      for (int64_t k = 1; k < c; ++k)
        if (at(y, x, k) > at(y, x, best)) best = k;
      row[x] = static_cast<uint8_t>(best);
    }
  }
  ctx.send(kOut, std::move(out));
  return ok();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::SegmentationDecoder)
