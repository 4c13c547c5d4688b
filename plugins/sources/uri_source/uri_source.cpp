#include "uri_source.h"

#include <algorithm>
#include <chrono>

#include "uri_reader.h"

namespace sluice::sources {
namespace {

// How many ended streams stream_statuses still lists.
constexpr std::size_t kHistory = 64;
// How long process() waits for a frame before returning (so a stop is seen).
constexpr auto kIdleWait = std::chrono::milliseconds(20);

}  // namespace

UriSource::~UriSource() { stop_all(); }

Status UriSource::open(const Params& p) {
  uris_ = p.get(kUris);
  loop_ = p.get(kLoop);
  realtime_ = p.get(kRealtime);
  buffer_ = static_cast<std::size_t>(p.get(kBuffer));
  fail_on_failure_ = p.get(kOnStreamFailure) == "fail";
  when_idle_ = p.get(kWhenIdle);
  network_ = network_params::read(p, kMaxReconnects);
  // Every stream must open before the run starts: a wrong URI is a mistake to report now.
  std::vector<std::unique_ptr<FrameReader>> readers;
  for (std::size_t i = 0; i < uris_.size(); ++i) {
    auto reader = open_reader(uris_[i]);
    if (!reader.ok())
      return Status(reader.status().code(),
                    "uris[" + std::to_string(i) + "]: " + reader.status().message());
    readers.push_back(std::move(*reader));
  }
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < uris_.size(); ++i)
    start_stream_locked(uris_[i], std::move(readers[i]));
  declared_ = static_cast<int>(uris_.size());
  return ok();
}

Result<std::unique_ptr<FrameReader>> UriSource::open_reader(const std::string& uri) const {
  return open_uri_reader(uri, {.loop = loop_, .realtime = realtime_, .network = network_});
}

uint32_t UriSource::start_stream_locked(const std::string& uri,
                                        std::unique_ptr<FrameReader> reader) {
  auto stream = std::make_unique<Stream>();
  Stream& s = *stream;
  s.local = next_local_++;
  s.uri_text = redact_url(uri);
  s.live = kind_of(uri) != UriKind::kFile;
  s.reader = std::move(reader);
  s.status.local_stream = s.local;
  s.status.uri = s.uri_text;
  s.status.state = "up";
  streams_[s.local] = std::move(stream);
  s.thread = std::thread([this, &s] { read_stream(s); });
  return s.local;
}

void UriSource::read_stream(Stream& s) {
  ReaderEnv env;
  env.stopping = [&s] { return s.stop.load(std::memory_order_relaxed); };
  env.count = [this, &s](const std::string& name, int64_t n) {
    std::lock_guard lock(mu_);
    s.counts[name] += n;
    if (name == "reconnects") s.status.reconnects += n;
  };
  std::string reason = "removed";
  bool failed = false;
  while (!s.stop.load(std::memory_order_relaxed)) {
    cv::Mat image;
    int64_t pts = 0;
    Status status = s.reader->next(env, image, pts);
    std::unique_lock lock(mu_);
    if (status.end_of_stream() && !s.stop.load()) {
      reason = "end";
      break;
    }
    if (!status.ok() && !status.end_of_stream()) {
      reason = "failed: " + status.message();
      failed = true;
      break;
    }
    s.status.state = s.reader->connected() ? "up" : "reconnecting";
    s.status.error = s.reader->last_problem();
    if (image.empty()) continue;
    if (s.frames.size() >= buffer_) {
      if (s.live) {
        s.frames.pop_front();  // stay live: the newest frames matter
        ++s.counts["dropped_frames"];
      } else {
        space_cv_.wait(lock, [&] { return s.frames.size() < buffer_ || s.stop.load(); });
        if (s.stop.load()) break;
      }
    }
    s.frames.emplace_back(std::move(image), pts);
    ++s.status.frames;
    data_cv_.notify_all();
  }
  std::lock_guard lock(mu_);
  s.finished = true;
  s.end_reason = s.removed ? "removed" : closing_ ? "stopped" : reason;
  s.status.state = failed ? "failed" : "ended";
  if (failed) s.status.error = reason.substr(std::string("failed: ").size());
  data_cv_.notify_all();
}

