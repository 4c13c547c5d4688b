// The recent path of each tracked object, per stream, drawn as a fading polyline behind
// it: where it came from, at a glance. The one annotation with state, so it lives apart
// from annotate.h's drawing functions.
#pragma once

#include <deque>
#include <map>

#include "annotate.h"
#include "sluice/sluice.h"

namespace sluice::sinks {

class TrackTrails {
 public:
  // `length`: points kept per track (frames); tracks unseen for that long are forgotten.
  explicit TrackTrails(int length) : length_(length) {}

  // Adds each tracked detection's bottom centre (in source-frame pixels) to its trail.
  void update(uint32_t stream, int64_t seq, const Detections& detections);
  // Draws the stream's trails; `to_image` maps source-frame pixels onto the picture.
  void draw(cv::Mat& image, uint32_t stream, const Affine2D& to_image, const Style& style) const;
  void end_stream(uint32_t stream) { streams_.erase(stream); }

 private:
  struct Trail {
    std::deque<cv::Point2f> points;
    int class_id = -1;
    int64_t last_seq = 0;
  };
  int length_;
  std::map<uint32_t, std::map<int64_t, Trail>> streams_;
};

}  // namespace sluice::sinks
