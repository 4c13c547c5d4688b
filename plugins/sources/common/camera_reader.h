// The frames of a V4L2 camera (a USB webcam, a capture card), BGR, timed by arrival.
// Read by camera_source and by uri_source's camera streams (/dev/videoN).
#pragma once

#include <memory>
#include <opencv2/videoio.hpp>
#include <string>

#include "frame_reader.h"

namespace sluice::sources {

struct CameraOptions {
  std::string device = "0";   // an index ("0" is /dev/video0) or a device path
  int width = 0, height = 0;  // 0: the camera's default
  double fps = 0;
  std::string fourcc = "";  // 4 letters ("MJPG"); empty: the default
};

// The device file a `device` names: "2" -> "/dev/video2", a path unchanged.
std::string camera_device_path(const std::string& device);

class CameraReader final : public FrameReader {
 public:
  // Checks the device (exists, is a video device, may be opened), opens it with the
  // format asked for and reads a first frame: the error says what is wrong.
  static Result<std::unique_ptr<CameraReader>> open(const CameraOptions& options);

  Status next(const ReaderEnv& env, cv::Mat& image, int64_t& pts_us) override;

 private:
  CameraReader() = default;
  std::string path_;
  cv::VideoCapture cap_;
  cv::Mat first_;  // read in open, to prove the camera delivers
  LiveClock clock_;
};

}  // namespace sluice::sources
