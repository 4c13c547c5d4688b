// Takes jobs from a Redis stream through a consumer group, each job a stream of the
// pipeline, and acknowledges a job only once every sink is done with it: a pool of
// workers on many machines shares the jobs, and a job whose worker dies is done again by
// another. At-least-once: see README.md for what that means for readers of the results.
//
//   [nodes.jobs]
//   plugin = "redis_source"
//   host = "10.0.0.5"
//   stream = "sluice:jobs"       # where `scripts/sluice_jobs.py submit` puts jobs
//   group = "sluice"             # every worker of the pool reads through this group
//   max_jobs = 2                 # jobs this worker has in hand at once
//   claim_idle_ms = 30000        # a job untouched this long is taken from its dead worker
//   max_deliveries = 3           # ... at most this many times; then to the dead-letter stream
//
// A job (job.h) names a uri (a video or image file, or a network stream) or carries an
// image's bytes. Its frames are read as fast as the pipeline takes them; a job whose media
// cannot be read ends at once with reason "failed: why" (redis_sink writes that as its
// final record) and is acknowledged: it never holds up other jobs. While a job runs its
// worker touches its entry (XCLAIM ... JUSTID) every claim_idle_ms / 3, so a long job is
// never taken from a live worker. A stopped run (SIGTERM, Ctrl-C) leaves the jobs it had
// not finished pending, for the other workers to claim.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frame_reader.h"
#include "job.h"
#include "network_params.h"
#include "redis_client.h"
#include "redis_params.h"

namespace sluice::sources {

class RedisSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "redis_source", NodeKind::kSource,
      "Jobs from a Redis stream (consumer group), a stream each; acknowledged once done."};
  static constexpr Output<Frame> kOut{
      "out", "BGR frames of each job; pts: a video file's own, else 0 (images) or arrival time"};
  static inline const Param<std::string> kHost = redis_params::kHost;
  static inline const Param<int> kPort = redis_params::kPort;
  static inline const Param<std::string> kPasswordEnv = redis_params::kPasswordEnv;
  static inline const Param<int> kDb = redis_params::kDb;
  static inline const Param<std::string> kStream{
      .name = "stream", .default_value = "sluice:jobs", .description = "the jobs stream's key"};
  static inline const Param<std::string> kGroup{
      .name = "group",
      .default_value = "sluice",
      .description = "the consumer group every worker of the pool reads through (made if missing)"};
  static inline const Param<std::string> kConsumer{
      .name = "consumer",
      .default_value = "",
      .description = "this worker's name in the group; empty: HOSTNAME-PID"};
  static inline const Param<int> kMaxJobs{
      .name = "max_jobs",
      .default_value = 2,
      .description = "jobs this worker has in hand at once (read, or waiting for the sinks)",
      .min = 1,
      .max = 1024};
  static inline const Param<int> kBlockMs{
      .name = "block_ms",
      .default_value = 1000,
      .description =
          "an idle worker's wait on the server for new jobs (XREADGROUP BLOCK), per call",
      .min = 10,
      .max = 60000};
  static inline const Param<int> kClaimIdleMs{
      .name = "claim_idle_ms",
      .default_value = 30000,
      .description =
          "a job pending this long on a worker that stopped touching it is taken over (XAUTOCLAIM)",
      .min = 100,
      .max = 86400000};
  static inline const Param<int> kMaxDeliveries{
      .name = "max_deliveries",
      .default_value = 3,
      .description = "times a job is handed out before it goes to the dead-letter stream",
      .min = 1,
      .max = 1000};
  static inline const Param<std::string> kDeadLetterStream{
      .name = "dead_letter_stream",
      .default_value = "",
      .description = "where jobs that cannot be done go, with their error; empty: STREAM:dead"};
  static inline const Param<std::string> kWhenIdle{
      .name = "when_idle",
      .default_value = "wait",
      .description =
          "with no job to do: wait for more, or end the source once the stream has no new job "
          "and none is pending on any worker (a batch)",
      .choices = {"wait", "end"}};
  static inline const Param<int> kTimeoutMs = redis_params::kTimeoutMs;
  static inline const Param<int> kReconnectInitialMs = redis_params::kReconnectInitialMs;
  static inline const Param<int> kReconnectMaxMs = redis_params::kReconnectMaxMs;
  static inline const Param<int> kOpenTimeoutMs = network_params::kOpenTimeoutMs;
  static inline const Param<int> kReadTimeoutMs = network_params::kReadTimeoutMs;
  SLUICE_CONTRACT(kInfo, kOut, kHost, kPort, kPasswordEnv, kDb, kStream, kGroup, kConsumer,
                  kMaxJobs, kBlockMs, kClaimIdleMs, kMaxDeliveries, kDeadLetterStream, kWhenIdle,
                  kTimeoutMs, kReconnectInitialMs, kReconnectMaxMs, kOpenTimeoutMs, kReadTimeoutMs);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status close(Context& ctx) override;
  Status stream_done(Context& ctx, const StreamEnd& end) override;
  int streams() const override { return 0; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Running {
    Job job;
    uint32_t stream_id = 0;  // the run's
    std::unique_ptr<FrameReader> reader;
    int64_t seq = 0;
  };

  // Entries of an XREADGROUP or XAUTOCLAIM answer, started (or dead-lettered) in turn.
  void take_entries(Context& ctx, ReplyView entries, bool redelivered);
  void start_job(Context& ctx, Job job, int64_t deliveries);
  // Moves a job to the dead-letter stream with `error`, and acknowledges it.
  void dead_letter(Context& ctx, const std::string& entry_id, const std::string& job_json,
                   const std::string& error);
  // Times entry `id` has been handed out (XPENDING), 1 when unknown.
  int64_t deliveries_of(const std::string& entry_id);
  // Reads new jobs (or, first, this consumer's own pending ones); `block` waits on the server.
  Status fetch(Context& ctx, bool block);
  void claim_abandoned(Context& ctx);
  void touch_in_hand();
  // Sends the acknowledgements not yet sent; false when Redis cannot be reached now.
  bool flush_acks();
  bool idle_batch_done();
  void send_frame(Context& ctx);
  std::size_t in_hand() const { return running_.size() + ending_.size(); }
  uint32_t next_local();
  Status ensure_group();
  bool stopping() const { return ctx_stop_ && ctx_stop_(); }

  std::unique_ptr<RedisClient> redis_;
  std::string stream_, group_, consumer_, dead_letter_;
  std::size_t max_jobs_ = 2;
  std::chrono::milliseconds block_{1000}, claim_idle_{30000};
  int64_t max_deliveries_ = 3;
  bool end_when_idle_ = false;
  NetworkStreamOptions network_;
  std::function<bool()> ctx_stop_;

  std::map<uint32_t, Running> running_;  // by local stream id: frames still to read
  std::map<uint32_t, Job> ending_;       // ended, waiting for every sink to be done
  std::vector<std::string> acks_;        // entry ids to acknowledge
  std::vector<uint32_t> free_locals_;
  uint32_t locals_made_ = 0;
  uint32_t turn_ = 0;                 // round-robin among running jobs
  bool own_pending_read_ = false;     // this consumer's pending jobs were read again
  std::string pending_cursor_ = "0";  // ... up to this entry id
  std::string claim_cursor_ = "0-0";
  Clock::time_point last_claim_{}, last_touch_{}, last_fetch_{};
  int64_t reconnects_seen_ = 0;
};

}  // namespace sluice::sources
