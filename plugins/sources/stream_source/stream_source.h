// Emits the frames of a network stream (rtsp, http, udp, tcp through FFMPEG, or a
// GStreamer pipeline), reconnecting with backoff when the stream drops.
//
//   [nodes.cam]
//   plugin = "stream_source"
//   url = "rtsp://user:pass@192.168.1.20:554/stream1"
//   open_timeout_ms = 10000       # a stream that never answers is an error, not a hang
//   read_timeout_ms = 5000        # a stream stuck this long counts as dropped
//   reconnect_initial_ms = 500    # wait before the first reconnect; doubles each failure
//   reconnect_max_ms = 10000
//   max_reconnects = 10           # failed attempts in a row before giving up; -1: never
//   on_give_up = "fail"           # or "end": end the stream, the run goes on
//   queue = { capacity = 2, overflow = "drop_oldest" }   # on the consumer: stay live
//
//   url = "udpsrc port=5000 ! application/x-rtp,encoding-name=H264 ! rtph264depay ! ..."
//   backend = "gstreamer"         # the url is a GStreamer pipeline ending in appsink
#pragma once

#include <cstdint>
#include <memory>

#include "network_params.h"
#include "network_stream_reader.h"

namespace sluice::sources {

class StreamSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "stream_source", NodeKind::kSource,
      "Frames of a network stream (rtsp/http/udp/tcp, or a GStreamer pipeline); reconnects."};
  static constexpr Output<Frame> kOut{
      "out", "BGR frames; pts: microseconds since the first frame arrived"};
  static inline const Param<std::string> kUrl{
      .name = "url",
      .description =
          "stream URL (rtsp://, http://, udp://, tcp://, ...), or with backend = "
          "\"gstreamer\" a pipeline ending in appsink",
      .required = true};
  static inline const Param<std::string> kBackend{
      .name = "backend",
      .default_value = "ffmpeg",
      .description = "OpenCV backend that reads the url",
      .choices = {"ffmpeg", "gstreamer"}};
  static inline const Param<int> kOpenTimeoutMs = network_params::kOpenTimeoutMs;
  static inline const Param<int> kReadTimeoutMs = network_params::kReadTimeoutMs;
  static inline const Param<int> kReconnectInitialMs = network_params::kReconnectInitialMs;
  static inline const Param<int> kReconnectMaxMs = network_params::kReconnectMaxMs;
  static inline const Param<int> kMaxReconnects = network_params::max_reconnects(10);
  static inline const Param<std::string> kOnGiveUp{
      .name = "on_give_up",
      .default_value = "fail",
      .description =
          "when the stream is lost for good: fail the run, or end this stream "
          "as at end of file",
      .choices = {"fail", "end"}};
  static inline const Param<int64_t> kFrames{
      .name = "frames",
      .default_value = 0,
      .description = "stop after this many frames; 0: until the stream is lost or the run stops",
      .min = 0};
  SLUICE_CONTRACT(kInfo, kOut, kUrl, kBackend, kOpenTimeoutMs, kReadTimeoutMs, kReconnectInitialMs,
                  kReconnectMaxMs, kMaxReconnects, kOnGiveUp, kFrames);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  int64_t expected_frames() const override { return frames_ > 0 ? frames_ : -1; }

 private:
  std::unique_ptr<NetworkStreamReader> reader_;
  int64_t frames_ = 0;
  int64_t seq_ = 0;
};

}  // namespace sluice::sources
