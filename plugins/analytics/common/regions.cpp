#include "regions.h"

#include <charconv>
#include <sstream>

namespace sluice::analytics {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool parse_float(const std::string& t, float& out) {
  if (t.empty()) return false;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && end == t.data() + t.size() && std::isfinite(out);
}

}  // namespace

Result<std::vector<RegionSpec>> parse_regions(const std::vector<std::string>& texts,
                                              const std::string& param, std::size_t min_points,
                                              std::size_t max_points, const std::string& prefix) {
  const char* what = min_points == 2 && max_points == 2 ? "a line" : "a zone";
  std::vector<RegionSpec> out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string where = param + "[" + std::to_string(i) + "]: '" + texts[i] + "': ";
    RegionSpec r;
    std::string points = texts[i];
    if (const auto colon = points.find(':'); colon != std::string::npos) {
      r.name = trim(points.substr(0, colon));
      points = points.substr(colon + 1);
      if (r.name.empty()) return invalid_argument(where + "the name before ':' is empty");
    } else {
      r.name = prefix + std::to_string(i);
    }
    for (const auto& o : out)
      if (o.name == r.name) return invalid_argument(where + "the name '" + r.name + "' is taken");
    std::stringstream words(points);
    std::string word;
    while (words >> word) {
      const auto comma = word.find(',');
      cv::Point2f p;
      if (comma == std::string::npos || !parse_float(word.substr(0, comma), p.x) ||
          !parse_float(word.substr(comma + 1), p.y))
        return invalid_argument(where + "'" + word + "' is not a point \"x,y\"");
      r.points.push_back(p);
    }
    if (r.points.size() < min_points || r.points.size() > max_points) {
      const std::string wanted = min_points == max_points
                                     ? std::to_string(min_points) + " points \"x,y x,y\""
                                     : "at least " + std::to_string(min_points) + " points";
      return invalid_argument(where + what + " needs " + wanted + ", got " +
                              std::to_string(r.points.size()));
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) return invalid_argument(param + " is empty");
  return out;
}

Status RegionGeometry::open(const Params& p, std::vector<RegionSpec> specs) {
  specs_ = std::move(specs);
  const std::string units = p.get(kUnits);
  bool all_within_one = true;
  for (const auto& r : specs_)
    for (const auto& pt : r.points)
      if (pt.x < 0 || pt.x > 1 || pt.y < 0 || pt.y > 1) all_within_one = false;
  fractions_ = units == "fractions" || (units == "auto" && all_within_one);
  if (units == "fractions" && !all_within_one)
    return invalid_argument("units = \"fractions\", but a point is outside 0..1");
  const std::string anchor = p.get(kAnchor);
  anchor_ = anchor == "center"       ? Anchor::kCenter
            : anchor == "top_center" ? Anchor::kTopCenter
                                     : Anchor::kBottomCenter;
  margin_ = static_cast<float>(p.get(kMargin));
  if (!fractions_) pixels_ = specs_;
  return ok();
}

Result<const std::vector<RegionSpec>*> RegionGeometry::in_pixels(const PacketHeader& header) {
  if (!fractions_) return &pixels_;
  if (!header.source_frame || header.source_frame->image.empty())
    return invalid_argument(
        "the points are fractions of the frame, but these detections carry no source frame to "
        "size it: give the points in pixels (units = \"pixels\")");
  const cv::Size size = header.source_frame->image.size();
  if (size != size_ || pixels_.empty()) {
    size_ = size;
    pixels_ = specs_;
    for (auto& r : pixels_)
      for (auto& pt : r.points) pt = {pt.x * size.width, pt.y * size.height};
  }
  return &pixels_;
}

cv::Point2f RegionGeometry::anchor_of(const cv::Rect2f& box) const {
  const float x = box.x + box.width / 2;
  switch (anchor_) {
    case Anchor::kCenter:
      return {x, box.y + box.height / 2};
    case Anchor::kTopCenter:
      return {x, box.y};
    case Anchor::kBottomCenter:
      break;
  }
  return {x, box.y + box.height};
}

std::string label_of(const Detection& d) {
  if (!d.label.empty()) return d.label;
  if (d.class_id >= 0) return "class " + std::to_string(d.class_id);
  return "";
}

void Counts::add(const std::string& what, const std::string& label, int64_t n) {
  counts_[{what, ""}] += n;
  if (!label.empty()) counts_[{what, label}] += n;
}

void Counts::set(const std::string& what, const std::string& label, int64_t n) {
  counts_[{what, label}] = n;
}

std::vector<RegionCount> Counts::list() const {
  std::vector<RegionCount> out;
  for (const auto& [key, n] : counts_) out.push_back({key.first, key.second, n});
  return out;
}

}  // namespace sluice::analytics
