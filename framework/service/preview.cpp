#include "preview.h"

#include <opencv2/imgcodecs.hpp>

#include "annotate.h"

namespace sluice::service {

Result<std::vector<unsigned char>> preview_jpeg(const std::vector<Packet>& packets, int quality) {
  const Frame* picture = nullptr;
  Affine2D to_image;  // identity: the source frame itself
  for (const Packet& p : packets)
    if (const Frame* f = p.get_if<Frame>()) {
      picture = f;
      to_image = p.header().transform;
      break;
    }
  if (!picture)
    for (const Packet& p : packets)
      if (!p.empty() && p.header().source_frame) {
        picture = p.header().source_frame.get();
        break;
      }
  if (!picture || picture->image.empty())
    return not_found("no picture in what this node received (its packets carry no frame)");
  SLUICE_ASSIGN_OR_RETURN(cv::Mat image, sinks::to_bgr8(*picture));
  const sinks::Style style;
  for (const Packet& p : packets)
    if (const auto* m = p.get_if<SegmentationMask>())
      sinks::draw_mask(image, *m, p.header().transform.inverse().then(to_image), style.mask_alpha);
  for (const Packet& p : packets)
    if (const auto* d = p.get_if<Detections>()) sinks::draw_detections(image, *d, to_image, style);
  for (const Packet& p : packets)
    if (const auto* c = p.get_if<Classifications>()) sinks::draw_classifications(image, *c, style);
  std::vector<unsigned char> jpeg;
  if (!cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality}))
    return internal_error("JPEG encoding failed");
  return jpeg;
}

}  // namespace sluice::service
