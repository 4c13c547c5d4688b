// Helpers shared by the preprocessor plugins: frame checks, the params they have in
// common (sizes, interpolation) and the bookkeeping of the geometric transform.
//
// Every node that moves pixels (resize, letterbox, center_crop, crop_detections) records
// where they went: out.header.transform = in.header.transform.then(step), so a
// postprocessor maps boxes and masks back onto the source frame with
// header.transform.to_source(). Coordinates are continuous pixel coordinates: pixel (i, j)
// covers [i, i+1) x [j, j+1), so a box [0, W] x [0, H] is the whole image and a resize by
// s is the pure scale x' = s * x.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::preprocessors {

// The interpolation choices of every resizing node, and their OpenCV flags.
inline const std::vector<std::string> kInterpolations = {"nearest", "linear", "cubic", "area",
                                                         "lanczos"};
int interpolation_flag(const std::string& name);

// Reads a `size = [W, H]` param ([N] too when `allow_single`: an N x N square). The runtime
// has checked the range of each element; this checks the count.
Result<cv::Size> size_param(const std::vector<int>& value, const char* name, bool allow_single);

// The number of channels an image of this pixel format has.
int channels_of(PixelFormat format);

// Checks a frame before its pixels are touched: it has pixels, is 2-d, has the channel
// count its format says, and a depth OpenCV's image functions take (8U, 16U, 32F). The
// error says which and what was found.
Status check_frame(const Frame& frame);

// The input header with `step` (input image pixels -> output image pixels) composed onto
// its transform; stream, seq, sub-packet fields and the source frame are kept.
PacketHeader with_step(const PacketHeader& in, const Affine2D& step);

// Python's round() (halves to even), as torchvision's CenterCrop uses it.
int round_half_even(double x);

// "640x480", "1 channel", "3 channels", "8U".
std::string size_text(cv::Size size);
std::string channels_text(int n);
std::string depth_text(int depth);

}  // namespace sluice::preprocessors
