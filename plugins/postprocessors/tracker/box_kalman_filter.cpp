#include "box_kalman_filter.h"

#include <algorithm>

namespace sluice::tracking {
namespace {

// Standard deviations relative to the box size: position 1/20, velocity 1/160 (DeepSORT).
constexpr double kPositionWeight = 1.0 / 20;
constexpr double kVelocityWeight = 1.0 / 160;

double sq(double v) { return v * v; }

}  // namespace

BoxKalmanFilter::BoxKalmanFilter(const cv::Rect2f& box) {
  const double w = std::max(box.width, 1.f), h = std::max(box.height, 1.f);
  x_ = {box.x + box.width / 2.0, box.y + box.height / 2.0, w, h, 0, 0, 0, 0};
  const double sd[8] = {2 * kPositionWeight * w,  2 * kPositionWeight * h,
                        2 * kPositionWeight * w,  2 * kPositionWeight * h,
                        10 * kVelocityWeight * w, 10 * kVelocityWeight * h,
                        10 * kVelocityWeight * w, 10 * kVelocityWeight * h};
  p_ = cv::Matx<double, 8, 8>::zeros();
  for (int i = 0; i < 8; ++i) p_(i, i) = sq(sd[i]);
}

void BoxKalmanFilter::predict() {
  // x' = F x with F = [I I; 0 I]; P' = F P F^T + Q, written out: F's blocks are identities.
  for (int i = 0; i < 4; ++i) x_(i) += x_(i + 4);
  cv::Matx<double, 8, 8> fp = p_;  // F P: row i (< 4) gains row i + 4
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) fp(i, j) += p_(i + 4, j);
  p_ = fp;  // (F P) F^T: column j (< 4) gains column j + 4
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 8; ++i) p_(i, j) += fp(i, j + 4);
  const double w = std::max(x_(2), 1.0), h = std::max(x_(3), 1.0);
  const double q[8] = {sq(kPositionWeight * w), sq(kPositionWeight * h), sq(kPositionWeight * w),
                       sq(kPositionWeight * h), sq(kVelocityWeight * w), sq(kVelocityWeight * h),
                       sq(kVelocityWeight * w), sq(kVelocityWeight * h)};
  for (int i = 0; i < 8; ++i) p_(i, i) += q[i];
}

void BoxKalmanFilter::update(const cv::Rect2f& box) {
  // H = [I 0]: H P H^T is P's top-left block, P H^T its left four columns.
  const double w = std::max(x_(2), 1.0), h = std::max(x_(3), 1.0);
  const cv::Vec4d z(box.x + box.width / 2.0, box.y + box.height / 2.0, box.width, box.height);
  const double r[4] = {sq(kPositionWeight * w), sq(kPositionWeight * h), sq(kPositionWeight * w),
                       sq(kPositionWeight * h)};
  cv::Matx44d s;
  cv::Matx<double, 8, 4> pht;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) pht(i, j) = p_(i, j);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) s(i, j) = p_(i, j) + (i == j ? r[i] : 0.0);
  const cv::Matx<double, 8, 4> k = pht * s.inv(cv::DECOMP_CHOLESKY);
  cv::Vec4d innovation;
  for (int i = 0; i < 4; ++i) innovation(i) = z(i) - x_(i);
  x_ += k * innovation;
  // P = (I - K H) P: K H is K in the left four columns.
  cv::Matx<double, 8, 8> kh = cv::Matx<double, 8, 8>::zeros();
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) kh(i, j) = k(i, j);
  p_ = (cv::Matx<double, 8, 8>::eye() - kh) * p_;
}

void BoxKalmanFilter::hold_size() {
  x_(6) = 0;
  x_(7) = 0;
}

cv::Rect2f BoxKalmanFilter::box() const {
  const double w = std::max(x_(2), 1.0), h = std::max(x_(3), 1.0);
  return cv::Rect2f(static_cast<float>(x_(0) - w / 2), static_cast<float>(x_(1) - h / 2),
                    static_cast<float>(w), static_cast<float>(h));
}

}  // namespace sluice::tracking
