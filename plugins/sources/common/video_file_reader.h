// The frames of a video file (mp4, avi, mkv, ... through OpenCV's FFMPEG backend) in
// order, with the file's timestamps made to increase; optionally looping, optionally at
// the file's frame rate. Read by video_source and by uri_source's file streams.
#pragma once

#include <memory>
#include <opencv2/videoio.hpp>
#include <optional>
#include <string>

#include "frame_reader.h"

namespace sluice::sources {

struct VideoFileOptions {
  std::string path = "";
  bool loop = false;      // start again at the end; pts keep increasing
  bool realtime = false;  // release frames at the file's rate, like a live source
};

class VideoFileReader final : public FrameReader {
 public:
  // Opens the file and decodes its first frame: a file that opens but does not decode is
  // an error here, naming the file, rather than at the first read.
  static Result<std::unique_ptr<VideoFileReader>> open(const VideoFileOptions& options);

  Status next(const ReaderEnv& env, cv::Mat& image, int64_t& pts_us) override;
  int64_t expected_frames() const override { return options_.loop ? -1 : declared_frames_; }

 private:
  explicit VideoFileReader(VideoFileOptions options) : options_(std::move(options)) {}
  Status open_capture();
  // Reads the next frame and its pts (microseconds, the decoder's made to increase).
  bool read_frame(cv::Mat& image, int64_t& pts_us);
  // After read() failed: an error when the pass stopped short of the declared frame
  // count (the first time), else ends the stream or, with loop, rewinds; ok when rewound.
  Status end_pass(const ReaderEnv& env);
  // realtime: waits until frame `pts_us` is due; false when stopping.
  bool pace(const ReaderEnv& env, int64_t pts_us);

  VideoFileOptions options_;
  cv::VideoCapture cap_;
  int64_t declared_frames_ = -1;  // frames the container declares, -1 when unknown
  int64_t frame_us_ = 0;          // one frame interval at the declared rate, 0 if unknown

  cv::Mat first_;  // the first frame, read in open to prove that the file decodes
  int64_t first_pts_ = 0;
  int64_t file_first_raw_us_ = 0;  // the decoder's pts of the file's first frame
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
