#include "redis_source.h"

#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

#include "still_image_reader.h"
#include "uri_reader.h"

namespace sluice::sources {
namespace {

// Non-blocking reads for new jobs while others run: at most this often.
constexpr auto kFetchEvery = std::chrono::milliseconds(50);
// An idle worker with jobs waiting for their sinks blocks at most this long, so that their
// acknowledgements (stream_done, between process calls) are not held up.
constexpr auto kBlockWhileEnding = std::chrono::milliseconds(50);
// How long process() naps while max_jobs jobs wait for their sinks.
constexpr auto kFullHandsNap = std::chrono::milliseconds(2);

std::string default_consumer() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "worker");
  return std::string(host) + "-" + std::to_string(::getpid());
}

std::vector<std::pair<std::string, std::string>> fields_of(ReplyView list) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (std::size_t i = 0; i + 1 < list.size(); i += 2)
    fields.emplace_back(list[i].text(), list[i + 1].text());
  return fields;
}

std::string field(const std::vector<std::pair<std::string, std::string>>& fields,
                  const std::string& name) {
  for (const auto& [k, v] : fields)
    if (k == name) return v;
  return {};
}

}  // namespace

Status RedisSource::open(const Params& p) {
  SLUICE_ASSIGN_OR_RETURN(RedisEndpoint endpoint, redis_params::read(p));
  stream_ = p.get(kStream);
  group_ = p.get(kGroup);
  if (stream_.empty()) return invalid_argument("stream: the jobs stream's key is empty");
  if (group_.empty()) return invalid_argument("group: the consumer group's name is empty");
  consumer_ = p.get(kConsumer);
  if (consumer_.empty()) consumer_ = default_consumer();
  dead_letter_ = p.get(kDeadLetterStream);
  if (dead_letter_.empty()) dead_letter_ = stream_ + ":dead";
  max_jobs_ = static_cast<std::size_t>(p.get(kMaxJobs));
  block_ = std::chrono::milliseconds(p.get(kBlockMs));
  claim_idle_ = std::chrono::milliseconds(p.get(kClaimIdleMs));
  max_deliveries_ = p.get(kMaxDeliveries);
  end_when_idle_ = p.get(kWhenIdle) == "end";
  network_.open_timeout_ms = p.get(kOpenTimeoutMs);
  network_.read_timeout_ms = p.get(kReadTimeoutMs);
  network_.max_reconnects = 10;  // a job's stream that stays away fails the job, in time
  redis_ = std::make_unique<RedisClient>(endpoint, "stream '" + stream_ + "'");
  // A worker that cannot reach its broker at start is a set-up error, said now; once
  // running, it reconnects for as long as it takes.
  SLUICE_RETURN_IF_ERROR(redis_->connect());
  return ensure_group();
}

Status RedisSource::ensure_group() {
  // From id 0: jobs submitted before the first worker started are jobs too.
  SLUICE_ASSIGN_OR_RETURN(RedisReply reply, redis_->try_command({"XGROUP", "CREATE", stream_,
                                                                 group_, "0", "MKSTREAM"}));
  const ReplyView v = reply.view();
  if (v.is_error() && v.text().rfind("BUSYGROUP", 0) != 0)
    return invalid_argument(redis_->where() + ": cannot make consumer group '" + group_ +
                            "': " + v.text());
  return ok();
}

uint32_t RedisSource::next_local() {
  if (!free_locals_.empty()) {
    const uint32_t id = free_locals_.back();
    free_locals_.pop_back();
    return id;
  }
  return locals_made_++;
}

