// Multi-object tracking by detection, per stream (ByteTrack's two-stage association,
// Kalman motion, Hungarian assignment): gives each detection the id of the object it is.
//
//   [nodes.track]
//   plugin = "tracker"
//   high_score = 0.5     # first-stage detections; below, down to low_score: second stage
//   lost_frames = 30     # frames an unseen object keeps its id (against id switches)
//
// The work is in multi_object_tracker.h; this node keeps one tracker per stream and frees
// it when the stream ends.
#pragma once

#include <map>

#include "multi_object_tracker.h"
#include "sluice/sluice.h"

namespace sluice::postprocessors {

class Tracker final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "tracker",
      .kind = NodeKind::kPostprocessor,
      .description = "Track ids across frames per stream: ByteTrack association, Kalman motion."};
  static constexpr Input<Detections> kIn{"in", "one frame's detections, in source-frame pixels"};
  static constexpr Output<Detections> kOut{
      "out", "the detections that belong to a track, with track_id and velocity"};
  static constexpr Output<Detections> kLost{
      "lost", "tracks unseen in this frame, at their predicted box (leave unconnected to hide)"};
  static inline const Param<double> kHighScore{
      .name = "high_score",
      .default_value = 0.5,
      .description = "detections at or above are matched first and may start tracks",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<double> kLowScore{
      .name = "low_score",
      .default_value = 0.1,
      .description =
          "detections below are ignored; from here to high_score they only "
          "continue tracks (second stage)",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<double> kNewTrackScore{
      .name = "new_track_score",
      .default_value = 0.6,
      .description = "lowest score that starts a track (at least high_score)",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<double> kMatchIou{
      .name = "match_iou",
      .default_value = 0.2,
      .description = "lowest IoU between a track's predicted box and a high-score detection",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<double> kLowMatchIou{
      .name = "low_match_iou",
      .default_value = 0.5,
      .description = "lowest IoU for a low-score detection (second stage)",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<int> kMinHits{
      .name = "min_hits",
      .default_value = 2,
      .description = "frames in a row a new object is seen before it gets an id",
      .min = 1,
      .max = 100};
  static inline const Param<int> kLostFrames{
      .name = "lost_frames",
      .default_value = 30,
      .description = "frames an unseen track is kept (predicted) before it is dropped",
      .min = 0,
      .max = 100000};
  static inline const Param<bool> kPerClass{
      .name = "per_class",
      .default_value = false,
      .description = "a track only takes detections of its own class"};
  static inline const Param<std::string> kMotion{
      .name = "motion",
      .default_value = "kalman",
      .description = "kalman: constant-velocity prediction; none: a track stays where it was seen",
      .choices = {"kalman", "none"}};
  static inline const Param<std::string> kAssignment{
      .name = "assignment",
      .default_value = "hungarian",
      .description = "hungarian: optimal matching; greedy: best IoU first",
      .choices = {"hungarian", "greedy"}};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kLost, kHighScore, kLowScore, kNewTrackScore, kMatchIou,
                  kLowMatchIou, kMinHits, kLostFrames, kPerClass, kMotion, kAssignment);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status stream_ended(Context& ctx, const StreamEnd& end) override;

  // Streams with a tracker now (the tests check that an ended stream's is freed).
  std::size_t stream_count() const { return trackers_.size(); }

 private:
  tracking::TrackerOptions options_;
  std::map<uint32_t, tracking::MultiObjectTracker> trackers_;
};

}  // namespace sluice::postprocessors
