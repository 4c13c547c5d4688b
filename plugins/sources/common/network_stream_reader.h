// The frames of a network stream (rtsp, http, udp, tcp through FFMPEG, or a GStreamer
// pipeline), reconnecting with backoff when it drops. Read by stream_source and by
// uri_source's network streams.
#pragma once

#include <memory>
#include <opencv2/videoio.hpp>
#include <string>

#include "frame_reader.h"

namespace sluice::sources {

struct NetworkStreamOptions {
  std::string url = "";
  bool gstreamer = false;  // the url is a GStreamer pipeline ending in appsink
  int open_timeout_ms = 10000;
  int read_timeout_ms = 5000;
  int reconnect_initial_ms = 500;  // doubles after each failed attempt
  int reconnect_max_ms = 10000;
  int max_reconnects = 10;      // failed attempts in a row before giving up; 0: at the first
                                // drop; -1: never
  bool end_on_give_up = false;  // lost for good: end of stream instead of an error
};

class NetworkStreamReader final : public FrameReader {
 public:
  // The first connection must work: a wrong URL is a mistake to report before anything
  // runs, not a drop to retry.
  static Result<std::unique_ptr<NetworkStreamReader>> open(const NetworkStreamOptions& options);

  Status next(const ReaderEnv& env, cv::Mat& image, int64_t& pts_us) override;
  bool connected() const override { return connected_; }
  std::string last_problem() const override { return last_problem_; }

 private:
  explicit NetworkStreamReader(NetworkStreamOptions options);
  // One attempt to open the stream; the error's message says why it failed.
  Status connect();
  Status reconnect(const ReaderEnv& env);
  // A failed reconnect attempt (refused, or dropped before its first frame).
  Status attempt_failed(const ReaderEnv& env, const std::string& why);
  Status give_up(const std::string& why);

  NetworkStreamOptions options_;
  std::string url_text_;  // quoted, password hidden, for messages
  cv::VideoCapture cap_;
  bool connected_ = false;
  bool framed_since_connect_ = false;  // a frame came on this connection
  bool reconnecting_ = false;          // dropped; "reconnects" counts when frames resume
  int failed_attempts_ = 0;            // in a row, since the last frame
  int backoff_ms_ = 0;
  Clock::time_point next_attempt_;
  bool done_ = false;
  std::string last_problem_;
  LiveClock clock_;
};

}  // namespace sluice::sources
