#include "stream_source.h"

#include <algorithm>
#include <vector>

namespace sluice::sources {

Status StreamSource::open(const Params& p) {
  url_ = p.get(kUrl);
  url_text_ = quoted(redact_url(url_));
  gstreamer_ = p.get(kBackend) == "gstreamer";
  open_timeout_ms_ = p.get(kOpenTimeoutMs);
  read_timeout_ms_ = p.get(kReadTimeoutMs);
  backoff_initial_ms_ = p.get(kReconnectInitialMs);
  backoff_max_ms_ = std::max(p.get(kReconnectMaxMs), backoff_initial_ms_);
  backoff_ms_ = backoff_initial_ms_;
  max_reconnects_ = p.get(kMaxReconnects);
  end_on_give_up_ = p.get(kOnGiveUp) == "end";
  frames_ = p.get(kFrames);
  if (url_.empty()) return invalid_argument("url is empty");
  // The first connection must work: a wrong URL is a mistake to report before the run
  // starts, not a drop to retry.
  Status s = connect();
  if (!s.ok()) return Status(s.code(), "cannot open stream " + url_text_ + ": " + s.message());
  connected_ = true;
  return ok();
}

Status StreamSource::connect() {
  const auto t0 = Clock::now();
  bool opened = false;
  try {
    if (gstreamer_) {
      // OpenCV passes no timeouts to GStreamer: the pipeline's own elements have them
      // (rtspsrc timeout=..., tcp-timeout=...).
      opened = cap_.open(url_, cv::CAP_GSTREAMER);
    } else {
      // Without these, FFMPEG waits forever on a server that accepts and never sends.
      const std::vector<int> params{cv::CAP_PROP_OPEN_TIMEOUT_MSEC, open_timeout_ms_,
                                    cv::CAP_PROP_READ_TIMEOUT_MSEC, read_timeout_ms_};
      opened = cap_.open(url_, cv::CAP_FFMPEG, params);
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
  if (gstreamer_)
    return unavailable("the GStreamer pipeline does not start (try it with gst-launch-1.0)");
  if (waited.count() >= open_timeout_ms_ * 9 / 10)
    return unavailable("no answer within " + std::to_string(open_timeout_ms_) +
                       " ms (open_timeout_ms)");
  return unavailable("connection refused, no such stream, or a format FFMPEG cannot read");
}

Status StreamSource::process(Context& ctx) {
  if (done_ || (frames_ > 0 && seq_ >= frames_)) return end_of_stream();
  if (!connected_) return reconnect(ctx);
  cv::Mat image;
  bool got = false;
  try {
    got = cap_.read(image) && !image.empty();
  } catch (const cv::Exception&) {
    got = false;  // a decoder failure on a live stream is a drop like any other
  }
  if (got) {
    if (reconnecting_) ctx.add_to_counter("reconnects");
    reconnecting_ = false;
    framed_since_connect_ = true;
    failed_attempts_ = 0;
    backoff_ms_ = backoff_initial_ms_;
    ctx.send(kOut, Frame{std::move(image), PixelFormat::kBGR},
             ctx.source_header(0, seq_++, clock_.pts_us()));
    return ok();
  }
  // Dropped: the connection closed, or no frame came within read_timeout_ms.
  cap_.release();
  connected_ = false;
  if (max_reconnects_ == 0) {
    ctx.add_to_counter("drops");
    return give_up("it dropped (connection closed, or no frame within " +
                   std::to_string(read_timeout_ms_) + " ms) and max_reconnects = 0");
  }
  if (framed_since_connect_ || !reconnecting_) {
    ctx.add_to_counter("drops");
    reconnecting_ = true;
    next_attempt_ = Clock::now() + std::chrono::milliseconds(backoff_ms_);
    return ok();
  }
  // A connection that opens and drops before its first frame is a failed attempt, or a
  // server that accepts and hangs up would be retried forever without backoff.
  return attempt_failed(ctx, "the stream opened but dropped before its first frame");
}

Status StreamSource::reconnect(Context& ctx) {
  // Waits in short steps so that a stop is seen; the attempt itself is bounded by
  // open_timeout_ms. One attempt per call, so the runtime sees a stop between attempts.
  if (!sleep_until(ctx, next_attempt_)) return end_of_stream();
  Status s = connect();
  if (s.ok()) {
    connected_ = true;
    return ok();
  }
  return attempt_failed(ctx, s.message());
}

Status StreamSource::attempt_failed(Context& ctx, const std::string& why) {
  ++failed_attempts_;
  ctx.add_to_counter("reconnect_failures");
  if (max_reconnects_ > 0 && failed_attempts_ >= max_reconnects_)
    return give_up(std::to_string(failed_attempts_) + " reconnect attempt" +
                   (failed_attempts_ == 1 ? "" : "s") + " failed; the last: " + why);
  backoff_ms_ = std::min(std::max(backoff_ms_, 1) * 2, backoff_max_ms_);
  next_attempt_ = Clock::now() + std::chrono::milliseconds(backoff_ms_);
  return ok();
}

Status StreamSource::give_up(const std::string& why) {
  done_ = true;
  if (end_on_give_up_) return end_of_stream();
  return unavailable("stream " + url_text_ + " lost: " + why);
}

}  // namespace sluice::sources

SLUICE_EXPORT_NODES(sluice::sources::StreamSource)
