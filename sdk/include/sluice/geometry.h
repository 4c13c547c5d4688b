// Affine2D: how the pixels of a packet's image map onto its source frame.
//
// A preprocessor that resizes, letterboxes or crops composes its own transform onto the
// packet header; a postprocessor then maps boxes and masks back with `to_source` without
// knowing which preprocessors ran.
#pragma once

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>

namespace sluice {

// x' = a*x + b*y + c ; y' = d*x + e*y + f, from source-frame pixels to image pixels.
struct Affine2D {
  double a = 1, b = 0, c = 0;
  double d = 0, e = 1, f = 0;

  static Affine2D scale_translate(double sx, double sy, double tx, double ty) {
    return {sx, 0, tx, 0, sy, ty};
  }
  // First *this, then `next`.
  Affine2D then(const Affine2D& n) const {
    return {n.a * a + n.b * d, n.a * b + n.b * e, n.a * c + n.b * f + n.c,
            n.d * a + n.e * d, n.d * b + n.e * e, n.d * c + n.e * f + n.f};
  }
  Affine2D inverse() const {
    const double det = a * e - b * d;
    if (det == 0) return {};
    const double ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
    return {ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)};
  }
  cv::Point2f apply(cv::Point2f p) const {
    return {static_cast<float>(a * p.x + b * p.y + c), static_cast<float>(d * p.x + e * p.y + f)};
  }
  // Maps a point of the transformed image back onto the source frame.
  cv::Point2f to_source(cv::Point2f p) const { return inverse().apply(p); }
  cv::Rect2f to_source(const cv::Rect2f& r) const {
    const Affine2D inv = inverse();
    const cv::Point2f p0 = inv.apply(r.tl()), p1 = inv.apply(r.br());
    return {cv::Point2f(std::min(p0.x, p1.x), std::min(p0.y, p1.y)),
            cv::Point2f(std::max(p0.x, p1.x), std::max(p0.y, p1.y))};
  }
  bool is_identity() const { return a == 1 && b == 0 && c == 0 && d == 0 && e == 1 && f == 0; }
};

// How much two boxes overlap: the area of their intersection over that of their union, from
// 0 (apart, or both empty) to 1 (the same box). NMS, trackers and evaluations use it.
inline float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

// The whole pixels a box touches (its edges rounded outwards), clipped to a frame of `frame`
// pixels (to x, y >= 0 only when `frame` is empty); width or height 0 when nothing is left.
// An instance mask covers this rect.
inline cv::Rect covered_pixels(const cv::Rect2f& box, cv::Size frame = {}) {
  const int x0 = std::max(0, static_cast<int>(std::floor(box.x)));
  const int y0 = std::max(0, static_cast<int>(std::floor(box.y)));
  int x1 = static_cast<int>(std::ceil(box.x + box.width));
  int y1 = static_cast<int>(std::ceil(box.y + box.height));
  if (!frame.empty()) {
    x1 = std::min(x1, frame.width);
    y1 = std::min(y1, frame.height);
  }
  return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

}  // namespace sluice
