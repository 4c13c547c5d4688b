// Counts tracked objects crossing lines, per class and direction, per stream, with an
// event per crossing.
//
//   [nodes.door]
//   plugin = "line_crossing"
//   lines = ["door: 0.19,0.30 0.19,0.58"]   # name: x,y x,y (fractions or pixels)
//   anchor = "bottom_center"                # the feet cross, not the box
//
// A crossing is counted when a track's point goes from one side of a line to the other
// (`margin` pixels past it each time, so jitter on the line counts once) through the
// segment itself. Direction: "in" onto the right-hand side of the line walked from its
// first point to its second, as drawn on the picture (y down); "out" back. Drawn left to
// right, "in" is downwards; drawn top to bottom, "in" is leftwards.
#pragma once

#include <map>

#include "regions.h"
#include "sluice/sluice.h"

namespace sluice::analytics {

class LineCrossing final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "line_crossing",
      .kind = NodeKind::kPostprocessor,
      .description = "Counts tracks crossing lines, per class and direction, with an event each."};
  static constexpr Input<Detections> kIn{"in", "tracked detections (track_id set: tracker)"};
  static constexpr Output<Detections> kOut{"out", "the detections, unchanged"};
  static constexpr Output<Events> kEvents{
      "events", "this frame's crossings, and the lines with their counts so far"};
  static inline const Param<std::vector<std::string>> kLines{
      .name = "lines",
      .description = "lines as \"name: x1,y1 x2,y2\" (the name is optional)",
      .required = true};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kEvents, kLines, kUnits, kAnchor, kMargin, kForgetFrames);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status stream_ended(Context& ctx, const StreamEnd& end) override;

 private:
  struct Track {
    std::vector<int> side;          // per line: -1, +1, or 0 before it is first past one
    std::vector<cv::Point2f> from;  // per line: where it last was, past the margin
    int64_t last_seq = 0;
  };
  struct Stream {
    std::map<int64_t, Track> tracks;
    std::vector<Counts> counts;  // per line
  };

  RegionGeometry geometry_;
  std::size_t lines_ = 0;
  int forget_frames_ = 30;
  std::map<uint32_t, Stream> streams_;
};

}  // namespace sluice::analytics
