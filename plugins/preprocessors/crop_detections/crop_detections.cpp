#include "crop_detections.h"

#include "attach_classifications.h"

namespace sluice::preprocessors {

Status CropDetections::open(const Params& p) {
  expand_ = p.get(kExpand);
  square_ = p.get(kSquare);
  min_size_ = p.get(kMinSize);
  return ok();
}

Status CropDetections::process(Context& ctx) {
  const Detections& in = ctx.get(kIn);
  const PacketHeader& header = ctx.header();
  if (header.sub_index >= 0)
    return invalid_argument("the detections are a sub-packet already (sub_index " +
                            std::to_string(header.sub_index) +
                            "): crops of crops are not supported");
  Detections cropped;
  std::vector<cv::Rect> rects;
  if (!in.items.empty()) {
    if (!header.source_frame)
      return invalid_argument(
          "the detections carry no source frame to crop from (header.source_frame is empty): "
          "they must come from a chain that starts at a source's frames");
    const cv::Size frame = header.source_frame->image.size();
    int64_t small = 0, outside = 0, invalid = 0;
    for (const Detection& d : in.items) {
      const cv::Rect2f& b = d.box;
      if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.width) ||
          !std::isfinite(b.height) || b.width < 0 || b.height < 0) {
        ++invalid;
        continue;
      }
      if (b.width < min_size_ || b.height < min_size_) {
        ++small;
        continue;
      }
      const cv::Rect r = crop_rect(b, frame);
      if (r.empty()) {
        ++outside;
        continue;
      }
      cropped.items.push_back(d);
      rects.push_back(r);
    }
    if (small) ctx.add_to_counter("skipped_small", small);
    if (outside) ctx.add_to_counter("skipped_outside", outside);
    if (invalid) ctx.add_to_counter("skipped_invalid", invalid);
  }
  ctx.send(kCropped, std::move(cropped));
  const auto count = static_cast<int32_t>(rects.size());
  for (int32_t i = 0; i < count; ++i) {
    PacketHeader h = header;
    h.sub_index = i;
    h.sub_count = count;
    // Crops come from the source frame itself, whatever the detections' own transform.
    h.transform = Affine2D::scale_translate(1, 1, -rects[i].x, -rects[i].y);
    ctx.send(kCrops, Frame{header.source_frame->image(rects[i]), header.source_frame->format},
             std::move(h));
  }
  return ok();
}

cv::Rect CropDetections::crop_rect(const cv::Rect2f& box, cv::Size frame) const {
  const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
  double w = box.width * expand_, h = box.height * expand_;
  if (square_) w = h = std::max(w, h);
  // Clamp as doubles first: a huge box must not overflow the int conversion.
  const auto clamp = [](double v, int hi) {
    return static_cast<int>(std::clamp(v, 0.0, 1.0 * hi));
  };
  const int x0 = clamp(std::floor(cx - w / 2), frame.width);
  const int x1 = clamp(std::ceil(cx + w / 2), frame.width);
  const int y0 = clamp(std::floor(cy - h / 2), frame.height);
  const int y1 = clamp(std::ceil(cy + h / 2), frame.height);
  return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

}  // namespace sluice::preprocessors

SLUICE_EXPORT_NODES(sluice::preprocessors::CropDetections,
                    sluice::preprocessors::AttachClassifications,
                    sluice::preprocessors::AttachValues, sluice::preprocessors::AttachEmbeddings)
