#include "tracker.h"

namespace sluice::postprocessors {

Status Tracker::open(const Params& p) {
  options_.high_score = static_cast<float>(p.get(kHighScore));
  options_.low_score = static_cast<float>(p.get(kLowScore));
  options_.new_track_score = static_cast<float>(p.get(kNewTrackScore));
  options_.match_iou = static_cast<float>(p.get(kMatchIou));
  options_.low_match_iou = static_cast<float>(p.get(kLowMatchIou));
  options_.min_hits = p.get(kMinHits);
  options_.lost_frames = p.get(kLostFrames);
  options_.per_class = p.get(kPerClass);
  options_.motion = p.get(kMotion) == "kalman";
  options_.optimal = p.get(kAssignment) == "hungarian";
  if (options_.low_score > options_.high_score)
    return invalid_argument("low_score (" + std::to_string(options_.low_score) +
                            ") is above high_score (" + std::to_string(options_.high_score) + ")");
  if (options_.new_track_score < options_.high_score)
    return invalid_argument("new_track_score (" + std::to_string(options_.new_track_score) +
                            ") is below high_score (" + std::to_string(options_.high_score) +
                            "): tracks only start from high-score detections");
  return ok();
}

Status Tracker::process(Context& ctx) {
  const uint32_t stream = ctx.header().stream_id;
  auto it = trackers_.find(stream);
  if (it == trackers_.end()) it = trackers_.emplace(stream, options_).first;
  tracking::TrackerResult r = it->second.update(ctx.get(kIn).items);
  ctx.send(kOut, Detections{std::move(r.tracked)});
  ctx.send(kLost, Detections{std::move(r.lost)});
  return ok();
}

Status Tracker::stream_ended(Context&, const StreamEnd& end) {
  trackers_.erase(end.stream_id);
  return ok();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::Tracker)
