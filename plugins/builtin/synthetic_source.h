// Emits test frames: a flat picture whose grey level encodes stream and seq, as fast as
// possible or paced at `fps`, for one or more streams (interleaved).
//
//   [nodes.src]
//   plugin = "synthetic_source"
//   frames = 300        # per stream; 0 = until stopped
//   width = 640
//   height = 480
//   fps = 30            # 0 = as fast as possible
//   streams = 2
#pragma once

#include <chrono>
#include <thread>

#include "sluice/sluice.h"

namespace sluice::builtin {

class SyntheticSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "synthetic_source", NodeKind::kSource,
      "Test frames (grey level from stream and seq), paced or as fast as possible."};
  static constexpr Output<Frame> kOut{"out", "BGR frames"};
  static inline const Param<int64_t> kFrames{.name = "frames",
                                             .default_value = 100,
                                             .description = "frames per stream; 0 = until stopped",
                                             .min = 0};
  static inline const Param<int> kWidth{.name = "width",
                                        .default_value = 64,
                                        .description = "frame width in pixels (0: empty frames)",
                                        .min = 0,
                                        .max = 16384};
  static inline const Param<int> kHeight{.name = "height",
                                         .default_value = 48,
                                         .description = "frame height in pixels (0: empty frames)",
                                         .min = 0,
                                         .max = 16384};
  static inline const Param<double> kFps{
      .name = "fps",
      .default_value = 0.0,
      .description = "frames per second per stream; 0 = as fast as possible",
      .min = 0.0,
      .max = 1e6};
  static inline const Param<int> kStreams{.name = "streams",
                                          .default_value = 1,
                                          .description = "number of streams, interleaved",
                                          .min = 1,
                                          .max = 4096};
  SLUICE_CONTRACT(kInfo, kOut, kFrames, kWidth, kHeight, kFps, kStreams);

  Status open(const Params& p) override {
    frames_ = p.get(kFrames);
    width_ = p.get(kWidth);
    height_ = p.get(kHeight);
    fps_ = p.get(kFps);
    streams_ = p.get(kStreams);
    return ok();
  }
  int streams() const override { return streams_; }
  int64_t expected_frames() const override { return frames_ > 0 ? frames_ * streams_ : -1; }

  Status process(Context& ctx) override {
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

 private:
  // Sleeps until frame `seq` is due, in short steps so a stop is seen; false if stopped.
  bool wait_for(int64_t seq, Context& ctx) {
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

  int64_t frames_ = 100;
  int width_ = 64, height_ = 48, streams_ = 1;
  double fps_ = 0;
  int64_t emitted_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sluice::builtin
