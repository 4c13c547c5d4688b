#include "preview.h"

#include <charconv>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "annotate.h"

namespace sluice::service {

Result<int> parse_preview_width(std::string_view text) {
  if (text.empty()) return 0;
  int width = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), width);
  if (error != std::errc() || end != text.data() + text.size() || width < 16 || width > 8192)
    return invalid_argument("preview width '" + std::string(text) +
                            "' is not a whole number of pixels from 16 to 8192");
  return width;
}

Result<std::vector<unsigned char>> preview_jpeg(const std::vector<Packet>& packets,
                                                const PreviewOptions& options) {
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
  if (options.max_width > 0 && image.cols > options.max_width) {
    // Scaled before drawing, so lines and text keep their size relative to what is shown.
    const double s = static_cast<double>(options.max_width) / image.cols;
    const int height = std::max(1, static_cast<int>(image.rows * s + 0.5));
    cv::Mat smaller;
    cv::resize(image, smaller, cv::Size(options.max_width, height), 0, 0, cv::INTER_LINEAR);
    image = smaller;
    to_image = to_image.then(
        Affine2D::scale_translate(static_cast<double>(image.cols) / picture->image.cols,
                                  static_cast<double>(image.rows) / picture->image.rows, 0, 0));
  }
  const sinks::Style style;
  for (const Packet& p : packets)
    if (const auto* m = p.get_if<SegmentationMask>())
      sinks::draw_mask(image, *m, p.header().transform.inverse().then(to_image), style.mask_alpha);
  for (const Packet& p : packets)
    if (const auto* e = p.get_if<Events>()) sinks::draw_events(image, *e, to_image, style);
  for (const Packet& p : packets)
    if (const auto* d = p.get_if<Detections>()) sinks::draw_detections(image, *d, to_image, style);
  for (const Packet& p : packets)
    if (const auto* c = p.get_if<Classifications>()) sinks::draw_classifications(image, *c, style);
  std::vector<unsigned char> jpeg;
  if (!cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, options.quality}))
    return internal_error("JPEG encoding failed");
  return jpeg;
}

}  // namespace sluice::service
