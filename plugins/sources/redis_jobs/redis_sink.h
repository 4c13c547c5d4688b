// Appends results to a Redis stream (XADD): a record per frame, the jsonl_sink record plus
// the job it belongs to, and one final record per stream (per job, with redis_source)
// saying how it ended. The stream is kept to about max_len entries (MAXLEN ~).
//
//   [nodes.results]
//   plugin = "redis_sink"
//   host = "10.0.0.5"
//   stream = "sluice:results"
//
// Each entry has the fields job (redis_source's job id; absent for other sources), stream,
// seq (the frame's, or "final") and record, a JSON object:
//   job cam3-0001  stream 4  seq 12     record
//   {"job":"cam3-0001","stream":4,"seq":12,"detections":[...]} job cam3-0001  stream 4  seq final
//   record {"job":"cam3-0001","stream":4,"final":true,
//       "status":"done","frames":250,"worker":"gpu-box-2-4121","deliveries":1}
// status: "done", "failed" (with "error": why; the job's media could not be read, or
// broke), or "removed". A stream that ends because the run stops gets no final record: its
// job was not finished, and is done again. A job done again writes its records again, with
// the same (job, seq, sub_index): at-least-once, so a reader drops what it has seen.
//
// While Redis is away the sink waits and reconnects (the pipeline waits behind it: nothing
// is dropped). When the run is stopped while it waits, the records not written are
// counted ("unwritten"), and the job is not acknowledged, so another worker does it again.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "redis_client.h"
#include "redis_params.h"
#include "result_ports.h"

namespace sluice::sources {

class RedisSink final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "redis_sink", NodeKind::kSink,
      "Appends a record per frame and a final record per job to a Redis stream (XADD)."};
  static constexpr Input<Frame> kFrame{
      .name = "frame",
      .description = "the frame itself, for a record of its size alone (no model)",
      .required = false};
  static constexpr Input<Detections> kDetections = sinks::result_ports::kDetections;
  static constexpr Input<Classifications> kClassifications = sinks::result_ports::kClassifications;
  static constexpr Input<SegmentationMask> kMask = sinks::result_ports::kMask;
  static constexpr Input<Values> kValues = sinks::result_ports::kValues;
  static constexpr Input<Embedding> kEmbedding = sinks::result_ports::kEmbedding;
  static constexpr Input<Events> kEvents = sinks::result_ports::kEvents;
  static inline const Param<std::string> kHost = redis_params::kHost;
  static inline const Param<int> kPort = redis_params::kPort;
  static inline const Param<std::string> kPasswordEnv = redis_params::kPasswordEnv;
  static inline const Param<int> kDb = redis_params::kDb;
  static inline const Param<std::string> kStream{.name = "stream",
                                                 .default_value = "sluice:results",
                                                 .description = "the results stream's key"};
  static inline const Param<int> kMaxLen{
      .name = "max_len",
      .default_value = 1000000,
      .description = "entries the results stream keeps, about (XADD MAXLEN ~); 0: no limit",
      .min = 0};
  static inline const Param<bool> kFrames{
      .name = "frames",
      .default_value = true,
      .description = "write a record per frame; false: only each job's final record"};
  static inline const Param<bool> kMaskRle{
      .name = "mask_rle",
      .default_value = false,
      .description = "also write each mask class's pixels as COCO run-length encoding"};
  static inline const Param<int> kTimeoutMs = redis_params::kTimeoutMs;
  static inline const Param<int> kReconnectInitialMs = redis_params::kReconnectInitialMs;
  static inline const Param<int> kReconnectMaxMs = redis_params::kReconnectMaxMs;
  SLUICE_CONTRACT(kInfo, kFrame, kDetections, kClassifications, kMask, kValues, kEmbedding, kEvents,
                  kHost, kPort, kPasswordEnv, kDb, kStream, kMaxLen, kFrames, kMaskRle, kTimeoutMs,
                  kReconnectInitialMs, kReconnectMaxMs);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status stream_ended(Context& ctx, const StreamEnd& end) override;

 private:
  // XADDs one entry, waiting for Redis while it is away; false when the run stopped first.
  bool append(Context& ctx, const std::string& job, uint32_t stream_id, const std::string& seq,
              const std::string& record);

  std::unique_ptr<RedisClient> redis_;
  std::string stream_;
  int64_t max_len_ = 0;
  bool frames_ = true, mask_rle_ = false;
  std::map<uint32_t, int64_t> frames_written_;  // per open stream
  int64_t reconnects_seen_ = 0;
};

}  // namespace sluice::sources
