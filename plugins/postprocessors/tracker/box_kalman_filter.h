// A Kalman filter over one box, constant velocity: state (cx, cy, w, h) and their rates
// per frame. The noise scales with the box's size, as in DeepSORT and ByteTrack (a far,
// small object moves fewer pixels than a near one), here with width and height kept apart
// rather than aspect and height (BoT-SORT's choice: it follows boxes whose shape changes).
#pragma once

#include <opencv2/core.hpp>

namespace sluice::tracking {

class BoxKalmanFilter {
 public:
  // Starts at `box` with no velocity, uncertain about it.
  explicit BoxKalmanFilter(const cv::Rect2f& box);

  // One frame ahead.
  void predict();
  // Corrects the state with a measured box.
  void update(const cv::Rect2f& box);
  // While an object is unseen its size is held: extrapolating a shrinking box for many
  // frames would lose it (ByteTrack zeroes the height rate of lost tracks likewise).
  void hold_size();

  cv::Rect2f box() const;
  cv::Point2f velocity() const { return {static_cast<float>(x_(4)), static_cast<float>(x_(5))}; }

 private:
  cv::Vec<double, 8> x_;      // cx, cy, w, h, vcx, vcy, vw, vh
  cv::Matx<double, 8, 8> p_;  // covariance of x_
};

}  // namespace sluice::tracking
