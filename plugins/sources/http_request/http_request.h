// Takes the requests served over HTTP (`sluice run --http`): each image posted to
// POST /v1/pipelines/NAME/infer becomes a frame of a stream of its own, and http_response
// (this library's sink) answers it with its results. Concurrent requests are separate
// streams, so a model's max_batch / max_delay_ms batches them as it batches cameras.
//
//   [nodes.request]
//   plugin = "http_request"
//   max_queued = 32       # requests waiting to enter the pipeline; more get 503 at once
//   timeout_ms = 10000    # 504 after this (or the client's X-Request-Timeout-Ms, if less)
//
// The image is decoded on the server's thread that received it, so a bad one gets its 400
// without entering the pipeline. When the queue is full the answer is 503 with
// Retry-After, at once: memory stays flat and accepted requests keep their latency. A
// request answered already (its deadline passed, its client went away) is dropped before
// it enters the pipeline, and counted ("abandoned"). Local stream ids are reused once a
// request's stream is done (node.h), so a service runs for months on a few of them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::sources {

class HttpRequest final : public Node, public RequestIntake {
 public:
  static constexpr NodeInfo kInfo{
      "http_request", NodeKind::kSource,
      "Images posted over HTTP (sluice run --http), each a stream of its own; "
      "http_response answers them."};
  static constexpr Output<Frame> kOut{"out", "the request's image, BGR; one frame per stream"};
  static inline const Param<int> kMaxQueued{
      .name = "max_queued",
      .default_value = 32,
      .description = "requests that may wait to enter the pipeline; beyond, 503 with Retry-After",
      .min = 1,
      .max = 100000};
  static inline const Param<int> kTimeoutMs{
      .name = "timeout_ms",
      .default_value = 10000,
      .description =
          "the longest a request waits for its answer (504 after); a client may "
          "ask for less with the header X-Request-Timeout-Ms",
      .min = 1,
      .max = 3600000};
  static inline const Param<int> kMaxBodyMb{
      .name = "max_body_mb",
      .default_value = 16,
      .description = "the largest request body taken, in MiB (413 beyond)",
      .min = 1,
      .max = 1024};
  static inline const Param<int> kRetryAfterS{
      .name = "retry_after_s",
      .default_value = 1,
      .description = "the Retry-After of a 503 (the queue was full), in seconds",
      .min = 1,
      .max = 3600};
  SLUICE_CONTRACT(kInfo, kOut, kMaxQueued, kTimeoutMs, kMaxBodyMb, kRetryAfterS);

  Status open(const Params& params) override;
  Status process(Context& ctx) override;
  Status close(Context& ctx) override;
  Status stream_done(Context& ctx, const StreamEnd& end) override;
  int streams() const override { return 0; }  // a stream per request, added as they come
  RequestIntake* request_intake() override { return this; }

  // RequestIntake, from the server's threads.
  void submit(std::shared_ptr<ServedRequest> request) override;
  std::size_t max_body_bytes() const override { return max_body_bytes_; }
  int64_t timeout_ms() const override { return timeout_ms_; }

 private:
  struct Waiting {
    std::shared_ptr<ServedRequest> request;
    cv::Mat image;
  };
  // Answers with 503 when closed or the queue is full (under mu_); true when it did.
  bool refused_for_room(ServedRequest& request);
  uint32_t next_local_stream();
  void count_refusals(Context& ctx);

  std::size_t queue_limit_ = 32;
  int64_t timeout_ms_ = 10000;
  std::size_t max_body_bytes_ = 16u << 20;
  int retry_after_s_ = 1;
  ServedRequest::Clock::time_point opened_;

  std::mutex mu_;
  std::condition_variable arrived_;
  std::deque<Waiting> waiting_;  // under mu_
  std::size_t decoding_ = 0;     // under mu_: places taken by requests being decoded
  bool closed_ = false;          // under mu_: close() ran, every new request gets 503
  // Refusals on the server's threads, moved into the node's counters by process().
  std::atomic<int64_t> refused_full_{0}, refused_bad_{0};

  // The source's thread only.
  std::vector<uint32_t> free_streams_;  // local ids whose streams are done
  uint32_t streams_made_ = 0;
  int64_t requests_ = 0;
};

}  // namespace sluice::sources
