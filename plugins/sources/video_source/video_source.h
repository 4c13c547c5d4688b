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
#include <opencv2/videoio.hpp>
#include <optional>
#include <string>

#include "source_util.h"

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
  int64_t expected_frames() const override { return loop_ ? -1 : declared_frames_; }

 private:
  Status open_capture();
  // Reads the next frame and its pts (microseconds, the decoder's made to increase).
  bool read_frame(cv::Mat& image, int64_t& pts_us);
  // After read() failed: an error when the pass stopped short of the declared frame
  // count (the first time), else ends the stream or, with loop, rewinds; ok when rewound.
  Status end_pass(Context& ctx);
  // realtime: waits until frame `pts_us` is due; false when the run is stopping.
  bool pace(const Context& ctx, int64_t pts_us);

  std::string path_;
  bool loop_ = false, realtime_ = false;
  cv::VideoCapture cap_;
  int64_t declared_frames_ = -1;  // frames the container declares, -1 when unknown
  int64_t frame_us_ = 0;          // one frame interval at the declared rate, 0 if unknown

  cv::Mat first_;  // the first frame, read in open to prove that the file decodes
  int64_t first_pts_ = 0;
  int64_t file_first_raw_us_ = 0;  // the decoder's pts of the file's first frame
  int64_t seq_ = 0;                // next seq; continues across loops
  int64_t pass_frames_ = 0;        // frames decoded in this pass over the file
  int64_t pass_start_pts_ = 0;     // pts of this pass's first frame
  std::optional<int64_t> last_pts_;
  int64_t pts_offset_ = 0;  // added to the decoder's pts so that looping keeps pts increasing
  bool failed_ = false;     // the last read failed short of the declared count (reported)
  bool done_ = false;

  std::optional<Clock::time_point> anchor_;  // realtime: when frame anchor_pts_ was due
  int64_t anchor_pts_ = 0;
};

}  // namespace sluice::sources
