// A segmentation model's instance mask on the source frame: prototype masks (at a fraction
// of the model's input size) combined with one box's coefficients, sampled at each
// source-frame pixel of the box. YOLOv8-seg (and YOLACT before it) work this way.
#pragma once

#include "sluice/sluice.h"

namespace sluice::postprocessors {

struct Prototypes {
  const float* data = nullptr;  // [m, h, w], C order
  int m = 0, h = 0, w = 0;
  cv::Size input_size;  // the model's input, in whose pixels boxes are given
};

// The mask of the box `box_in_input` (model-input pixels) with coefficients `coeffs` (m of
// them): sets d.mask_rect (the box rounded outwards to whole source-frame pixels, clipped
// to the frame when `frame` is not empty, and at 0) and d.mask (CV_8U, 255 inside). A
// source pixel is inside when its centre, mapped into the input by `to_input`, lies in the
// box, and the bilinear value there (coordinates clamped to the grid, as an align_corners =
// false upsampling) of sigmoid(coeffs . prototypes) is at least 0.5.
void instance_mask(const Prototypes& protos, const float* coeffs, const cv::Rect2f& box_in_input,
                   const Affine2D& to_input, cv::Size frame, Detection& d);

}  // namespace sluice::postprocessors
