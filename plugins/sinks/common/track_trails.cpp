#include "track_trails.h"

#include <opencv2/imgproc.hpp>

namespace sluice::sinks {

void TrackTrails::update(uint32_t stream, int64_t seq, const Detections& detections) {
  auto& trails = streams_[stream];
  for (const Detection& d : detections.items) {
    if (d.track_id < 0) continue;
    Trail& t = trails[d.track_id];
    t.points.push_back({d.box.x + d.box.width / 2, d.box.y + d.box.height});
    if (static_cast<int>(t.points.size()) > length_) t.points.pop_front();
    t.class_id = d.class_id;
    t.last_seq = seq;
  }
  std::erase_if(trails, [&](const auto& entry) { return seq - entry.second.last_seq > length_; });
}

void TrackTrails::draw(cv::Mat& image, uint32_t stream, const Affine2D& to_image,
                       const Style& style) const {
  const auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  const int width = line_width(image, style) + 1;
  for (const auto& [id, t] : it->second) {
    const cv::Scalar colour = class_colour(t.class_id);
    for (std::size_t i = 1; i < t.points.size(); ++i) {
      // Older segments thinner: the trail tapers off behind the object.
      const int w = std::max(1, static_cast<int>(width * i / t.points.size()));
      const cv::Point2f a = to_image.apply(t.points[i - 1]), b = to_image.apply(t.points[i]);
      cv::line(image, cv::Point(cvRound(a.x), cvRound(a.y)), cv::Point(cvRound(b.x), cvRound(b.y)),
               colour, w, cv::LINE_AA);
    }
  }
}

}  // namespace sluice::sinks
