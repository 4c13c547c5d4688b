#include "instance_mask.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace sluice::postprocessors {

void instance_mask(const Prototypes& protos, const float* coeffs, const cv::Rect2f& box_in_input,
                   const Affine2D& to_input, cv::Size frame, Detection& d) {
  d.mask_rect = covered_pixels(d.box, frame);
  const int x0 = d.mask_rect.x, y0 = d.mask_rect.y;
  d.mask = cv::Mat::zeros(d.mask_rect.height, d.mask_rect.width, CV_8U);
  if (d.mask_rect.empty()) return;

  // The prototype cells the box can sample, with their combined values computed once:
  // m multiply-adds per cell, over the box only, not the whole grid.
  const double sx = static_cast<double>(protos.w) / protos.input_size.width;
  const double sy = static_cast<double>(protos.h) / protos.input_size.height;
  const auto cell = [](double v, int n) { return std::clamp(static_cast<int>(v), 0, n - 1); };
  const int u0 = cell(std::floor(box_in_input.x * sx - 0.5), protos.w);
  const int u1 = cell(std::ceil((box_in_input.x + box_in_input.width) * sx - 0.5) + 1, protos.w);
  const int v0 = cell(std::floor(box_in_input.y * sy - 0.5), protos.h);
  const int v1 = cell(std::ceil((box_in_input.y + box_in_input.height) * sy - 0.5) + 1, protos.h);
  const int cols = u1 - u0 + 1;
  std::vector<float> value(static_cast<std::size_t>(cols) * (v1 - v0 + 1));
  const std::size_t plane = static_cast<std::size_t>(protos.h) * protos.w;
  for (int v = v0; v <= v1; ++v)
    for (int u = u0; u <= u1; ++u) {
      double sum = 0;
      const float* at = protos.data + static_cast<std::size_t>(v) * protos.w + u;
      for (int k = 0; k < protos.m; ++k) sum += static_cast<double>(coeffs[k]) * at[k * plane];
      value[static_cast<std::size_t>(v - v0) * cols + (u - u0)] =
          static_cast<float>(1.0 / (1.0 + std::exp(-sum)));
    }
  const auto sample = [&](double u, double v) {
    u = std::clamp(u, 0.0, protos.w - 1.0);
    v = std::clamp(v, 0.0, protos.h - 1.0);
    const int ua = static_cast<int>(u), va = static_cast<int>(v);
    const int ub = std::min(ua + 1, protos.w - 1), vb = std::min(va + 1, protos.h - 1);
    const double fu = u - ua, fv = v - va;
    const auto p = [&](int uu, int vv) {
      return static_cast<double>(value[static_cast<std::size_t>(vv - v0) * cols + (uu - u0)]);
    };
    return (p(ua, va) * (1 - fu) + p(ub, va) * fu) * (1 - fv) +
           (p(ua, vb) * (1 - fu) + p(ub, vb) * fu) * fv;
  };
  const float bx1 = box_in_input.x, by1 = box_in_input.y;
  const float bx2 = box_in_input.x + box_in_input.width, by2 = box_in_input.y + box_in_input.height;
  for (int j = 0; j < d.mask_rect.height; ++j) {
    auto* row = d.mask.ptr<unsigned char>(j);
    for (int i = 0; i < d.mask_rect.width; ++i) {
      const cv::Point2f q = to_input.apply(
          cv::Point2f(static_cast<float>(x0 + i) + 0.5f, static_cast<float>(y0 + j) + 0.5f));
      if (q.x < bx1 || q.x >= bx2 || q.y < by1 || q.y >= by2) continue;
      if (sample(q.x * sx - 0.5, q.y * sy - 0.5) >= 0.5) row[i] = 255;
    }
  }
}

}  // namespace sluice::postprocessors