Status RedisSource::process(Context& ctx) {
  ctx_stop_ = [&ctx] { return ctx.stop_requested(); };
  if (ctx.stop_requested()) return ok();
  if (const int64_t r = redis_->reconnects(); r != reconnects_seen_) {
    ctx.add_to_counter("redis_reconnects", r - reconnects_seen_);
    reconnects_seen_ = r;
  }
  (void)flush_acks();
  const auto now = Clock::now();
  if (in_hand() > 0 && now - last_touch_ >= claim_idle_ / 3) touch_in_hand();
  // This consumer's own pending jobs come first (fetch), then other workers' abandoned ones:
  // claimed first, they would be read again as this consumer's own, counted twice.
  if (own_pending_read_ && in_hand() < max_jobs_ && now - last_claim_ >= claim_idle_ / 2)
    claim_abandoned(ctx);
  bool fetched_none = false;  // asked for new jobs, and none came
  if (in_hand() < max_jobs_ && (running_.empty() || now - last_fetch_ >= kFetchEvery)) {
    const bool asked_new = own_pending_read_;
    const std::size_t before = in_hand();
    SLUICE_RETURN_IF_ERROR(fetch(ctx, running_.empty()));
    fetched_none = asked_new && redis_->connected() && in_hand() == before;
  }
  if (!running_.empty()) {
    send_frame(ctx);
    return ok();
  }
  if (!redis_->connected()) {
    // Away: wait a little before the next attempt, instead of spinning.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return ok();
  }
  if (end_when_idle_ && fetched_none && in_hand() == 0 && idle_batch_done()) return end_of_stream();
  // Hands full of jobs the sinks still work on: nothing to do until a stream_done (called
  // between process calls). A short nap, so that waiting costs no CPU the pipeline needs.
  if (in_hand() >= max_jobs_) std::this_thread::sleep_for(kFullHandsNap);
  return ok();
}

Status RedisSource::fetch(Context& ctx, bool block) {
  last_fetch_ = Clock::now();
  // First this consumer's own pending jobs (a worker restarted under the same name), from
  // the start of its history; then new ones (">").
  const std::string from = own_pending_read_ ? ">" : pending_cursor_;
  std::vector<std::string> args = {"XREADGROUP", "GROUP", group_,
                                   consumer_,    "COUNT", std::to_string(max_jobs_ - in_hand())};
  std::chrono::milliseconds wait{0};
  if (block && own_pending_read_) {
    // Not longer than the claim check's interval, so abandoned jobs are seen in time.
    wait = std::min(block_, std::chrono::duration_cast<std::chrono::milliseconds>(claim_idle_ / 2));
    if (!ending_.empty()) wait = std::min(wait, std::chrono::milliseconds(kBlockWhileEnding));
    args.insert(args.end(), {"BLOCK", std::to_string(wait.count())});
  }
  args.insert(args.end(), {"STREAMS", stream_, from});
  auto reply = redis_->try_command(args, wait);
  if (!reply.ok()) return ok();  // away: in-hand jobs go on, the next call tries again
  const ReplyView v = reply->view();
  if (v.is_error()) {
    if (v.text().rfind("NOGROUP", 0) == 0) return ensure_group();  // Redis lost it: make it again
    return unavailable(redis_->where() + ": XREADGROUP: " + v.text());
  }
  const ReplyView entries = v[0][1];  // [[stream, entries]], or nil when none came
  if (!own_pending_read_) {
    if (entries.size() == 0)
      own_pending_read_ = true;
    else
      pending_cursor_ = entries[entries.size() - 1][0].text();
  }
  take_entries(ctx, entries, /*redelivered=*/from != ">");
  return ok();
}

void RedisSource::claim_abandoned(Context& ctx) {
  last_claim_ = Clock::now();
  auto reply = redis_->try_command({"XAUTOCLAIM", stream_, group_, consumer_,
                                    std::to_string(claim_idle_.count()), claim_cursor_, "COUNT",
                                    std::to_string(max_jobs_ - in_hand())});
  if (!reply.ok() || reply->view().is_error()) return;
  const ReplyView v = reply->view();  // [next cursor, entries, deleted ids]
  claim_cursor_ = v[0].text().empty() ? "0-0" : v[0].text();
  if (v[1].size() > 0) ctx.add_to_counter("jobs_claimed", static_cast<int64_t>(v[1].size()));
  take_entries(ctx, v[1], /*redelivered=*/true);
}

