// Shows each input set's annotated picture (boxes, labels, landmarks, track ids, class,
// mask drawn on the `frame` input, else on the source frame) in an OpenCV window.
//
//   [nodes.show]
//   plugin = "display"
//   title = "cameras: {stream}"   # {stream}: a window per stream
//   optional = true               # without a display: count frames, show nothing
//
// Whether a display answers is checked at open: no DISPLAY (nor WAYLAND_DISPLAY), or an X
// server that does not answer, is an error naming the node, or with `optional = true` makes
// the node a no-op that counts the frames it did not show (counter "not_shown"). OpenCV's
// Qt windows also run headless with QT_QPA_PLATFORM=offscreen.
// Several streams: with "{stream}" in `title` each stream gets its own window; without it
// the node shows the first stream it sees and fails, naming itself, when another arrives.
// A window the user closes stays closed for the rest of the run (its frames count as
// "not_shown"); Ctrl-C stops the run. OpenCV drives all windows of a process from one
// thread, so a pipeline has at most one display node (that shows windows): send every
// stream to it.
#pragma once

#include <set>
#include <string>

#include "annotate.h"
#include "output_files.h"
#include "sluice/sluice.h"

namespace sluice::sinks {

class Display final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "display", NodeKind::kSink,
      "Shows annotated frames in a window (OpenCV); optional: a no-op without a display."};
  static inline const Param<std::string> kTitle{
      .name = "title",
      .default_value = "sluice: stream {stream}",
      .description = "window title; {stream} in it: a window per stream"};
  static inline const Param<bool> kOptional{
      .name = "optional",
      .default_value = false,
      .description = "without a display, count frames instead of failing at open"};
  static inline const Param<int> kWaitMs{
      .name = "wait_ms",
      .default_value = 1,
      .description = "milliseconds the windows handle events after each frame (cv::waitKey)",
      .min = 1,
      .max = 1000};
  SLUICE_CONTRACT(kInfo, sinks::kFrame, sinks::kDetections, sinks::kClassifications, sinks::kMask,
                  sinks::kEvents, kTitle, kOptional, kWaitMs, sinks::kMaskAlpha, sinks::kThickness,
                  sinks::kFontScale, sinks::kLabels);

  Display() = default;
  Display(const Display&) = delete;
  Display& operator=(const Display&) = delete;
  ~Display() override;

  Status open(const Params& params) override;
  Status process(Context& ctx) override;
  Status close(Context& ctx) override;

 private:
  void release_windows();

  std::string title_;
  bool optional_ = false;
  int wait_ms_ = 1;
  sinks::Style style_;
  bool headless_ = false;  // optional and no display: count, show nothing
  bool owns_window_system_ = false;
  OneStream one_stream_;
  std::set<std::string> windows_;  // created
  std::set<std::string> closed_;   // closed by the user
};

}  // namespace sluice::sinks
