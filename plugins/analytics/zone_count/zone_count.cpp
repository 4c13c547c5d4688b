#include "zone_count.h"

#include <opencv2/imgproc.hpp>

namespace sluice::analytics {

Status ZoneCount::open(const Params& p) {
  SLUICE_ASSIGN_OR_RETURN(auto specs, parse_regions(p.get(kZones), "zones", 3, 1000, "zone"));
  for (const auto& s : specs) {
    if (std::abs(cv::contourArea(s.points)) <= 0)
      return invalid_argument("zones: '" + s.name + "' has no area");
    names_.push_back(s.name);
  }
  forget_frames_ = p.get(kForgetFrames);
  return geometry_.open(p, std::move(specs));
}

Event ZoneCount::exit_event(std::size_t zone, int64_t track_id, const Track& t, int64_t at_us,
                            const char* direction) const {
  return {.kind = "zone_exit",
          .region = names_[zone],
          .direction = direction,
          .track_id = track_id,
          .class_id = t.class_id,
          .label = t.label,
          .point = t.point,
          .dwell_s = static_cast<double>(at_us - t.entered_us[zone]) / 1e6};
}

Status ZoneCount::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  SLUICE_ASSIGN_OR_RETURN(const std::vector<RegionSpec>* zones, geometry_.in_pixels(h));
  const std::size_t n = zones->size();
  Stream& stream = streams_[h.stream_id];
  stream.entered.resize(n);
  Events out;
  int64_t untracked = 0;
  for (const Detection& d : ctx.get(kIn).items) {
    if (d.track_id < 0) {
      ++untracked;
      continue;
    }
    Track& t = stream.tracks[d.track_id];
    t.inside.resize(n, 0);
    t.entered_us.resize(n, 0);
    t.last_seq = h.seq;
    t.last_us = h.pts_us;
    t.class_id = d.class_id;
    t.label = label_of(d);
    t.point = geometry_.anchor_of(d.box);
    for (std::size_t i = 0; i < n; ++i) {
      // Signed distance to the polygon's edge: positive inside.
      const double distance = cv::pointPolygonTest((*zones)[i].points, t.point, true);
      if (!t.inside[i] && distance > geometry_.margin()) {
        t.inside[i] = 1;
        t.entered_us[i] = h.pts_us;
        stream.entered[i].add("entered", t.label);
        out.items.push_back({.kind = "zone_enter",
                             .region = names_[i],
                             .direction = "",
                             .track_id = d.track_id,
                             .class_id = t.class_id,
                             .label = t.label,
                             .point = t.point,
                             .dwell_s = 0});
      } else if (t.inside[i] && distance < -geometry_.margin()) {
        t.inside[i] = 0;
        out.items.push_back(exit_event(i, d.track_id, t, h.pts_us, "out"));
      }
    }
  }
  // Tracks not seen for forget_frames have vanished: out of every zone they were in.
  for (auto it = stream.tracks.begin(); it != stream.tracks.end();) {
    const Track& t = it->second;
    if (h.seq - t.last_seq <= forget_frames_) {
      ++it;
      continue;
    }
    for (std::size_t i = 0; i < n; ++i)
      if (t.inside[i]) out.items.push_back(exit_event(i, it->first, t, t.last_us, "lost"));
    it = stream.tracks.erase(it);
  }
  for (std::size_t i = 0; i < n; ++i) {
    Counts inside;
    inside.set("inside", "", 0);
    for (const auto& [id, t] : stream.tracks)
      if (t.inside[i]) inside.add("inside", t.label);
    std::vector<RegionCount> counts = stream.entered[i].list();
    for (RegionCount& c : inside.list()) counts.push_back(std::move(c));
    out.regions.push_back({.name = names_[i],
                           .points = (*zones)[i].points,
                           .closed = true,
                           .counts = std::move(counts)});
  }
  if (untracked) ctx.add_to_counter("untracked", untracked);
  ctx.send(kEvents, std::move(out));
  ctx.forward(kOut, ctx.take(kIn));
  return ok();
}

Status ZoneCount::stream_ended(Context&, const StreamEnd& end) {
  streams_.erase(end.stream_id);
  return ok();
}

}  // namespace sluice::analytics

SLUICE_EXPORT_NODES(sluice::analytics::ZoneCount)
