// Emits every frame of a video file (mp4, avi, mkv, ... through OpenCV's FFMPEG backend)
// in order, as BGR frames with the file's timestamps.
//
//   [nodes.video]
//   plugin = "video_source"
//   path = "media/vtest.avi"
//   loop = false        # start again at the end
//   realtime = false    # true: release frames at the file's frame rate, like a camera
//   on_error = "skip"   # optional: a truncated/corrupt file ends its stream with the
//                       # error counted instead of failing the run
#pragma once

#include <cstdint>
#include <memory>

#include "video_file_reader.h"

namespace sluice::sources {

class VideoSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "video_source", NodeKind::kSource,
      "Every frame of a video file (FFMPEG: mp4, avi, mkv, ...) in order, with its pts."};
  static constexpr Output<Frame> kOut{"out", "BGR frames; pts from the file, in microseconds"};
  static inline const Param<std::string> kPath{
      .name = "path", .description = "the video file", .required = true, .is_path = true};
  static inline const Param<bool> kLoop{
      .name = "loop",
      .default_value = false,
      .description = "start again at the end; seq and pts keep increasing"};
  static inline const Param<bool> kRealtime{
      .name = "realtime",
      .default_value = false,
      .description = "release frames at the file's frame rate, like a live source"};
  SLUICE_CONTRACT(kInfo, kOut, kPath, kLoop, kRealtime);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  int64_t expected_frames() const override { return reader_->expected_frames(); }

 private:
  std::unique_ptr<VideoFileReader> reader_;
  int64_t seq_ = 0;  // continues across loops
};

}  // namespace sluice::sources