Status UriSource::process(Context& ctx) {
  struct Ended {
    uint32_t local;
    std::string reason;
    bool failed;
  };
  struct Ready {
    uint32_t local;
    int64_t seq;
    cv::Mat image;
    int64_t pts_us;
  };
  std::vector<Ready> frames;
  std::vector<Ended> ended;
  std::vector<std::thread> finished_threads;
  std::map<std::string, int64_t> counts;
  bool idle = false;
  {
    std::unique_lock lock(mu_);
    auto ready = [&] {
      for (const auto& [local, s] : streams_)
        if (!s->frames.empty() || s->finished) return true;
      return false;
    };
    if (!ready()) data_cv_.wait_for(lock, kIdleWait, ready);
    // One frame per stream per call, starting with a different stream each time.
    std::vector<uint32_t> order;
    for (const auto& [local, s] : streams_) order.push_back(local);
    std::rotate(order.begin(), std::lower_bound(order.begin(), order.end(), turn_), order.end());
    for (uint32_t local : order) {
      Stream& s = *streams_.at(local);
      for (auto& [name, n] : s.counts) counts[name] += n;
      s.counts.clear();
      if (!s.frames.empty()) {
        auto& [image, pts] = s.frames.front();
        frames.push_back({local, s.seq++, std::move(image), pts});
        s.frames.pop_front();
        continue;
      }
      if (!s.finished) continue;
      ended.push_back({local, s.end_reason, s.status.state == "failed"});
      finished_threads.push_back(std::move(s.thread));
      history_.push_back(s.status);
      if (history_.size() > kHistory) history_.pop_front();
    }
    for (const Ended& e : ended) streams_.erase(e.local);
    if (!order.empty()) turn_ = order.front() + 1;
    idle = streams_.empty();
  }
  space_cv_.notify_all();
  for (auto& t : finished_threads) t.join();
  for (const auto& [name, n] : counts) ctx.add_to_counter(name, n);
  for (Ready& f : frames)
    ctx.send(kOut, Frame{std::move(f.image), PixelFormat::kBGR},
             ctx.source_header(f.local, f.seq, f.pts_us));
  for (const Ended& e : ended) {
    ctx.end_stream(e.local, e.reason);
    if (e.failed && fail_on_failure_)
      return unavailable("stream " + std::to_string(e.local) + " " + e.reason);
  }
  if (idle && frames.empty()) {
    const bool wait = when_idle_ == "wait" || (when_idle_ == "auto" && ctx.serving());
    if (!wait) return end_of_stream();
  }
  return ok();
}

Status UriSource::close(Context&) {
  stop_all();
  return ok();
}

void UriSource::stop_all() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (auto& [local, s] : streams_) {
      s->stop = true;
      if (s->thread.joinable()) threads.push_back(std::move(s->thread));
    }
  }
  space_cv_.notify_all();
  for (auto& t : threads) t.join();
}

Result<uint32_t> UriSource::add_stream(const std::string& uri) {
  {
    std::lock_guard lock(mu_);
    if (closing_) return unavailable("the source is closing");
  }
  // Opened outside the lock: it may take up to open_timeout_ms, and the others go on.
  SLUICE_ASSIGN_OR_RETURN(auto reader, open_reader(uri));
  std::lock_guard lock(mu_);
  if (closing_) return unavailable("the source is closing");
  return start_stream_locked(uri, std::move(reader));
}

Status UriSource::remove_stream(uint32_t local_stream) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(local_stream);
  if (it == streams_.end() || it->second->finished || it->second->removed)
    return not_found("no stream " + std::to_string(local_stream) + " is running on this source");
  it->second->removed = true;
  it->second->stop = true;
  it->second->status.state = "ending";
  space_cv_.notify_all();
  return ok();
}

std::vector<StreamStatus> UriSource::stream_statuses() const {
  std::lock_guard lock(mu_);
  std::vector<StreamStatus> out(history_.begin(), history_.end());
  for (const auto& [local, s] : streams_) out.push_back(s->status);
  std::sort(out.begin(), out.end(), [](const StreamStatus& a, const StreamStatus& b) {
    return a.local_stream < b.local_stream;
  });
  return out;
}

}  // namespace sluice::sources

SLUICE_EXPORT_NODES(sluice::sources::UriSource)
