#include "preproc.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace sluice::preprocessors {

int interpolation_flag(const std::string& name) {
  if (name == "nearest") return cv::INTER_NEAREST;
  if (name == "cubic") return cv::INTER_CUBIC;
  if (name == "area") return cv::INTER_AREA;
  if (name == "lanczos") return cv::INTER_LANCZOS4;
  return cv::INTER_LINEAR;  // "linear"; the runtime has rejected any other name
}

Result<cv::Size> size_param(const std::vector<int>& value, const char* name, bool allow_single) {
  if (value.size() == 2) return cv::Size(value[0], value[1]);
  if (allow_single && value.size() == 1) return cv::Size(value[0], value[0]);
  return invalid_argument(std::string("param '") + name + "' must be [width, height]" +
                          (allow_single ? " or [side]" : "") + ", not a list of " +
                          std::to_string(value.size()) + " values");
}

int channels_of(PixelFormat format) {
  switch (format) {
    case PixelFormat::kGRAY:
      return 1;
    case PixelFormat::kBGRA:
    case PixelFormat::kRGBA:
      return 4;
    case PixelFormat::kBGR:
    case PixelFormat::kRGB:
      break;
  }
  return 3;
}

std::string size_text(cv::Size size) {
  return std::to_string(size.width) + "x" + std::to_string(size.height);
}

std::string channels_text(int n) { return std::to_string(n) + (n == 1 ? " channel" : " channels"); }

std::string depth_text(int depth) {
  switch (depth) {
    case CV_8U:
      return "8U";
    case CV_8S:
      return "8S";
    case CV_16U:
      return "16U";
    case CV_16S:
      return "16S";
    case CV_32S:
      return "32S";
    case CV_32F:
      return "32F";
    case CV_64F:
      return "64F";
    case CV_16F:
      return "16F";
  }
  return "depth " + std::to_string(depth);
}

Status check_frame(const Frame& frame) {
  const cv::Mat& m = frame.image;
  if (m.empty()) return invalid_argument("the frame has no pixels (an empty image)");
  if (m.dims != 2)
    return invalid_argument("the frame's image has " + std::to_string(m.dims) +
                            " dimensions; expected a 2-d image");
  const int expected = channels_of(frame.format);
  if (m.channels() != expected)
    return invalid_argument("the frame has " + channels_text(m.channels()) + " but its format is " +
                            to_string(frame.format) + " (" + channels_text(expected) + ")");
  if (m.depth() != CV_8U && m.depth() != CV_16U && m.depth() != CV_32F)
    return invalid_argument("the frame's pixels are " + depth_text(m.depth()) +
                            "; expected 8U, 16U or 32F");
  return ok();
}

PacketHeader with_step(const PacketHeader& in, const Affine2D& step) {
  PacketHeader out = in;
  out.transform = in.transform.then(step);
  return out;
}

int round_half_even(double x) {
  const double lower = std::floor(x);
  const double frac = x - lower;
  double r = lower;
  if (frac > 0.5 || (frac == 0.5 && std::fmod(lower, 2.0) != 0.0)) r = lower + 1;
  return static_cast<int>(r);
}

}  // namespace sluice::preprocessors
