#include "network_stream_reader.h"

#include <algorithm>
#include <vector>

namespace sluice::sources {

NetworkStreamReader::NetworkStreamReader(NetworkStreamOptions options)
    : options_(std::move(options)), url_text_(quoted(redact_url(options_.url))) {
  options_.reconnect_max_ms = std::max(options_.reconnect_max_ms, options_.reconnect_initial_ms);
  backoff_ms_ = options_.reconnect_initial_ms;
}

Result<std::unique_ptr<NetworkStreamReader>> NetworkStreamReader::open(
    const NetworkStreamOptions& options) {
  std::unique_ptr<NetworkStreamReader> r(new NetworkStreamReader(options));
  if (options.url.empty()) return invalid_argument("url is empty");
  Status s = r->connect();
  if (!s.ok()) return Status(s.code(), "cannot open stream " + r->url_text_ + ": " + s.message());
  r->connected_ = true;
  return r;
}

Status NetworkStreamReader::connect() {
  const auto t0 = Clock::now();
  bool opened = false;
  try {
    if (options_.gstreamer) {
      // OpenCV passes no timeouts to GStreamer: the pipeline's own elements have them
      // (rtspsrc timeout=..., tcp-timeout=...).
      opened = cap_.open(options_.url, cv::CAP_GSTREAMER);
    } else {
      // Without these, FFMPEG waits forever on a server that accepts and never sends.
      const std::vector<int> params{cv::CAP_PROP_OPEN_TIMEOUT_MSEC, options_.open_timeout_ms,
                                    cv::CAP_PROP_READ_TIMEOUT_MSEC, options_.read_timeout_ms};
      opened = cap_.open(options_.url, cv::CAP_FFMPEG, params);
    }
    opened = opened && cap_.isOpened();
  } catch (const cv::Exception& e) {
    cap_.release();
    return unavailable(e.what());
  }
  if (opened) {
    framed_since_connect_ = false;
    return ok();
  }
  cap_.release();
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  if (options_.gstreamer)
    return unavailable("the GStreamer pipeline does not start (try it with gst-launch-1.0)");
  if (waited.count() >= options_.open_timeout_ms * 9 / 10)
    return unavailable("no answer within " + std::to_string(options_.open_timeout_ms) +
                       " ms (open_timeout_ms)");
  return unavailable("connection refused, no such stream, or a format FFMPEG cannot read");
}

Status NetworkStreamReader::next(const ReaderEnv& env, cv::Mat& image, int64_t& pts_us) {
  image = cv::Mat();
  if (done_) return end_of_stream();
  if (!connected_) return reconnect(env);
  bool got = false;
  try {
    got = cap_.read(image) && !image.empty();
  } catch (const cv::Exception&) {
    got = false;  // a decoder failure on a live stream is a drop like any other
  }
  if (got) {
    if (reconnecting_) env.count("reconnects", 1);
    reconnecting_ = false;
    framed_since_connect_ = true;
    failed_attempts_ = 0;
    backoff_ms_ = options_.reconnect_initial_ms;
    pts_us = clock_.pts_us();
    return ok();
  }
  image = cv::Mat();
  // Dropped: the connection closed, or no frame came within read_timeout_ms.
  cap_.release();
  connected_ = false;
  const std::string dropped = "it dropped (connection closed, or no frame within " +
                              std::to_string(options_.read_timeout_ms) + " ms)";
  if (options_.max_reconnects == 0) {
    env.count("drops", 1);
    return give_up(dropped + " and max_reconnects = 0");
  }
  if (framed_since_connect_ || !reconnecting_) {
    env.count("drops", 1);
    last_problem_ = dropped;
    reconnecting_ = true;
    next_attempt_ = Clock::now() + std::chrono::milliseconds(backoff_ms_);
    return ok();
  }
  // A connection that opens and drops before its first frame is a failed attempt, or a
  // server that accepts and hangs up would be retried forever without backoff.
  return attempt_failed(env, "the stream opened but dropped before its first frame");
}

Status NetworkStreamReader::reconnect(const ReaderEnv& env) {
  // Waits in short steps so that a stop is seen; the attempt itself is bounded by
  // open_timeout_ms. One attempt per call, so the caller sees a stop between attempts.
  if (!sleep_until(env, next_attempt_)) return ok();
  Status s = connect();
  if (s.ok()) {
    connected_ = true;
    return ok();
  }
  return attempt_failed(env, s.message());
}

Status NetworkStreamReader::attempt_failed(const ReaderEnv& env, const std::string& why) {
  ++failed_attempts_;
  last_problem_ = why;
  env.count("reconnect_failures", 1);
  if (options_.max_reconnects > 0 && failed_attempts_ >= options_.max_reconnects)
    return give_up(std::to_string(failed_attempts_) + " reconnect attempt" +
                   (failed_attempts_ == 1 ? "" : "s") + " failed; the last: " + why);
  backoff_ms_ = std::min(std::max(backoff_ms_, 1) * 2, options_.reconnect_max_ms);
  next_attempt_ = Clock::now() + std::chrono::milliseconds(backoff_ms_);
  return ok();
}

Status NetworkStreamReader::give_up(const std::string& why) {
  done_ = true;
  last_problem_ = why;
  if (options_.end_on_give_up) return end_of_stream();
  return unavailable("stream " + url_text_ + " lost: " + why);
}

}  // namespace sluice::sources
