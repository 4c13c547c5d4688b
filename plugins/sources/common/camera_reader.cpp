#include "camera_reader.h"

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

Result<std::unique_ptr<CameraReader>> CameraReader::open(const CameraOptions& options) {
  std::unique_ptr<CameraReader> r(new CameraReader());
  const std::string& device = options.device;
  r->path_ = camera_device_path(device);
  const std::string& path = r->path_;
  const std::string& fourcc = options.fourcc;
  if (!fourcc.empty() && fourcc.size() != 4)
    return invalid_argument("fourcc " + quoted(fourcc) + " is not 4 characters (like \"MJPG\")");

  // Checked before OpenCV tries, so that the error says what is wrong with the device.
  const std::string named = path == device ? quoted(path) : quoted(device) + " (" + path + ")";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return errno == ENOENT ? not_found("camera " + named + " not found: no such device")
                           : unavailable("camera " + named + ": " + std::strerror(errno));
  if (!S_ISCHR(st.st_mode)) return invalid_argument("camera " + named + " is not a video device");
  if (::access(path.c_str(), R_OK | W_OK) != 0)
    return unavailable("cannot open camera " + named + ": " + std::strerror(errno) +
                       " (is this user in the 'video' group?)");

  bool opened = false;
  try {
    opened = r->cap_.open(path, cv::CAP_V4L2) && r->cap_.isOpened();
    if (opened) {
      // The format first: the sizes and rates a camera offers depend on it.
      if (!fourcc.empty())
        r->cap_.set(cv::CAP_PROP_FOURCC,
                    cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]));
      if (options.width > 0) r->cap_.set(cv::CAP_PROP_FRAME_WIDTH, options.width);
      if (options.height > 0) r->cap_.set(cv::CAP_PROP_FRAME_HEIGHT, options.height);
      if (options.fps > 0) r->cap_.set(cv::CAP_PROP_FPS, options.fps);
    }
  } catch (const cv::Exception& e) {
    return unavailable("cannot open camera " + named + ": " + e.what());
  }
  if (!opened)
    return unavailable("cannot open camera " + named +
                       ": busy (used by another program) or not a capture device");
  // A device node can open and still deliver nothing (a metadata node of a UVC camera).
  if (!r->cap_.read(r->first_) || r->first_.empty())
    return unavailable("camera " + named + " opened but delivered no frame");
  return r;
}

Status CameraReader::next(const ReaderEnv&, cv::Mat& image, int64_t& pts_us) {
  if (!first_.empty()) {
    image = std::move(first_);
    first_ = cv::Mat();
  } else if (!cap_.read(image) || image.empty()) {
    image = cv::Mat();
    return unavailable("camera " + quoted(path_) + " stopped delivering frames (unplugged?)");
  }
  pts_us = clock_.pts_us();
  return ok();
}

}  // namespace sluice::sources
