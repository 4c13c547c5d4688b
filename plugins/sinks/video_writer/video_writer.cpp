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

// The rate between two pts, or 25 when they do not advance (sources without timing).
double fps_between(int64_t first_us, int64_t second_us) {
  const int64_t step = second_us - first_us;
  if (step <= 0) return 25.0;
  return std::clamp(std::round(1e9 / static_cast<double>(step)) / 1000.0, 0.1, 1000.0);
}

}  // namespace

Status VideoWriter::open(const Params& params) {
  path_ = params.get(kPath);
  codec_ = params.get(kCodec);
  fps_ = params.get(kFps);
  style_ = sinks::style_from(params);
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
  SLUICE_ASSIGN_OR_RETURN(cv::Mat image, sinks::render(ctx, style_));

  Output& out = outputs_[h.stream_id];
  if (out.path.empty())
    out.path = per_stream_ ? replace_all(path_, "{stream}", std::to_string(h.stream_id)) : path_;
  if (!out.writer.isOpened()) {
    if (fps_ > 0) {
      SLUICE_RETURN_IF_ERROR(start(out, image.size(), fps_));
    } else if (out.pending.empty()) {
      out.pending = std::move(image);
      out.pending_pts = h.pts_us;
      return ok();
    } else {
      SLUICE_RETURN_IF_ERROR(
          start(out, out.pending.size(), fps_between(out.pending_pts, h.pts_us)));
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
  if (!out.pending.empty()) {
    write(out, out.pending);
    out.pending.release();
  }
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
  // A stream that ended after one frame, with fps from pts: no second pts, so 25.
  if (!out.writer.isOpened() && !out.pending.empty())
    s = start(out, out.pending.size(), fps_ > 0 ? fps_ : 25.0);
  // Releasing writes the container's index: without it an .mp4 does not play.
  out.writer.release();
  return s;
}

Status VideoWriter::stream_ended(Context&, const StreamEnd& end) {
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
