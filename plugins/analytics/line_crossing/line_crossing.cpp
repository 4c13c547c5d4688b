#include "line_crossing.h"

#include <cmath>

namespace sluice::analytics {
namespace {

float cross(const cv::Point2f& a, const cv::Point2f& b) { return a.x * b.y - a.y * b.x; }

}  // namespace

Status LineCrossing::open(const Params& p) {
  SLUICE_ASSIGN_OR_RETURN(auto specs, parse_regions(p.get(kLines), "lines", 2, 2, "line"));
  for (const auto& s : specs)
    if (s.points[0] == s.points[1])
      return invalid_argument("lines: '" + s.name + "' has two equal points");
  lines_ = specs.size();
  forget_frames_ = p.get(kForgetFrames);
  return geometry_.open(p, std::move(specs));
}

Status LineCrossing::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  SLUICE_ASSIGN_OR_RETURN(const std::vector<RegionSpec>* lines, geometry_.in_pixels(h));
  Stream& stream = streams_[h.stream_id];
  stream.counts.resize(lines_);
  Events out;
  int64_t untracked = 0;
  for (const Detection& d : ctx.get(kIn).items) {
    if (d.track_id < 0) {
      ++untracked;
      continue;
    }
    Track& t = stream.tracks[d.track_id];
    t.side.resize(lines_, 0);
    t.from.resize(lines_);
    t.last_seq = h.seq;
    const cv::Point2f p = geometry_.anchor_of(d.box);
    for (std::size_t i = 0; i < lines_; ++i) {
      const cv::Point2f a = (*lines)[i].points[0], b = (*lines)[i].points[1];
      const float length = std::hypot(b.x - a.x, b.y - a.y);
      const float distance = cross(b - a, p - a) / length;  // > 0: right-hand side
      const int side = distance > geometry_.margin() ? 1 : distance < -geometry_.margin() ? -1 : 0;
      if (side == 0) continue;  // on the line, within the margin: not across yet
      if (t.side[i] != 0 && side != t.side[i]) {
        // Where the path from its last point past the margin meets the line: a crossing
        // only if that is on the segment.
        const float before = cross(b - a, t.from[i] - a) / length;
        const cv::Point2f at = t.from[i] + (p - t.from[i]) * (before / (before - distance));
        const float u = (at - a).dot(b - a) / (length * length);
        if (u >= 0 && u <= 1) {
          const std::string direction = side > 0 ? "in" : "out";
          const std::string label = label_of(d);
          stream.counts[i].add(direction, label);
          out.items.push_back({.kind = "line_crossing",
                               .region = (*lines)[i].name,
                               .direction = direction,
                               .track_id = d.track_id,
                               .class_id = d.class_id,
                               .label = label,
                               .point = at,
                               .dwell_s = 0});
        }
      }
      t.side[i] = side;
      t.from[i] = p;
    }
  }
  // Tracks not seen for forget_frames are gone (the tracker has dropped them).
  std::erase_if(stream.tracks,
                [&](const auto& entry) { return h.seq - entry.second.last_seq > forget_frames_; });
  for (std::size_t i = 0; i < lines_; ++i)
    out.regions.push_back({.name = (*lines)[i].name,
                           .points = (*lines)[i].points,
                           .closed = false,
                           .counts = stream.counts[i].list()});
  if (untracked) ctx.add_to_counter("untracked", untracked);
  ctx.send(kEvents, std::move(out));
  ctx.forward(kOut, ctx.take(kIn));
  return ok();
}

Status LineCrossing::stream_ended(Context&, const StreamEnd& end) {
  streams_.erase(end.stream_id);
  return ok();
}

}  // namespace sluice::analytics

SLUICE_EXPORT_NODES(sluice::analytics::LineCrossing)
