#include "video_writer.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgproc.hpp>

namespace sluice::sinks {
namespace {

namespace fs = std::filesystem;

std::string fps_text(double fps) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", fps);
  return buffer;
}

// Whether this OpenCV/FFmpeg build can encode `fourcc` into a file with extension `ext`:
// a tiny video written to the temporary folder. Checked at open, so a missing encoder
// fails before any packet flows rather than at the first frame.
bool codec_works(int fourcc, const std::string& ext) {
  static std::atomic<int> counter{0};
  std::error_code ec;
  fs::path folder = fs::temp_directory_path(ec);
  if (ec) folder = "/tmp";
  const fs::path probe = folder / ("sluice-codec-probe-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(counter.fetch_add(1)) + ext);
  bool works = false;
  {
    cv::VideoWriter w(probe.string(), cv::CAP_FFMPEG, fourcc, 25, cv::Size(64, 48));
    works = w.isOpened();
    if (works) w.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(0)));
  }
  fs::remove(probe, ec);
  return works;
}

// Frames held to learn a stream's rate from its pts (fps = 0).
constexpr std::size_t kRateFrames = 8;

// The rate of frames at `pts` (microseconds): from the median step between them, so that a
// burst (a live stream's first frames arriving at once) or a gap does not set it; 25 when
// they do not advance (sources without timing). Above 60 a whole number, else to 1/100:
// the MPEG-4 encoder refuses a time base finer than 1/65535.
double rate_of(std::vector<int64_t> pts) {
  std::vector<int64_t> steps;
  for (std::size_t i = 1; i < pts.size(); ++i) steps.push_back(pts[i] - pts[i - 1]);
  if (steps.empty()) return 25.0;
  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  const int64_t step = steps[steps.size() / 2];
  if (step <= 0) return 25.0;
  const double fps = std::clamp(1e6 / static_cast<double>(step), 0.1, 1000.0);
  return fps > 60 ? std::round(fps) : std::round(fps * 100) / 100;
}

}  // namespace

Status VideoWriter::open(const Params& params) {
  path_ = params.get(kPath);
  codec_ = params.get(kCodec);
  fps_ = params.get(kFps);
  style_ = sinks::style_from(params);
  if (params.get(kTrail) > 0) trails_.emplace(params.get(kTrail));
  const std::vector<int> size = params.get(kSize);
  if (!size.empty() && size.size() != 2)
    return invalid_argument("size must be [width, height], not " + std::to_string(size.size()) +
                            " numbers");
  if (size.size() == 2) size_ = cv::Size(size[0], size[1]);
  per_stream_ = path_.find("{stream}") != std::string::npos;

  const std::string ext = fs::path(path_).extension().string();
  if (ext.empty())
    return invalid_argument("'" + path_ +
                            "' has no extension; it picks the container: .mp4, .avi, .mkv");
  SLUICE_RETURN_IF_ERROR(prepare_parent_of(path_));
  fourcc_ = cv::VideoWriter::fourcc(codec_[0], codec_[1], codec_[2], codec_[3]);
  if (!codec_works(fourcc_, ext))
    return unavailable("codec '" + codec_ + "' cannot write " + ext +
                       " files with this OpenCV/FFmpeg (for " + path_ +
                       "); try codec = \"mp4v\" or another container");
  return ok();
}

Status VideoWriter::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  if (h.sub_index >= 0)
    return invalid_argument("got part " + std::to_string(h.sub_index + 1) + "/" +
                            std::to_string(h.sub_count) +
                            " of a frame; a video takes whole frames (connect packets from "
                            "before the split)");
  if (!per_stream_) SLUICE_RETURN_IF_ERROR(one_stream_.check(h.stream_id, "path", path_));
  Affine2D to_image;
  SLUICE_ASSIGN_OR_RETURN(cv::Mat image, sinks::render(ctx, style_, &to_image));
  if (const auto* d = ctx.get_if(sinks::kDetections); d && trails_) {
    trails_->update(h.stream_id, h.seq, *d);
    trails_->draw(image, h.stream_id, to_image, style_);
  }

  Output& out = outputs_[h.stream_id];
  if (out.path.empty())
    out.path = per_stream_ ? replace_all(path_, "{stream}", std::to_string(h.stream_id)) : path_;
  if (!out.writer.isOpened()) {
    if (fps_ > 0) {
      SLUICE_RETURN_IF_ERROR(start(out, image.size(), fps_));
    } else if (out.pending.size() + 1 < kRateFrames) {
      out.pending.push_back(std::move(image));
      out.pending_pts.push_back(h.pts_us);
      return ok();
    } else {
      out.pending_pts.push_back(h.pts_us);
      SLUICE_RETURN_IF_ERROR(start(out, out.pending[0].size(), rate_of(out.pending_pts)));
    }
  }
  write(out, image);
  return ok();
}

Status VideoWriter::start(Output& out, cv::Size first_frame, double fps) {
  if (per_stream_) SLUICE_RETURN_IF_ERROR(prepare_parent_of(out.path));
  out.size = size_.empty() ? first_frame : size_;
  if (!out.writer.open(out.path, cv::CAP_FFMPEG, fourcc_, fps, out.size, true))
    return internal_error("cannot open '" + out.path + "' for writing (codec '" + codec_ + "', " +
                          std::to_string(out.size.width) + "x" + std::to_string(out.size.height) +
                          ", " + fps_text(fps) + " fps)");
  for (const cv::Mat& held : out.pending) write(out, held);
  out.pending.clear();
  out.pending_pts.clear();
  return ok();
}

void VideoWriter::write(Output& out, const cv::Mat& image) {
  if (image.size() == out.size) {
    out.writer.write(image);
    return;
  }
  cv::Mat resized;
  const bool shrink = image.cols > out.size.width || image.rows > out.size.height;
  cv::resize(image, resized, out.size, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  out.writer.write(resized);
}

Status VideoWriter::finish(Output& out) {
  Status s;
  // A stream that ended before the rate was known: the rate of what arrived (25 for one
  // frame).
  if (!out.writer.isOpened() && !out.pending.empty())
    s = start(out, out.pending[0].size(), fps_ > 0 ? fps_ : rate_of(out.pending_pts));
  // Releasing writes the container's index: without it an .mp4 does not play.
  out.writer.release();
  return s;
}

Status VideoWriter::stream_ended(Context&, const StreamEnd& end) {
  if (trails_) trails_->end_stream(end.stream_id);
  auto it = outputs_.find(end.stream_id);
  if (it == outputs_.end()) return ok();
  Status s = finish(it->second);
  outputs_.erase(it);
  return s;
}

Status VideoWriter::close(Context&) {
  Status first_error;
  for (auto& [stream, out] : outputs_) {
    Status s = finish(out);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  outputs_.clear();
  return first_error;
}

}  // namespace sluice::sinks

SLUICE_EXPORT_NODES(sluice::sinks::VideoWriter)
