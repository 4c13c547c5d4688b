// Emits the frames of a V4L2 camera (a USB webcam, a capture card) as BGR frames.
//
//   [nodes.cam]
//   plugin = "camera_source"
//   device = "0"        # /dev/video0; or a path: "/dev/v4l/by-id/usb-...-video-index0"
//   width = 1280        # 0: the camera's default (it picks the nearest size it has)
//   height = 720
//   fps = 30
//   fourcc = "MJPG"     # USB cameras need MJPG for high resolutions at full rate
//   queue = { capacity = 2, overflow = "drop_oldest" }   # on the consumer: stay live
#pragma once

#include <cstdint>
#include <memory>

#include "camera_reader.h"

namespace sluice::sources {

class CameraSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{"camera_source", NodeKind::kSource,
                                  "Frames of a V4L2 camera, as BGR frames."};
  static constexpr Output<Frame> kOut{
      "out", "BGR frames; pts: microseconds since the first frame arrived"};
  static inline const Param<std::string> kDevice{
      .name = "device",
      .default_value = "0",
      .description = "V4L2 device: an index (\"0\" is /dev/video0) or a device path"};
  static inline const Param<int> kWidth{.name = "width",
                                        .default_value = 0,
                                        .description = "frame width to ask for; 0: the default",
                                        .min = 0,
                                        .max = 16384};
  static inline const Param<int> kHeight{.name = "height",
                                         .default_value = 0,
                                         .description = "frame height to ask for; 0: the default",
                                         .min = 0,
                                         .max = 16384};
  static inline const Param<double> kFps{.name = "fps",
                                         .default_value = 0.0,
                                         .description = "frame rate to ask for; 0: the default",
                                         .min = 0.0,
                                         .max = 1000.0};
  static inline const Param<std::string> kFourcc{
      .name = "fourcc",
      .default_value = "",
      .description = "pixel format to ask for, 4 letters (\"MJPG\", \"YUYV\"); empty: the default"};
  static inline const Param<int64_t> kFrames{
      .name = "frames",
      .default_value = 0,
      .description = "stop after this many frames; 0: until the run stops",
      .min = 0};
  SLUICE_CONTRACT(kInfo, kOut, kDevice, kWidth, kHeight, kFps, kFourcc, kFrames);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  int64_t expected_frames() const override { return frames_ > 0 ? frames_ : -1; }

 private:
  std::unique_ptr<CameraReader> reader_;
  int64_t frames_ = 0;
  int64_t seq_ = 0;
};

}  // namespace sluice::sources
