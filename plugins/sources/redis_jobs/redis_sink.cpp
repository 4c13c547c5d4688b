#include "redis_sink.h"

#include <nlohmann/json.hpp>

#include "job.h"
#include "result_record.h"

namespace sluice::sources {

using nlohmann::json;
using sinks::result_inputs_of;
using sinks::result_record;

namespace {

// Labels come from model files: invalid UTF-8 is replaced rather than failing the run.
std::string text_of(const json& record) {
  return record.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Status RedisSink::open(const Params& p) {
  SLUICE_ASSIGN_OR_RETURN(RedisEndpoint endpoint, redis_params::read(p));
  stream_ = p.get(kStream);
  if (stream_.empty()) return invalid_argument("stream: the results stream's key is empty");
  max_len_ = p.get(kMaxLen);
  frames_ = p.get(kFrames);
  mask_rle_ = p.get(kMaskRle);
  redis_ = std::make_unique<RedisClient>(endpoint, "stream '" + stream_ + "'");
  return redis_->connect();  // unreachable at start: a set-up error, said now
}

bool RedisSink::append(Context& ctx, const std::string& job, uint32_t stream_id,
                       const std::string& seq, const std::string& record) {
  std::vector<std::string> args = {"XADD", stream_};
  if (max_len_ > 0) args.insert(args.end(), {"MAXLEN", "~", std::to_string(max_len_)});
  args.push_back("*");
  if (!job.empty()) args.insert(args.end(), {"job", job});
  args.insert(args.end(), {"stream", std::to_string(stream_id), "seq", seq, "record", record});
  auto reply = redis_->command(args, [&ctx] { return ctx.stop_requested(); });
  if (const int64_t r = redis_->reconnects(); r != reconnects_seen_) {
    ctx.add_to_counter("redis_reconnects", r - reconnects_seen_);
    reconnects_seen_ = r;
  }
  if (!reply.ok()) {
    ctx.add_to_counter("unwritten");
    return false;
  }
  if (reply->view().is_error()) {
    // The key holds something else (WRONGTYPE), or the server refuses writes (OOM, READONLY).
    throw std::runtime_error(redis_->where() + ": XADD: " + reply->view().text());
  }
  return true;
}

Status RedisSink::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  const auto job = JobTable::instance().find(h.stream_id);
  ++frames_written_[h.stream_id];
  if (!frames_) return ok();
  json record = result_record(h, result_inputs_of<RedisSink>(ctx), mask_rle_);
  if (job) record["job"] = job->id;
  if (!append(ctx, job ? job->id : std::string(), h.stream_id, std::to_string(h.seq),
              text_of(record)))
    JobTable::instance().hold(h.stream_id);
  return ok();
}

Status RedisSink::stream_ended(Context& ctx, const StreamEnd& end) {
  const auto it = frames_written_.find(end.stream_id);
  const int64_t frames = it == frames_written_.end() ? 0 : it->second;
  if (it != frames_written_.end()) frames_written_.erase(it);
  // Stopped before its end: not finished, so no final record (its job is done again).
  if (end.reason == "stopped") return ok();
  const auto job = JobTable::instance().find(end.stream_id);
  json record = {{"stream", end.stream_id}, {"final", true}, {"frames", frames}};
  if (end.reason == "end") {
    record["status"] = "done";
  } else if (end.reason.rfind("failed: ", 0) == 0) {
    record["status"] = "failed";
    record["error"] = end.reason.substr(8);
  } else {
    record["status"] = end.reason;  // "removed"
  }
  if (job) {
    record["job"] = job->id;
    record["worker"] = job->worker;
    record["deliveries"] = job->deliveries;
  }
  if (!append(ctx, job ? job->id : std::string(), end.stream_id, "final", text_of(record)))
    JobTable::instance().hold(end.stream_id);
  return ok();
}

}  // namespace sluice::sources
