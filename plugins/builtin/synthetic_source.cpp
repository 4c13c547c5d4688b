#include "synthetic_source.h"

namespace sluice::builtin {

Status SyntheticSource::open(const Params& p) {
  frames_ = p.get(kFrames);
  width_ = p.get(kWidth);
  height_ = p.get(kHeight);
  fps_ = p.get(kFps);
  streams_ = p.get(kStreams);
  return ok();
}

Status SyntheticSource::process(Context& ctx) {
  const int64_t seq = emitted_ / streams_;
  const auto stream = static_cast<uint32_t>(emitted_ % streams_);
  if (frames_ > 0 && seq >= frames_) return end_of_stream();
  if (fps_ > 0 && !wait_for(seq, ctx)) return end_of_stream();
  const auto pts_us = static_cast<int64_t>(fps_ > 0 ? static_cast<double>(seq) * 1e6 / fps_ : 0);
  Frame frame;
  if (width_ > 0 && height_ > 0)
    frame.image = cv::Mat(height_, width_, CV_8UC3,
                          cv::Scalar::all(static_cast<double>((seq * 7 + stream * 50) % 256)));
  ctx.send(kOut, std::move(frame), ctx.source_header(stream, seq, pts_us));
  ++emitted_;
  return ok();
}

bool SyntheticSource::wait_for(int64_t seq, Context& ctx) {
  using clock = std::chrono::steady_clock;
  if (seq == 0 && emitted_ == 0) start_ = clock::now();
  const auto due = start_ + std::chrono::duration_cast<clock::duration>(
                                std::chrono::duration<double>(static_cast<double>(seq) / fps_));
  while (clock::now() < due) {
    if (ctx.stop_requested()) return false;
    std::this_thread::sleep_until(std::min(due, clock::now() + std::chrono::milliseconds(20)));
  }
  return true;
}

}  // namespace sluice::builtin
