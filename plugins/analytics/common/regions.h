// What the analytics nodes share: lines and zones written in params as text, in pixels or
// fractions of the frame; the point of a box that crosses them; counts per class.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::analytics {

// The params every analytics node declares, given here once.
inline const Param<std::string> kUnits{
    .name = "units",
    .default_value = "auto",
    .description =
        "coordinates in pixels of the source frame, or fractions of its size; auto: "
        "fractions when every coordinate is within 0..1",
    .choices = {"auto", "pixels", "fractions"}};
inline const Param<std::string> kAnchor{
    .name = "anchor",
    .default_value = "bottom_center",
    .description = "the point of a box that counts: bottom_center (the feet), center, top_center",
    .choices = {"bottom_center", "center", "top_center"}};
inline const Param<double> kMargin{
    .name = "margin",
    .default_value = 2.0,
    .description =
        "pixels a point must go past a line or a zone's edge to count as across (so "
        "a box jittering on it counts once)",
    .min = 0.0,
    .max = 10000.0};
inline const Param<int> kForgetFrames{
    .name = "forget_frames",
    .default_value = 30,
    .description =
        "frames after which a track not seen is forgotten (as the tracker's "
        "lost_frames)",
    .min = 1,
    .max = 1000000};

// A named polyline as written: "door: 0.5,0.2 0.5,0.9" (the name and its colon are
// optional; points are "x,y" pairs separated by spaces).
struct RegionSpec {
  std::string name;
  std::vector<cv::Point2f> points;
};

// Parses `texts` (the param `param`): each needs `min_points` to `max_points` points;
// unnamed ones are called `prefix` + index. Errors name the param, the index and the text:
//   lines[1]: 'door: 0.5,0.2': a line needs 2 points "x,y x,y", got 1
Result<std::vector<RegionSpec>> parse_regions(const std::vector<std::string>& texts,
                                              const std::string& param, std::size_t min_points,
                                              std::size_t max_points, const std::string& prefix);

// The regions' points in source-frame pixels, once the frame size is known (from the
// first packet's source frame). Fractions are scaled by it; pixels are kept.
class RegionGeometry {
 public:
  Status open(const Params& p, std::vector<RegionSpec> specs);
  // The regions in pixels for a frame of `size`; an error when fractions are used and the
  // size is unknown (the detections carry no source frame).
  Result<const std::vector<RegionSpec>*> in_pixels(const PacketHeader& header);
  cv::Point2f anchor_of(const cv::Rect2f& box) const;
  float margin() const { return margin_; }

 private:
  std::vector<RegionSpec> specs_;
  bool fractions_ = false;
  enum class Anchor { kBottomCenter, kCenter, kTopCenter } anchor_ = Anchor::kBottomCenter;
  float margin_ = 2;
  cv::Size size_;  // of the last frame converted for
  std::vector<RegionSpec> pixels_;
};

// The name a count is kept under for a detection: its label, else "class N", else "".
std::string label_of(const Detection& d);

// Counts by (what, label), with label "" for all classes: "in" 3, ("in", "person") 2.
class Counts {
 public:
  void add(const std::string& what, const std::string& label, int64_t n = 1);
  void set(const std::string& what, const std::string& label, int64_t n);
  std::vector<RegionCount> list() const;

 private:
  std::map<std::pair<std::string, std::string>, int64_t> counts_;
};

}  // namespace sluice::analytics
