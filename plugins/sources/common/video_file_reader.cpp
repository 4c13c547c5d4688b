#include "video_file_reader.h"

#include <algorithm>
#include <cmath>

namespace sluice::sources {

namespace {
// MPEG-TS reports its 90 kHz clock as the frame rate (and a frame count derived from
// it): a rate above this is not a frame rate.
constexpr double kMaxPlausibleFps = 1000;
// realtime: when held up downstream (a blocking queue) for longer than this, carry on
// from now instead of bursting to catch up; a camera would not have waited either.
constexpr auto kMaxLag = std::chrono::milliseconds(200);
}  // namespace

Result<std::unique_ptr<VideoFileReader>> VideoFileReader::open(const VideoFileOptions& options) {
  std::unique_ptr<VideoFileReader> r(new VideoFileReader(options));
  SLUICE_RETURN_IF_ERROR(check_readable_file(options.path));
  SLUICE_RETURN_IF_ERROR(r->open_capture());
  const double fps = r->cap_.get(cv::CAP_PROP_FPS);
  const double count = r->cap_.get(cv::CAP_PROP_FRAME_COUNT);
  if (fps > 0 && fps <= kMaxPlausibleFps) {
    r->frame_us_ = std::llround(1e6 / fps);
    // OpenCV takes the count from the container, or estimates it from duration * fps
    // (mkv, webm): end_pass allows for an estimate being one frame off.
    if (count >= 1 && count < 1e9) r->declared_frames_ = std::llround(count);
  }
  if (!r->read_frame(r->first_, r->first_pts_))
    return invalid_argument(quoted(options.path) +
                            ": no frame decodes (a corrupt video, or not a video at all)");
  r->file_first_raw_us_ = r->first_pts_;
  return r;
}

Status VideoFileReader::open_capture() {
  bool opened = false;
  try {
    opened = cap_.open(options_.path, cv::CAP_FFMPEG) && cap_.isOpened();
  } catch (const cv::Exception& e) {
    return invalid_argument("cannot open " + quoted(options_.path) + " as a video: " + e.what());
  }
  if (!opened)
    return invalid_argument("cannot open " + quoted(options_.path) +
                            " as a video: not a video, or a format FFMPEG cannot read");
  return ok();
}

bool VideoFileReader::read_frame(cv::Mat& image, int64_t& pts_us) {
  if (!cap_.read(image) || image.empty()) return false;
  int64_t pts = std::llround(cap_.get(cv::CAP_PROP_POS_MSEC) * 1000) + pts_offset_;
  // A frame without a timestamp reads as 0 (Megamind.avi's last frame is one): it gets
  // the slot after its predecessor, so pts always increases.
  if (last_pts_ && pts <= *last_pts_) pts = *last_pts_ + std::max<int64_t>(frame_us_, 1);
  last_pts_ = pts;
  if (pass_frames_ == 0) pass_start_pts_ = pts;
  ++pass_frames_;
  failed_ = false;
  pts_us = pts;
  return true;
}

Status VideoFileReader::end_pass(const ReaderEnv& env) {
  // OpenCV's read() says false both at the end of the file and when decoding gives up
  // (it has already retried hundreds of packets by then). With a declared count the two
  // differ: a pass that ends two or more frames short, in count and in time, is a
  // truncated or corrupt file. One frame of slack, and the time check, keep a count
  // estimated from the duration (mkv, variable frame rate) from raising false alarms.
  const bool short_pass = declared_frames_ > 0 && pass_frames_ + 1 < declared_frames_ &&
                          (frame_us_ == 0 || (*last_pts_ - pass_start_pts_) + frame_us_ * 3 / 2 <
                                                 (declared_frames_ - 1) * frame_us_);
  if (short_pass && !failed_) {
    // Reported once; called again (on_error = "skip"), it reads once more, in case the
    // decoder can resume after the damage, and ends the pass if it cannot.
    failed_ = true;
    return internal_error(quoted(options_.path) + ": decoding stopped at frame " +
                          std::to_string(pass_frames_) + " of " + std::to_string(declared_frames_) +
                          ": the file is truncated or corrupt");
  }
  if (short_pass) env.count("missing_frames", declared_frames_ - pass_frames_);
  failed_ = false;
  if (!options_.loop || pass_frames_ == 0) {  // a pass without a frame would rewind forever
    done_ = true;
    return end_of_stream();
  }
  Status reopened = open_capture();
  if (!reopened.ok()) {
    done_ = true;
    return reopened;
  }
  pts_offset_ = *last_pts_ + std::max<int64_t>(frame_us_, 1) - file_first_raw_us_;
  pass_frames_ = 0;
  return ok();
}

Status VideoFileReader::next(const ReaderEnv& env, cv::Mat& image, int64_t& pts_us) {
  if (done_) return end_of_stream();
  int64_t pts = 0;
  if (!first_.empty()) {
    image = std::move(first_);
    first_ = cv::Mat();
    pts = first_pts_;
  } else if (!read_frame(image, pts)) {
    SLUICE_RETURN_IF_ERROR(end_pass(env));
    if (!read_frame(image, pts)) {
      done_ = true;
      return internal_error(quoted(options_.path) +
                            ": no frame decodes after rewinding to the start");
    }
  }
  if (options_.realtime && !pace(env, pts)) {
    image = cv::Mat();
    return end_of_stream();
  }
  pts_us = pts;
  return ok();
}

bool VideoFileReader::pace(const ReaderEnv& env, int64_t pts_us) {
  const auto now = Clock::now();
  const auto due = anchor_ ? *anchor_ + std::chrono::microseconds(pts_us - anchor_pts_) : now;
  if (!anchor_ || now - due > kMaxLag) {
    anchor_ = now;
    anchor_pts_ = pts_us;
    return true;
  }
  return sleep_until(env, due);
}

}  // namespace sluice::sources
