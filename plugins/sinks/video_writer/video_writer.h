// Writes an annotated video: each input set's picture (the `frame` input, else the source
// frame) with its boxes, labels, scores, track ids, second-stage classes, landmarks, top
// class and mask drawn on it, through OpenCV's FFMPEG backend.
//
//   [nodes.out]
//   plugin = "video_writer"
//   path = "out/annotated_{stream}.mp4"   # {stream}: one file per stream
//   codec = "mp4v"                        # MJPG, XVID, avc1 (H.264), FFV1 (lossless, .avi/.mkv)
//   fps = 0                               # 0: from the pts of each stream's first two frames
//   size = [1280, 720]                    # default: the first frame's size
//   mask_alpha = 0.5
//
// Several streams: with "{stream}" in `path` each stream gets its own file; without it the
// node writes the first stream it sees and fails, naming itself, when another arrives
// (frames of several streams in one file would make no video anyone wants).
// fps = 0: each stream's rate comes from the pts of its first frames: the median step
// between its first 8 (held until they have arrived; fewer when the stream ends first), so
// that a live stream's burst on connecting does not set the rate; 25 when the pts do not
// advance. Rates above 60 are rounded to whole frames a second, others to 1/100 (the MPEG-4
// encoder refuses finer time bases). Frames whose
// size differs from the video's are resized to it. A stream's file is finished when that
// stream ends (its container index written: it plays, and ffprobe reads it, while the run
// goes on with the other streams); close() finishes any still open, so after the end of the
// sources, and after Ctrl-C (which drains what is in flight), every file holds every frame
// received and plays.
#pragma once

#include <cstdint>
#include <map>
#include <opencv2/videoio.hpp>
#include <optional>
#include <string>
#include <vector>

#include "annotate.h"
#include "output_files.h"
#include "sluice/sluice.h"
#include "track_trails.h"

namespace sluice::sinks {

class VideoWriter final : public Node {
 public:
  static constexpr NodeInfo kInfo{"video_writer", NodeKind::kSink,
                                  "Writes an annotated video (boxes, labels, landmarks, track ids "
                                  "and trails, class, mask, lines and zones)."};
  static inline const Param<std::string> kPath{
      .name = "path",
      .default_value = "",
      .description =
          "video file; the extension picks the container (.mp4, .avi, .mkv); "
          "{stream} in it: one file per stream",
      .required = true,
      .is_path = true};
  static inline const Param<std::string> kCodec{
      .name = "codec",
      .default_value = "mp4v",
      .description = "encoder FourCC: mp4v (MPEG-4), MJPG, XVID, avc1 (H.264), FFV1 (lossless)",
      .choices = {"mp4v", "MJPG", "XVID", "avc1", "FFV1"}};
  static inline const Param<double> kFps{
      .name = "fps",
      .default_value = 0.0,
      .description =
          "frame rate of the file; 0: from the pts of each stream's first frames "
          "(25 when they do not advance)",
      .min = 0.0,
      .max = 1000.0};
  static inline const Param<std::vector<int>> kSize{
      .name = "size",
      .default_value = {},
      .description =
          "[width, height] of the video; empty: the first frame's size (other "
          "sizes are resized to it)",
      .min = 1,
      .max = 16384};
  static inline const Param<int> kTrail{
      .name = "trail",
      .default_value = 20,
      .description = "frames of each tracked object's path drawn behind it; 0: none",
      .min = 0,
      .max = 1000};
  SLUICE_CONTRACT(kInfo, sinks::kFrame, sinks::kDetections, sinks::kClassifications, sinks::kMask,
                  sinks::kEvents, kPath, kCodec, kFps, kSize, kTrail, sinks::kMaskAlpha,
                  sinks::kThickness, sinks::kFontScale, sinks::kLabels);

  Status open(const Params& params) override;
  Status process(Context& ctx) override;
  Status close(Context& ctx) override;
  Status stream_ended(Context& ctx, const StreamEnd& end) override;

 private:
  struct Output {
    std::string path;
    cv::VideoWriter writer;
    cv::Size size;
    // fps from pts: the first frames, held until they give the rate (rate_frames_of)
    std::vector<cv::Mat> pending;
    std::vector<int64_t> pending_pts;
  };
  Status start(Output& out, cv::Size first_frame, double fps);
  void write(Output& out, const cv::Mat& image);
  Status finish(Output& out);

  std::string path_;
  std::string codec_;
  int fourcc_ = 0;
  double fps_ = 0;
  cv::Size size_;                      // empty: from the first frame
  std::optional<TrackTrails> trails_;  // with trail > 0
  bool per_stream_ = false;
  sinks::Style style_;
  OneStream one_stream_;
  std::map<uint32_t, Output> outputs_;
};

}  // namespace sluice::sinks
