// What http_request and tensor_request share: a source that takes requests served over
// HTTP (served_request.h) and makes each one a stream of one packet.
//
// The server's thread that received a request reads its body (decode(): an image, JSON
// tensors), so a bad one gets its 4xx without entering the pipeline, and queues it; the
// source's thread takes it from the queue into the pipeline (emit()). A place in the queue
// is taken before the body is read: under overload only requests that will be served are
// decoded, and the others get 503 with Retry-After at once, so memory stays flat and
// accepted requests keep their latency. A request answered already (its deadline passed,
// its client went away) is dropped before it enters the pipeline ("abandoned"); one whose
// stream ends without an answer gets 500 ("unanswered"). Local stream ids are reused once a
// request's stream is done (node.h), so a service runs for months on a few of them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "request_table.h"
#include "sluice/sluice.h"

namespace sluice::sources {

// A request's body as decode() read it.
struct DecodedRequest {
  int status = 200;  // else the 4xx to answer, with `error`
  std::string error;
  cv::Mat image;                           // http_request
  std::vector<Tensor> tensors;             // tensor_request: one per input, in declared order
  std::shared_ptr<const TensorPlan> plan;  // tensor_request: how to answer
};

class RequestSource : public Node, public RequestIntake {
 public:
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

  Status open(const Params& params) override;
  Status process(Context& ctx) final;
  Status close(Context& ctx) final;
  Status stream_done(Context& ctx, const StreamEnd& end) final;
  int streams() const final { return 0; }  // a stream per request, added as they come
  RequestIntake* request_intake() final { return this; }

  // RequestIntake, from the server's threads.
  void submit(std::shared_ptr<ServedRequest> request) final;
  std::size_t max_body_bytes() const final { return max_body_bytes_; }
  int64_t timeout_ms() const final { return timeout_ms_; }

 protected:
  // Reads a request's body, on the server's thread that received it.
  virtual DecodedRequest decode(const ServedRequest& request) const = 0;
  // Sends a decoded request into the pipeline, as the packet(s) of `header`.
  virtual void emit(Context& ctx, DecodedRequest& decoded, const PacketHeader& header) = 0;
  // The node's name in messages: "http_request".
  virtual const char* type_name() const = 0;

 private:
  struct Waiting {
    std::shared_ptr<ServedRequest> request;
    DecodedRequest decoded;
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
};

// {"error": message} and a newline, invalid UTF-8 replaced.
std::string error_body(const std::string& message);

}  // namespace sluice::sources