int64_t RedisSource::deliveries_of(const std::string& entry_id) {
  auto reply = redis_->try_command({"XPENDING", stream_, group_, entry_id, entry_id, "1"});
  if (!reply.ok()) return 1;
  const ReplyView v = reply->view();  // [[id, consumer, idle ms, deliveries]]
  return v.size() == 1 ? std::max<int64_t>(v[0][3].integer(), 1) : 1;
}

void RedisSource::take_entries(Context& ctx, ReplyView entries, bool redelivered) {
  // Entries this worker has already (in hand, or acknowledged but not yet sent) are skipped.
  std::set<std::string> in_hand_ids(acks_.begin(), acks_.end());
  for (const auto& [local, r] : running_) in_hand_ids.insert(r.job.entry_id);
  for (const auto& [local, job] : ending_) in_hand_ids.insert(job.entry_id);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ReplyView entry = entries[i];
    const std::string id = entry[0].text();
    if (id.empty() || in_hand_ids.count(id)) continue;
    if (entry[1].is_nil()) {  // deleted from the stream while pending: nothing left to do
      acks_.push_back(id);
      continue;
    }
    const auto fields = fields_of(entry[1]);
    const int64_t deliveries = redelivered ? deliveries_of(id) : 1;
    if (deliveries > max_deliveries_) {
      dead_letter(ctx, id, field(fields, "job"),
                  "handed out " + std::to_string(deliveries) +
                      " times (max_deliveries = " + std::to_string(max_deliveries_) +
                      ") without being finished: every worker that took it died, was stopped "
                      "or failed on it");
      continue;
    }
    auto job = parse_job(id, fields);
    if (!job.ok()) {
      dead_letter(ctx, id, field(fields, "job"), job.status().message());
      continue;
    }
    start_job(ctx, std::move(*job), deliveries);
  }
  (void)flush_acks();  // the dead-lettered ones
}

void RedisSource::start_job(Context& ctx, Job job, int64_t deliveries) {
  const uint32_t local = next_local();
  const uint32_t stream_id = ctx.source_header(local, 0, 0).stream_id;
  JobTable::instance().add(stream_id,
                           {.id = job.id, .worker = consumer_, .deliveries = deliveries});
  ctx.add_to_counter("jobs");
  Result<std::unique_ptr<FrameReader>> reader = unavailable("not opened");
  if (job.uri.empty()) {
    auto still = StillImageReader::decode(job.image, "the job's inline image");
    reader = still.ok() ? Result<std::unique_ptr<FrameReader>>(std::move(*still))
                        : Result<std::unique_ptr<FrameReader>>(still.status());
  } else {
    reader = open_uri_reader(job.uri, {.loop = false, .realtime = false, .network = network_});
  }
  if (!reader.ok()) {
    // Its failure is its result: the sinks record it, then it is acknowledged.
    ctx.add_to_counter("jobs_failed");
    ctx.end_stream(local, "failed: " + reader.status().message());
    ending_[local] = std::move(job);
    return;
  }
  running_[local] = Running{std::move(job), stream_id, std::move(*reader), 0};
}

void RedisSource::send_frame(Context& ctx) {
  auto it = running_.lower_bound(turn_);
  if (it == running_.end()) it = running_.begin();
  turn_ = it->first + 1;
  const uint32_t local = it->first;
  Running& r = it->second;
  cv::Mat image;
  int64_t pts_us = 0;
  const Status s = r.reader->next(env_of(ctx), image, pts_us);
  if (s.ok() && image.empty()) return;  // a network stream reconnecting: nothing yet
  if (s.ok()) {
    // An image job's frame names its file, as image_source's do.
    std::string origin = r.reader->expected_frames() == 1 ? r.job.uri : std::string();
    ctx.send(kOut, Frame{std::move(image), PixelFormat::kBGR, std::move(origin)},
             ctx.source_header(local, r.seq++, pts_us));
    return;
  }
  if (s.end_of_stream()) {
    ctx.end_stream(local, "end");
  } else {
    ctx.add_to_counter("jobs_failed");
    ctx.end_stream(local, "failed: " + s.message());
  }
  ending_[local] = std::move(r.job);
  running_.erase(it);
}

