#include "camera_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace sluice::sources {

std::string camera_device_path(const std::string& device) {
  const bool index = !device.empty() && device.size() < 6 &&
                     std::all_of(device.begin(), device.end(),
                                 [](unsigned char c) { return std::isdigit(c) != 0; });
  return index ? "/dev/video" + device : device;
}

Status CameraSource::open(const Params& p) {
  const std::string device = p.get(kDevice);
  path_ = camera_device_path(device);
  frames_ = p.get(kFrames);
  const std::string fourcc = p.get(kFourcc);
  if (!fourcc.empty() && fourcc.size() != 4)
    return invalid_argument("fourcc " + quoted(fourcc) + " is not 4 characters (like \"MJPG\")");

  // Checked before OpenCV tries, so that the error says what is wrong with the device.
  const std::string named = path_ == device ? quoted(path_) : quoted(device) + " (" + path_ + ")";
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0)
    return errno == ENOENT ? not_found("camera " + named + " not found: no such device")
                           : unavailable("camera " + named + ": " + std::strerror(errno));
  if (!S_ISCHR(st.st_mode)) return invalid_argument("camera " + named + " is not a video device");
  if (::access(path_.c_str(), R_OK | W_OK) != 0)
    return unavailable("cannot open camera " + named + ": " + std::strerror(errno) +
                       " (is this user in the 'video' group?)");

  bool opened = false;
  try {
    opened = cap_.open(path_, cv::CAP_V4L2) && cap_.isOpened();
    if (opened) {
      // The format first: the sizes and rates a camera offers depend on it.
      if (!fourcc.empty())
        cap_.set(cv::CAP_PROP_FOURCC,
                 cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]));
      if (const int w = p.get(kWidth); w > 0) cap_.set(cv::CAP_PROP_FRAME_WIDTH, w);
      if (const int h = p.get(kHeight); h > 0) cap_.set(cv::CAP_PROP_FRAME_HEIGHT, h);
      if (const double fps = p.get(kFps); fps > 0) cap_.set(cv::CAP_PROP_FPS, fps);
    }
  } catch (const cv::Exception& e) {
    return unavailable("cannot open camera " + named + ": " + e.what());
  }
  if (!opened)
    return unavailable("cannot open camera " + named +
                       ": busy (used by another program) or not a capture device");
  // A device node can open and still deliver nothing (a metadata node of a UVC camera).
  if (!cap_.read(first_) || first_.empty())
    return unavailable("camera " + named + " opened but delivered no frame");
  return ok();
}

Status CameraSource::process(Context& ctx) {
  if (frames_ > 0 && seq_ >= frames_) return end_of_stream();
  cv::Mat image;
  if (!first_.empty()) {
    image = std::move(first_);
    first_ = cv::Mat();
  } else if (!cap_.read(image) || image.empty()) {
    return unavailable("camera " + quoted(path_) + " stopped delivering frames (unplugged?)");
  }
  ctx.send(kOut, Frame{std::move(image), PixelFormat::kBGR},
           ctx.source_header(0, seq_++, clock_.pts_us()));
  return ok();
}

}  // namespace sluice::sources

SLUICE_EXPORT_NODES(sluice::sources::CameraSource)
