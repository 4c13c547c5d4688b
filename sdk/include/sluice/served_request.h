// Requests served over HTTP (`sluice run --http`), as the service hands them to a source
// that takes requests (Node::request_intake): images posted to
// POST /v1/pipelines/NAME/infer (the http_request plugin), or KServe v2 inference requests,
// JSON tensors posted to POST /v2/models/NAME/infer (the tensor_request plugin). No HTTP
// here: the service parses HTTP (headers, multipart, body limits) and waits; the node reads
// the body it is given and answers, through any node of its library (http_response,
// tensor_response), from any thread.
//
// Exactly one answer is sent per request: whoever answers first wins. The service answers
// by itself when the deadline passes (504), the client goes away or the run stops (503);
// a node that finds its request answered already drops the work it has not done.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace sluice {

struct ServedAnswer {
  int status = 200;  // an HTTP status
  std::string body;  // JSON, unless content_type says otherwise
  std::string content_type = "application/json";
  int retry_after_s = 0;  // > 0: sent as Retry-After (with 503: the queue was full)
};

class ServedRequest {
 public:
  using Clock = std::chrono::steady_clock;
  // `target`: the NAME the client addressed (a pipeline's or a node's name).
  ServedRequest(std::string body, std::string content_type, Clock::time_point deadline,
                std::string target = {});
  ServedRequest(const ServedRequest&) = delete;
  ServedRequest& operator=(const ServedRequest&) = delete;

  // The body's bytes (an image: the service has taken it out of a multipart form) and its
  // media type as the client sent it ("image/jpeg").
  const std::string& body() const { return body_; }
  const std::string& content_type() const { return content_type_; }
  const std::string& target() const { return target_; }
  // Frees the body once it has been read (decoded), so that a queue of requests holds
  // pictures, not pictures and their files.
  void release_body();
  Clock::time_point received() const { return received_; }
  Clock::time_point deadline() const { return deadline_; }

  // Answers, unless the request has an answer already; true when this one is sent.
  bool answer(ServedAnswer a);
  bool answered() const { return answered_.load(std::memory_order_acquire); }
  // For the service: the answer, once there is one or `until` passes (nullopt then).
  std::optional<ServedAnswer> wait_until(Clock::time_point until);

 private:
  std::string body_;
  std::string content_type_;
  std::string target_;
  Clock::time_point received_;
  Clock::time_point deadline_;
  std::atomic<bool> answered_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<ServedAnswer> answer_;  // under mu_
};

// Sources that take requests (http_request) implement this and return it from
// Node::request_intake(). Like StreamControl, called from the service's threads,
// concurrently with process(): the node synchronizes.
class RequestIntake {
 public:
  // What the requests are: kImage, a picture (POST /v1/pipelines/NAME/infer); kTensors, a
  // KServe v2 inference request (POST /v2/models/NAME/infer, JSON).
  enum class Protocol { kImage, kTensors };
  virtual Protocol protocol() const { return Protocol::kImage; }
  // kTensors: the model's inputs and outputs as KServe v2's model metadata writes them, a
  // JSON object's text: {"inputs": [{"name", "datatype", "shape"}], "outputs": [...]}.
  virtual std::string model_metadata() const { return "{}"; }

  // Takes a request, or refuses it by answering it at once (415, 400, 503 when the queue
  // is full). A request taken must be answered in the end; the service's deadline ensures
  // that it is, so a node may drop work whose request is answered().
  virtual void submit(std::shared_ptr<ServedRequest> request) = 0;
  // The largest body the node takes, in bytes (a longer one gets 413 without reading it).
  virtual std::size_t max_body_bytes() const = 0;
  // The longest a request may wait for its answer, in milliseconds (504 after).
  virtual int64_t timeout_ms() const = 0;

 protected:
  ~RequestIntake() = default;
};

}  // namespace sluice
