// Occupancy of zones (polygons) per class, enter and exit events, and how long each
// tracked object stayed, per stream.
//
//   [nodes.zones]
//   plugin = "zone_count"
//   zones = ["queue: 0.1,0.5 0.4,0.5 0.4,0.9 0.1,0.9"]   # name: x,y x,y x,y ...
//
// A track enters when its point is `margin` pixels inside a zone, and exits when it is
// `margin` pixels outside (direction "out"), or when it has not been seen for
// `forget_frames` (direction "lost": it vanished inside). Dwell time is from the pts of
// the frame it entered on to that of the frame it left on (or was last seen on).
#pragma once

#include <map>

#include "regions.h"
#include "sluice/sluice.h"

namespace sluice::analytics {

class ZoneCount final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "zone_count",
      .kind = NodeKind::kPostprocessor,
      .description = "Zone occupancy per class, enter and exit events, dwell time per track."};
  static constexpr Input<Detections> kIn{"in", "tracked detections (track_id set: tracker)"};
  static constexpr Output<Detections> kOut{"out", "the detections, unchanged"};
  static constexpr Output<Events> kEvents{
      "events", "this frame's enters and exits, and the zones with their counts"};
  static inline const Param<std::vector<std::string>> kZones{
      .name = "zones",
      .description = "polygons as \"name: x1,y1 x2,y2 x3,y3 ...\" (the name is optional)",
      .required = true};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kEvents, kZones, kUnits, kAnchor, kMargin, kForgetFrames);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status stream_ended(Context& ctx, const StreamEnd& end) override;

 private:
  struct Track {
    std::vector<char> inside;         // per zone
    std::vector<int64_t> entered_us;  // per zone: pts it entered at
    int64_t last_seq = 0;
    int64_t last_us = 0;
    int class_id = -1;
    std::string label;
    cv::Point2f point;
  };
  struct Stream {
    std::map<int64_t, Track> tracks;
    std::vector<Counts> entered;  // per zone
  };
  Event exit_event(std::size_t zone, int64_t track_id, const Track& t, int64_t at_us,
                   const char* direction) const;

  RegionGeometry geometry_;
  std::vector<std::string> names_;
  int forget_frames_ = 30;
  std::map<uint32_t, Stream> streams_;
};

}  // namespace sluice::analytics
