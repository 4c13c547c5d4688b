#include "multi_object_tracker.h"

#include <algorithm>

#include "linear_assignment.h"

namespace sluice::tracking {

void MultiObjectTracker::associate(std::vector<std::size_t>& tracks, std::vector<std::size_t>& dets,
                                   const std::vector<Detection>& detections, float min_iou,
                                   std::vector<std::optional<std::size_t>>& match) {
  if (tracks.empty() || dets.empty()) return;
  CostMatrix m{static_cast<int>(tracks.size()), static_cast<int>(dets.size()), {}};
  m.cost.resize(tracks.size() * dets.size());
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const Track& t = tracks_[tracks[i]];
    for (std::size_t j = 0; j < dets.size(); ++j) {
      const Detection& d = detections[dets[j]];
      const bool allowed = !options_.per_class || d.class_id == t.class_id;
      m.cost[i * dets.size() + j] = allowed ? 1.0 - iou(t.box, d.box) : 2.0;
    }
  }
  const double max_cost = 1.0 - min_iou;
  const std::vector<int> col =
      options_.optimal ? assign_optimal(m, max_cost) : assign_greedy(m, max_cost);
  std::vector<std::size_t> tracks_left, dets_left;
  std::vector<char> det_taken(dets.size(), 0);
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    if (col[i] < 0) {
      tracks_left.push_back(tracks[i]);
      continue;
    }
    det_taken[static_cast<std::size_t>(col[i])] = 1;
    match[dets[static_cast<std::size_t>(col[i])]] = tracks[i];
  }
  for (std::size_t j = 0; j < dets.size(); ++j)
    if (!det_taken[j]) dets_left.push_back(dets[j]);
  tracks = std::move(tracks_left);
  dets = std::move(dets_left);
}

void MultiObjectTracker::matched(Track& t, const Detection& d) {
  if (options_.motion) {
    t.filter.update(d.box);
    t.velocity = t.filter.velocity();
  } else {
    const cv::Point2f before(t.box.x + t.box.width / 2, t.box.y + t.box.height / 2);
    const cv::Point2f now(d.box.x + d.box.width / 2, d.box.y + d.box.height / 2);
    t.velocity = (now - before) / static_cast<float>(t.unseen + 1);
    t.box = d.box;
  }
  ++t.hits;
  t.unseen = 0;
  t.class_id = d.class_id;
  t.score = d.score;
  t.last = d;
}

TrackerResult MultiObjectTracker::update(const std::vector<Detection>& detections) {
  ++frames_;
  // Predict: every track's box in this frame.
  for (Track& t : tracks_) {
    if (!options_.motion) continue;
    if (t.state == State::kLost) t.filter.hold_size();
    t.filter.predict();
    t.box = t.filter.box();
  }
  std::vector<std::size_t> high, low;
  for (std::size_t i = 0; i < detections.size(); ++i) {
    const float s = detections[i].score;
    if (s >= options_.high_score)
      high.push_back(i);
    else if (s >= options_.low_score)
      low.push_back(i);
  }
  std::vector<std::size_t> confirmed, tentative;
  for (std::size_t i = 0; i < tracks_.size(); ++i)
    (tracks_[i].state == State::kTentative ? tentative : confirmed).push_back(i);
  std::vector<std::optional<std::size_t>> match(detections.size());
  // 1. High-score detections against every confirmed track, lost ones included.
  associate(confirmed, high, detections, options_.match_iou, match);
  // 2. Low-score detections against the confirmed tracks still free, at a stricter IoU.
  associate(confirmed, low, detections, options_.low_match_iou, match);
  // 3. New tracks from last frame against the high-score detections left.
  associate(tentative, high, detections, options_.tentative_match_iou, match);

  std::vector<char> seen(tracks_.size(), 0);
  for (std::size_t d = 0; d < detections.size(); ++d) {
    if (!match[d]) continue;
    Track& t = tracks_[*match[d]];
    seen[*match[d]] = 1;
    matched(t, detections[d]);
    if (t.state == State::kTentative && t.hits >= options_.min_hits) {
      t.state = State::kTracked;
      t.id = next_id_++;
    } else if (t.state == State::kLost) {
      t.state = State::kTracked;
    }
  }
  // Unmatched: a new track that missed a frame is dropped; a confirmed one is lost, and
  // dropped after lost_frames unseen.
  std::vector<Track> kept;
  kept.reserve(tracks_.size());
  std::vector<std::size_t> new_index(tracks_.size(), SIZE_MAX);
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    if (!seen[i]) {
      ++t.unseen;
      t.hits = 0;
      if (t.state == State::kTentative || t.unseen > options_.lost_frames) continue;
      t.state = State::kLost;
    }
    new_index[i] = kept.size();
    kept.push_back(std::move(t));
  }
  for (auto& m : match)
    if (m) m = new_index[*m];
  tracks_ = std::move(kept);
  // Births: high-score detections nobody took. On a stream's first frame there is no
  // earlier frame to confirm them, so they are confirmed at once (as ByteTrack does).
  for (std::size_t d : high) {
    if (detections[d].score < options_.new_track_score) continue;
    Track t{.filter = BoxKalmanFilter(detections[d].box), .box = detections[d].box};
    matched(t, detections[d]);
    t.velocity = {0, 0};
    if (frames_ == 1 || t.hits >= options_.min_hits) {
      t.state = State::kTracked;
      t.id = next_id_++;
    }
    match[d] = tracks_.size();
    tracks_.push_back(std::move(t));
  }

  TrackerResult result;
  for (std::size_t d = 0; d < detections.size(); ++d) {
    if (!match[d]) continue;
    const Track& t = tracks_[*match[d]];
    if (t.state != State::kTracked) continue;
    Detection out = detections[d];
    out.track_id = t.id;
    out.velocity = t.velocity;
    result.tracked.push_back(std::move(out));
  }
  for (const Track& t : tracks_) {
    if (t.state != State::kLost) continue;
    Detection out = t.last;
    out.box = t.box;
    out.track_id = t.id;
    out.velocity = t.velocity;
    result.lost.push_back(std::move(out));
  }
  return result;
}

}  // namespace sluice::tracking
