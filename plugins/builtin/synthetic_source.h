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

  Status open(const Params& p) override;
  int streams() const override { return streams_; }
  int64_t expected_frames() const override { return frames_ > 0 ? frames_ * streams_ : -1; }

  Status process(Context& ctx) override;

 private:
  // Sleeps until frame `seq` is due, in short steps so a stop is seen; false if stopped.
  bool wait_for(int64_t seq, Context& ctx);

  int64_t frames_ = 100;
  int width_ = 64, height_ = 48, streams_ = 1;
  double fps_ = 0;
  int64_t emitted_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sluice::builtin
