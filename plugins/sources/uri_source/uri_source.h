// Many streams in one source: video files, network streams (rtsp, http, udp, tcp, ...)
// and V4L2 cameras, each its own stream, each read by a thread of its own into a small
// buffer, reconnecting on its own. Streams can be added and removed while the run goes on
// (POST and DELETE /api/nodes/NODE/streams with `sluice run --http`).
//
//   [nodes.cams]
//   plugin = "uri_source"
//   uris = ["rtsp://user:pass@10.0.0.20/stream1", "media/vtest.avi", "/dev/video0"]
//   loop = true                 # files start again at their end
//   on_stream_failure = "end"   # a stream lost for good ends; the others go on
//   queue = { capacity = 4, overflow = "drop_oldest" }   # on the consumer: stay live
//
// Stream i of `uris` has local id i (run id: the source's first id + i); added streams get
// the next ids, never reused. A file is read at its frame rate (realtime = true) and waits
// for room in its buffer (nothing lost); a live stream drops its oldest buffered frame
// instead (counted as dropped_frames), so a slow pipeline always sees recent frames.
// Once every stream has ended the source ends, unless the run serves the control API
// (when_idle = "auto"): it then waits for new streams until the run is stopped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "frame_reader.h"
#include "network_params.h"

namespace sluice::sources {

class UriSource final : public Node, public StreamControl {
 public:
  static constexpr NodeInfo kInfo{
      "uri_source", NodeKind::kSource,
      "Many streams (files, rtsp/http/udp/tcp, cameras) in one source; add and remove live."};
  static constexpr Output<Frame> kOut{
      "out", "BGR frames; pts: a file's own, else microseconds since the stream's first frame"};
  static inline const Param<std::vector<std::string>> kUris{
      .name = "uris",
      .default_value = {},
      .description =
          "the streams: video files, image files (a frame each), URLs (rtsp://, http://, "
          "udp://, tcp://, ...) or cameras (/dev/videoN); may be empty when streams are "
          "added through the API",
      .is_path = true};
  static inline const Param<bool> kLoop{
      .name = "loop", .default_value = false, .description = "files start again at their end"};
  static inline const Param<bool> kRealtime{
      .name = "realtime",
      .default_value = true,
      .description = "files are read at their frame rate, like live streams"};
  static inline const Param<int> kBuffer{
      .name = "buffer",
      .default_value = 2,
      .description = "frames each stream's reader holds ahead of the pipeline",
      .min = 1,
      .max = 256};
  static inline const Param<std::string> kOnStreamFailure{
      .name = "on_stream_failure",
      .default_value = "end",
      .description =
          "when a stream is lost for good (or a file fails to decode): end that stream, "
          "or fail the run",
      .choices = {"end", "fail"}};
  static inline const Param<std::string> kWhenIdle{
      .name = "when_idle",
      .default_value = "auto",
      .description =
          "once every stream has ended: end the source, wait for streams added through "
          "the API, or auto (wait when the run serves the API, --http)",
      .choices = {"auto", "end", "wait"}};
  static inline const Param<int> kOpenTimeoutMs = network_params::kOpenTimeoutMs;
  static inline const Param<int> kReadTimeoutMs = network_params::kReadTimeoutMs;
  static inline const Param<int> kReconnectInitialMs = network_params::kReconnectInitialMs;
  static inline const Param<int> kReconnectMaxMs = network_params::kReconnectMaxMs;
  static inline const Param<int> kMaxReconnects = network_params::max_reconnects(-1);
  SLUICE_CONTRACT(kInfo, kOut, kUris, kLoop, kRealtime, kBuffer, kOnStreamFailure, kWhenIdle,
                  kOpenTimeoutMs, kReadTimeoutMs, kReconnectInitialMs, kReconnectMaxMs,
                  kMaxReconnects);

  UriSource() = default;
  UriSource(const UriSource&) = delete;
  UriSource& operator=(const UriSource&) = delete;
  ~UriSource() override;

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status close(Context& ctx) override;
  int streams() const override { return declared_; }
  StreamControl* stream_control() override { return this; }

  // StreamControl: called from the service's threads.
  Result<uint32_t> add_stream(const std::string& uri) override;
  Status remove_stream(uint32_t local_stream) override;
  std::vector<StreamStatus> stream_statuses() const override;

 private:
  struct Stream {
    uint32_t local = 0;
    std::string uri_text;  // password hidden
    bool live = false;     // drops its oldest frame when the buffer is full
    std::unique_ptr<FrameReader> reader;
    std::thread thread;
    std::atomic<bool> stop{false};  // removed, or the source is closing
    // Under mu_:
    std::deque<std::pair<cv::Mat, int64_t>> frames;  // read, not yet sent (image, pts)
    std::map<std::string, int64_t> counts;           // to add to the node's counters
    StreamStatus status;
    bool finished = false;  // the reader thread is done
    std::string end_reason;
    bool removed = false;
    int64_t seq = 0;
  };

  // Opens `uri` as a file, network stream or camera, with this node's params.
  Result<std::unique_ptr<FrameReader>> open_reader(const std::string& uri) const;
  // Starts a reader thread for a newly opened stream; under mu_.
  uint32_t start_stream_locked(const std::string& uri, std::unique_ptr<FrameReader> reader);
  void read_stream(Stream& stream);
  void stop_all();

  std::vector<std::string> uris_;
  bool loop_ = false, realtime_ = true, fail_on_failure_ = false;
  std::string when_idle_ = "auto";
  std::size_t buffer_ = 2;
  NetworkStreamOptions network_;  // timeouts and reconnects; the url is each stream's
  int declared_ = 0;

  mutable std::mutex mu_;
  std::condition_variable data_cv_;                      // a frame was read, or a stream finished
  std::condition_variable space_cv_;                     // a file's reader waits here for room
  std::map<uint32_t, std::unique_ptr<Stream>> streams_;  // running, or ended but not yet sent
  std::deque<StreamStatus> history_;  // ended streams, newest last, for stream_statuses
  uint32_t next_local_ = 0;
  uint32_t turn_ = 0;  // round-robin start among the streams
  bool closing_ = false;
};

}  // namespace sluice::sources
