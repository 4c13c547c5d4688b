// Multi-object tracking by detection for one stream, as ByteTrack does it: predict every
// track, match high-score detections to all tracks, then low-score detections to the
// tracked ones left (a partly hidden object scores low, and is still that object), then
// new tracks from the high-score detections nobody took. No Node here: the `tracker` node
// keeps one of these per stream, and the tests and the bench drive it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "box_kalman_filter.h"
#include "sluice/geometry.h"
#include "sluice/payloads.h"

namespace sluice::tracking {

struct TrackerOptions {
  float high_score = 0.5f;           // detections at or above: first stage, may start tracks
  float low_score = 0.1f;            // below: ignored; in between: second stage only
  float new_track_score = 0.6f;      // lowest score that starts a track
  float match_iou = 0.2f;            // lowest IoU of a first-stage (and lost-track) match
  float low_match_iou = 0.5f;        // lowest IoU of a second-stage match
  float tentative_match_iou = 0.3f;  // lowest IoU that confirms a new track
  int min_hits = 2;                  // frames in a row a new track is matched before it has an id
  int lost_frames = 30;    // frames a track is kept unseen (predicted) before it is dropped
  bool per_class = false;  // a track only takes detections of its own class
  bool motion = true;      // Kalman prediction; false: a track stays where it was last seen
  bool optimal = true;     // Hungarian assignment; false: greedy, best IoU first
};

struct TrackerResult {
  std::vector<Detection> tracked;  // the input's detections that belong to a track, in
                                   // input order, with track_id and velocity set
  std::vector<Detection> lost;     // tracks unseen this frame: predicted box, last score
};

class MultiObjectTracker {
 public:
  explicit MultiObjectTracker(const TrackerOptions& options) : options_(options) {}

  TrackerResult update(const std::vector<Detection>& detections);

  // Tracks alive (tentative, tracked and lost), for the tests.
  std::size_t track_count() const { return tracks_.size(); }

 private:
  enum class State { kTentative, kTracked, kLost };
  struct Track {
    int64_t id = -1;  // given once confirmed, so tracks that never confirm use no id
    State state = State::kTentative;
    BoxKalmanFilter filter;
    cv::Rect2f box{};        // the predicted box (this frame), or the last one without motion
    cv::Point2f velocity{};  // without motion: centre displacement per frame at the last match
    int hits = 0;            // matches in a row since birth
    int unseen = 0;          // frames since the last match
    int class_id = -1;
    float score = 0;
    Detection last{};  // the last matched detection (label, landmarks: for `lost`)
  };

  // Matches `tracks` (indices into tracks_) to `dets` (indices into the detections) at
  // IoU >= min_iou; fills match[det] = track index and removes the matched ones from both.
  void associate(std::vector<std::size_t>& tracks, std::vector<std::size_t>& dets,
                 const std::vector<Detection>& detections, float min_iou,
                 std::vector<std::optional<std::size_t>>& match);
  void matched(Track& t, const Detection& d);

  TrackerOptions options_;
  std::vector<Track> tracks_;
  int64_t next_id_ = 1;
  int64_t frames_ = 0;
};

}  // namespace sluice::tracking
