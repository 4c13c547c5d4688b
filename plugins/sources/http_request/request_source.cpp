#include "request_source.h"

#include <chrono>
#include <nlohmann/json.hpp>

namespace sluice::sources {
namespace {

// Input sets taken from the queue per process() call: few, so that what waits for room
// downstream is held in the queue, where a full one answers 503.
constexpr std::size_t kPerCall = 4;
constexpr auto kIdleWait = std::chrono::milliseconds(20);

}  // namespace

std::string error_body(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace) +
         "\n";
}

Status RequestSource::open(const Params& params) {
  queue_limit_ = static_cast<std::size_t>(params.get(kMaxQueued));
  timeout_ms_ = params.get(kTimeoutMs);
  max_body_bytes_ = static_cast<std::size_t>(params.get(kMaxBodyMb)) << 20;
  retry_after_s_ = params.get(kRetryAfterS);
  opened_ = ServedRequest::Clock::now();
  return ok();
}

bool RequestSource::refused_for_room(ServedRequest& request) {
  if (closed_) {
    request.answer({503, error_body("the run is stopping: this pipeline takes no more requests"),
                    "application/json", retry_after_s_});
    return true;
  }
  if (waiting_.size() + decoding_ < queue_limit_) return false;
  ++refused_full_;
  request.answer({503,
                  error_body("overloaded: " + std::to_string(waiting_.size() + decoding_) +
                             " requests are waiting already (max_queued = " +
                             std::to_string(queue_limit_) + "); try again later"),
                  "application/json", retry_after_s_});
  return true;
}

void RequestSource::submit(std::shared_ptr<ServedRequest> request) {
  {
    // A place in the queue is taken before decoding, so that under overload only the
    // requests that will be served are decoded; the others cost a 503.
    std::lock_guard lock(mu_);
    if (refused_for_room(*request)) return;
    ++decoding_;
  }
  DecodedRequest decoded = decode(*request);
  request->release_body();
  const int status = decoded.status;
  std::string error = decoded.error;
  bool taken = false;
  {
    std::lock_guard lock(mu_);
    --decoding_;
    if (status == 200 && !closed_) {
      waiting_.push_back({request, std::move(decoded)});
      taken = true;
    }
  }
  if (taken) {
    arrived_.notify_one();
  } else if (status != 200) {
    ++refused_bad_;
    request->answer({status, error_body(error)});
  } else {
    std::lock_guard lock(mu_);
    (void)refused_for_room(*request);  // closed while it was decoded: 503
  }
}

void RequestSource::count_refusals(Context& ctx) {
  if (const int64_t n = refused_full_.exchange(0)) ctx.add_to_counter("refused_full", n);
  if (const int64_t n = refused_bad_.exchange(0)) ctx.add_to_counter("refused_bad", n);
}

uint32_t RequestSource::next_local_stream() {
  if (!free_streams_.empty()) {
    const uint32_t id = free_streams_.back();
    free_streams_.pop_back();
    return id;
  }
  return streams_made_++;
}

Status RequestSource::process(Context& ctx) {
  if (!ctx.serving())
    return invalid_argument(std::string(type_name()) +
                            " takes requests served over HTTP: run the pipeline with "
                            "sluice run --http HOST:PORT (or [pipeline] http = \"HOST:PORT\")");
  count_refusals(ctx);
  std::vector<Waiting> taken;
  {
    std::unique_lock lock(mu_);
    arrived_.wait_for(lock, kIdleWait, [&] { return !waiting_.empty(); });
    while (!waiting_.empty() && taken.size() < kPerCall) {
      taken.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
  }
  for (Waiting& w : taken) {
    if (w.request->answered()) {  // its deadline passed or its client left while it waited
      ctx.add_to_counter("abandoned");
      continue;
    }
    const uint32_t local = next_local_stream();
    const auto since_open = w.request->received() - opened_;  // pts: when it was received
    PacketHeader header = ctx.source_header(
        local, 0, std::chrono::duration_cast<std::chrono::microseconds>(since_open).count());
    RequestTable::instance().add(header.stream_id, {w.request, w.decoded.plan});
    emit(ctx, w.decoded, header);
    ctx.end_stream(local);
    ctx.add_to_counter("requests");
  }
  return ok();
}

Status RequestSource::stream_done(Context& ctx, const StreamEnd& end) {
  free_streams_.push_back(end.local_stream);
  // Every sink is done with the stream: a request still without an answer gets none.
  if (auto request = RequestTable::instance().take(end.stream_id).request) {
    if (request->answer({500, error_body("the pipeline gave no result for this request: it was "
                                         "dropped on the way (a queue's drop policy, or "
                                         "on_error = \"skip\"), or the pipeline has no "
                                         "response node")}))
      ctx.add_to_counter("unanswered");
  }
  return ok();
}

Status RequestSource::close(Context& ctx) {
  std::deque<Waiting> left;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    left.swap(waiting_);
  }
  for (Waiting& w : left)
    w.request->answer({503, error_body("the run is stopping: this request was not started"),
                       "application/json", retry_after_s_});
  count_refusals(ctx);
  return ok();
}

}  // namespace sluice::sources
