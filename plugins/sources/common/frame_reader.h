// FrameReader: one stream's frames, read on whichever thread drives it: a source node's
// process() (video_source, stream_source, camera_source), or a reader thread of its own
// (uri_source, one per stream). Opening is each reader's factory; reading is next().
#pragma once

#include <cstdint>
#include <functional>
#include <opencv2/core.hpp>
#include <string>

#include "source_util.h"

namespace sluice::sources {

// What a reader needs from whoever drives it: whether to stop waiting (a stop request, a
// removed stream), and where to count what happens ("reconnects", "drops", ...).
struct ReaderEnv {
  std::function<bool()> stopping = [] { return false; };
  std::function<void(const std::string&, int64_t)> count = [](const std::string&, int64_t) {};
};

// The env of a source node's own call: its stop request and its counters.
ReaderEnv env_of(Context& ctx);

class FrameReader {
 public:
  virtual ~FrameReader() = default;
  // The next frame, BGR, with its pts in microseconds. ok with `image` empty: no frame
  // this time (a stream reconnecting, or a stop seen while waiting): call again.
  // end_of_stream() at the end. Another error: the stream failed; a file reader may read
  // on after damage when called again (video_source with on_error = "skip").
  virtual Status next(const ReaderEnv& env, cv::Mat& image, int64_t& pts_us) = 0;
  // Frames it will give in all, or -1 when unknown (live, looping).
  virtual int64_t expected_frames() const { return -1; }
  // False while a network stream is down and being reconnected.
  virtual bool connected() const { return true; }
  // Why it last dropped or failed to reconnect; empty when nothing went wrong.
  virtual std::string last_problem() const { return {}; }
};

// Sleeps until `deadline` in short steps, so that env.stopping() is seen within ~20 ms.
// False when stopping.
bool sleep_until(const ReaderEnv& env, Clock::time_point deadline);

}  // namespace sluice::sources