Status RedisSource::stream_done(Context& ctx, const StreamEnd& end) {
  const uint32_t local = end.local_stream;
  std::optional<Job> job;
  if (auto e = ending_.find(local); e != ending_.end()) {
    job = std::move(e->second);
    ending_.erase(e);
  } else if (auto r = running_.find(local); r != running_.end()) {  // ended by the run's stop
    job = std::move(r->second.job);
    running_.erase(r);
  }
  if (!job) return ok();
  const bool held = JobTable::instance().remove(end.stream_id);
  free_locals_.push_back(local);
  if (end.reason == "stopped" || held) {
    // Not finished here: it stays pending, and another worker takes it after claim_idle_ms.
    ctx.add_to_counter("left_pending");
    return ok();
  }
  acks_.push_back(job->entry_id);
  ctx.add_to_counter("jobs_acked");
  (void)flush_acks();
  return ok();
}

bool RedisSource::flush_acks() {
  if (acks_.empty()) return true;
  std::vector<std::string> args = {"XACK", stream_, group_};
  args.insert(args.end(), acks_.begin(), acks_.end());
  auto reply = redis_->try_command(args);
  if (!reply.ok()) return false;  // away: sent once it is back
  // An error answer (NOGROUP: a server that lost its data) cannot be mended by sending
  // again; the entries it names are gone with the group.
  acks_.clear();
  return !reply->view().is_error();
}

void RedisSource::touch_in_hand() {
  last_touch_ = Clock::now();
  // Only entries this worker still owns: one another worker took over (this one was too
  // slow to touch it) is left to that worker.
  auto reply = redis_->try_command(
      {"XPENDING", stream_, group_, "-", "+", std::to_string(in_hand() * 2 + 16), consumer_});
  if (!reply.ok() || reply->view().is_error()) return;
  std::set<std::string> owned;
  for (std::size_t i = 0; i < reply->view().size(); ++i) owned.insert(reply->view()[i][0].text());
  std::vector<std::string> args = {"XCLAIM", stream_, group_, consumer_, "0"};
  const std::size_t fixed = args.size();
  for (const auto& [local, r] : running_)
    if (owned.count(r.job.entry_id)) args.push_back(r.job.entry_id);
  for (const auto& [local, job] : ending_)
    if (owned.count(job.entry_id)) args.push_back(job.entry_id);
  if (args.size() == fixed) return;
  args.push_back("JUSTID");  // resets the idle time; the delivery count stays
  (void)redis_->try_command(args);
}

void RedisSource::dead_letter(Context& ctx, const std::string& entry_id,
                              const std::string& job_json, const std::string& error) {
  auto reply = redis_->try_command({"XADD", dead_letter_, "*", "job", job_json, "error", error,
                                    "entry", entry_id, "worker", consumer_});
  // Not written: it stays pending, and is claimed and tried again later.
  if (!reply.ok() || reply->view().is_error()) return;
  ctx.add_to_counter("dead_letters");
  acks_.push_back(entry_id);
}

bool RedisSource::idle_batch_done() {
  auto reply = redis_->try_command({"XPENDING", stream_, group_});
  if (!reply.ok() || reply->view().is_error()) return false;
  return reply->view()[0].integer() == 0;  // [count, smallest id, greatest id, consumers]
}

Status RedisSource::close(Context& /*ctx*/) {
  (void)flush_acks();
  return ok();
}

}  // namespace sluice::sources
