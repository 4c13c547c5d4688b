#include "runner.h"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "guarded_call.h"
#include "inbox.h"
#include "keep_freed_memory.h"
#include "node_call.h"
#include "stream_event.h"

namespace sluice::runtime {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "open: why", unless the message already says "open threw: why".
Status in_stage(const char* stage, const Status& s) {
  if (s.message().rfind(std::string(stage) + " threw", 0) == 0) return s;
  return Status(s.code(), fmt::format("{}: {}", stage, s.message()));
}

// A source that keeps failing under on_error = "skip" would spin forever.
constexpr int kMaxConsecutiveSourceErrors = 1000;
// Input sets one thread takes per lock; fewer for drop policies, so drops act on fresh data.
constexpr std::size_t kMaxBatch = 16;
// Stream ids one source may add while it runs (a stream a minute for 30 years).
constexpr uint32_t kDynamicStreamsPerSource = 1u << 24;
// Freed memory is given back when a stream has ended everywhere, at most this often.
constexpr std::chrono::nanoseconds kTrimInterval = std::chrono::seconds(10);
// How long a source that has ended waits between checks for a failed run.
constexpr auto kAcknowledgePoll = std::chrono::milliseconds(50);

}  // namespace

// What one instance's thread counts, as it goes: that thread alone writes, and a report
// (the final one, or a live one while the run goes on) reads every instance's.
struct InstanceStats {
  std::atomic<int64_t> processed{0}, errors{0}, first_ns{0}, last_ns{0};
  LatencyHistogram latency, end_to_end;

  void add_processed(int64_t n) { processed.fetch_add(n, std::memory_order_relaxed); }
  void add_errors(int64_t n) { errors.fetch_add(n, std::memory_order_relaxed); }
  void started_at(int64_t ns) {
    if (first_ns.load(std::memory_order_relaxed) == 0)
      first_ns.store(ns, std::memory_order_relaxed);
  }
  void ended_at(int64_t ns) { last_ns.store(ns, std::memory_order_relaxed); }
};

struct Runner::Target {
  Inbox* inbox;
  int port;
};

struct Runner::NodeRuntime {
  const PipelineNode* spec = nullptr;
  uint32_t index = 0;         // in the pipeline's nodes
  bool terminal = false;      // no links out: where a stream's end is acknowledged
  int terminals_reached = 0;  // sources: terminal nodes downstream
  // Sources: ends of its streams acknowledged by every terminal, for stream_done on the
  // source's thread; and how many ended streams await that.
  std::mutex done_mu;
  std::condition_variable done_cv;
  std::vector<StreamEnd> done;
  int64_t streams_unacknowledged = 0;          // under done_mu
  std::vector<NodePtr> instances;              // one per replica
  std::vector<detail::ContextState> contexts;  // one per replica
  std::unique_ptr<Inbox> inbox;                // null for sources
  std::vector<std::vector<Target>> targets;    // per output port
  std::size_t batch = kMaxBatch;               // input sets popped at once
  bool batching = false;     // the node takes a batch of sets per call (max_batch > 1)
  int64_t max_delay_us = 0;  // batching: how long to wait for a fuller batch

  std::atomic<int64_t> emitted{0};
  std::atomic<int> instances_running{0};
  int64_t expected_frames = -1;  // sources: asked once after open, never during the run

  // Restores input order after replicas: a batch is delivered when its ticket comes up.
  std::mutex order_mu;
  std::condition_variable order_cv;
  int64_t next_ticket = 0;

  std::vector<std::unique_ptr<InstanceStats>> stats;  // one per replica
  StreamControl* stream_control = nullptr;            // sources that take streams
  RequestIntake* request_intake = nullptr;            // sources that take requests

  // Live preview (Runner::set_preview_interval): off while the interval is 0.
  std::atomic<int64_t> preview_interval_ns{0};
  std::atomic<int64_t> preview_due_ns{0};
  mutable std::mutex preview_mu;
  std::vector<Packet> preview;  // the latest offered, under preview_mu
  uint64_t preview_number = 0;
};

Runner::Runner(const Pipeline& pipeline) : pipeline_(pipeline) {
  // Which sources feed each node (the nodes are in topological order): a stream's end
  // comes into a port once per link that carries that source's streams.
  const std::size_t count = pipeline.nodes.size();
  std::vector<std::vector<bool>> fed_by(count, std::vector<bool>(count, false));
  std::vector<int> terminals_of_source(count, 0);  // terminal nodes each source reaches
  for (std::size_t i = 0; i < count; ++i) {
    if (pipeline.nodes[i].is_source()) fed_by[i][i] = true;
    for (const Edge& e : pipeline.edges)
      if (static_cast<std::size_t>(e.to_node) == i)
        for (std::size_t s = 0; s < count; ++s)
          if (fed_by[e.from_node][s]) fed_by[i][s] = true;
  }
  for (std::size_t i = 0; i < count; ++i) {
    const PipelineNode& pn = pipeline.nodes[i];
    auto n = std::make_unique<NodeRuntime>();
    n->spec = &pn;
    n->index = static_cast<uint32_t>(i);
    n->targets.resize(pn.contract().outputs.size());
    n->terminal = std::none_of(pipeline.edges.begin(), pipeline.edges.end(),
                               [&](const Edge& e) { return e.from_node == static_cast<int>(i); });
    if (n->terminal && !pn.is_source())
      for (std::size_t s = 0; s < count; ++s)
        if (fed_by[i][s]) ++terminals_of_source[s];
    if (!pn.is_source()) {
      std::vector<int> producers(pn.contract().inputs.size(), 0);
      std::vector<std::vector<int>> ends(count, std::vector<int>(producers.size(), 0));
      for (const Edge& e : pipeline.edges) {
        if (static_cast<std::size_t>(e.to_node) != i) continue;
        ++producers[e.to_port];
        for (std::size_t s = 0; s < count; ++s)
          if (fed_by[e.from_node][s]) ++ends[s][e.to_port];
      }
      n->inbox = std::make_unique<Inbox>(pn.input_queues, producers, inputs_matched(pn.contract()),
                                         std::move(ends));
      bool drop_policy = false;
      for (const auto& q : pn.input_queues) drop_policy |= q.overflow != Overflow::kBlock;
      n->batch = (pn.replicas > 1 || drop_policy) ? 1 : kMaxBatch;
    }
    nodes_.push_back(std::move(n));
  }
  for (const Edge& e : pipeline.edges)
    nodes_[e.from_node]->targets[e.from_port].push_back(
        {nodes_[e.to_node]->inbox.get(), e.to_port});
  for (auto& n : nodes_) n->terminals_reached = terminals_of_source[n->index];
}

Runner::~Runner() {
  if (!threads_.empty()) close_unstarted();  // run() was never called after open
}

Progress Runner::progress() const {
  Progress p;
  int64_t expected = 0;
  bool known = true;
  for (const auto& n : nodes_) {
    if (!n->spec->is_source()) continue;
    p.frames += n->emitted.load(std::memory_order_relaxed);
    if (!started_.load()) {
      known = false;
      continue;
    }
    if (n->expected_frames < 0)
      known = false;
    else
      expected += n->expected_frames;
  }
  p.expected = known ? expected : -1;
  return p;
}

void Runner::fail(const NodeRuntime& n, const PacketHeader* at, const Status& s) {
  {
    std::lock_guard lock(error_mu_);
    if (first_error_.ok()) {
      // A stream's start or end has no frame (seq -1).
      std::string where = !at ? ""
                          : at->seq < 0
                              ? fmt::format(" on stream {}", at->stream_id)
                              : fmt::format(" on stream {} frame {}", at->stream_id, at->seq);
      first_error_ = Status(s.code(), fmt::format("node '{}' ({}) failed{}: {}", n.spec->name,
                                                  n.spec->contract().type, where, s.message()));
    }
  }
  failed_.store(true);
  stop_.store(true);
}

Status Runner::open_all() {
  uint32_t stream_base = 0;
  for (auto& n : nodes_) {
    const PipelineNode& pn = *n->spec;
    n->contexts.resize(pn.replicas);
    for (int r = 0; r < pn.replicas; ++r) n->stats.push_back(std::make_unique<InstanceStats>());
    for (int r = 0; r < pn.replicas; ++r) {
      Result<NodePtr> node = create_node(*pn.type);
      if (!node.ok()) {
        fail(*n, nullptr, node.status());
        return first_error_;
      }
      n->instances.push_back(std::move(*node));
      n->contexts[r] = make_context_state(pn.contract(), pn.type->library, &stop_, pn.name);
      n->contexts[r].serving = serving_;
      Node* instance = n->instances.back().get();
      std::promise<Status> opened;
      std::future<Status> result = opened.get_future();
      const std::size_t index = threads_.size();
      NodeRuntime* runtime = n.get();
      threads_.emplace_back([this, runtime, r, instance, index, p = std::move(opened)]() mutable {
        instance_thread(*runtime, static_cast<std::size_t>(r), instance, index, std::move(p));
      });
      Status s = result.get();
      if (!s.ok()) {
        fail(*n, nullptr, in_stage("open", s));
        return first_error_;
      }
    }
    if (!pn.is_source()) {
      Node* first = n->instances[0].get();
      int max_batch = 1;
      int64_t max_delay_us = 0;
      Status s = guarded_call("max_batch()", [&] {
        max_batch = first->max_batch();
        max_delay_us = first->max_delay_us();
        return ok();
      });
      if (!s.ok()) {
        fail(*n, nullptr, s);
        return first_error_;
      }
      if (max_batch > 1) {
        n->batching = true;
        n->batch = static_cast<std::size_t>(max_batch);
        n->max_delay_us = std::max<int64_t>(max_delay_us, 0);
      }
    }
    if (pn.is_source()) {
      int streams = 1;
      Node* first = n->instances[0].get();
      Status s = guarded_call("streams()", [&] {
        streams = first->streams();
        n->expected_frames = first->expected_frames();
        return ok();
      });
      if (!s.ok()) {
        fail(*n, nullptr, s);
        return first_error_;
      }
      for (auto& ctx : n->contexts) {
        ctx.stream_base = stream_base;
        ctx.static_streams = static_cast<uint32_t>(std::max(streams, 0));
        ctx.is_source = true;
        ctx.node_index = n->index;
      }
      stream_base += static_cast<uint32_t>(std::max(streams, 0));
      Status control = guarded_call("stream_control()", [&] {
        n->stream_control = first->stream_control();
        n->request_intake = first->request_intake();
        return ok();
      });
      if (!control.ok()) {
        fail(*n, nullptr, control);
        return first_error_;
      }
    }
  }
  // Streams a source adds while running get ids of a range of its own, above the declared.
  uint32_t dynamic_base = stream_base;
  for (auto& n : nodes_) {
    if (!n->spec->is_source()) continue;
    for (auto& ctx : n->contexts) ctx.dynamic_base = dynamic_base;
    dynamic_base += kDynamicStreamsPerSource;
  }
  return ok();
}

void Runner::instance_thread(NodeRuntime& n, std::size_t replica, Node* instance, std::size_t index,
                             std::promise<Status> opened) {
  std::string thread_name = n.spec->name.substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  Status s = guarded_call("open", [&] { return instance->open(n.spec->params); });
  const bool ok = s.ok();
  opened.set_value(std::move(s));
  if (!ok) return;
  Go go;
  {
    std::unique_lock lock(go_mu_);
    go_cv_.wait(lock,
                [&] { return go_ == Go::kRun || (go_ == Go::kClose && close_turn_ == index); });
    go = go_;
  }
  if (go == Go::kRun) {
    if (n.spec->is_source())
      run_source(n, replica);
    else
      run_node(n, replica);
    return;
  }
  // The run ended before it started: close, and drop whatever close sent.
  Context ctx(n.contexts[replica]);
  (void)guarded_call("close", [&] { return instance->close(ctx); });
  n.contexts[replica].outputs.clear();
}

void Runner::close_unstarted() {
  // Close what was opened, last opened first, each on its own thread.
  for (std::size_t i = threads_.size(); i-- > 0;) {
    {
      std::lock_guard lock(go_mu_);
      go_ = Go::kClose;
      close_turn_ = i;
    }
    go_cv_.notify_all();
    threads_[i].join();
  }
  threads_.clear();
}

void Runner::offer_preview(NodeRuntime& n, const std::vector<Packet>& packets) {
  // One relaxed load per input set while nobody watches; with a viewer, a copy of the
  // packets (shared payloads) a few times a second.
  const int64_t interval = n.preview_interval_ns.load(std::memory_order_relaxed);
  if (interval <= 0) return;
  const int64_t now = now_ns();
  if (now < n.preview_due_ns.load(std::memory_order_relaxed)) return;
  n.preview_due_ns.store(now + interval, std::memory_order_relaxed);
  std::lock_guard lock(n.preview_mu);
  n.preview = packets;
  ++n.preview_number;
}

Runner::NodeRuntime* Runner::find(const std::string& node) const {
  for (const auto& n : nodes_)
    if (n->spec->name == node) return n.get();
  return nullptr;
}

bool Runner::set_preview_interval(const std::string& node, int64_t interval_ns) {
  NodeRuntime* n = find(node);
  if (n) n->preview_interval_ns.store(std::max<int64_t>(interval_ns, 0));
  return n != nullptr;
}

bool Runner::latest_preview(const std::string& node, uint64_t after, std::vector<Packet>& packets,
                            uint64_t& number) const {
  const NodeRuntime* n = find(node);
  if (!n) return false;
  std::lock_guard lock(n->preview_mu);
  if (n->preview_number <= after || n->preview.empty()) return false;
  packets = n->preview;
  number = n->preview_number;
  return true;
}

void Runner::deliver(NodeRuntime& n, std::vector<std::pair<int, Packet>>& outputs,
                     std::vector<Packet>& scratch) {
  if (outputs.empty()) return;
  if (n.spec->is_source() && n.preview_interval_ns.load(std::memory_order_relaxed) > 0)
    for (const auto& [p, packet] : outputs)
      if (p >= 0) {
        offer_preview(n, {packet});
        break;
      }
  const bool failed = failed_.load(std::memory_order_relaxed);
  int64_t data = 0;
  for (const auto& [p, packet] : outputs) {
    if (p >= 0) {
      ++data;
      continue;
    }
    // A source's stream end is counted before it goes out, so that its acknowledgement
    // finds it counted; with nothing downstream it is done as it ends.
    const detail::StreamEvent* e = detail::stream_event_of(packet);
    if (failed || !n.spec->is_source() || e->kind != detail::StreamEvent::Kind::kEnd) continue;
    std::lock_guard lock(n.done_mu);
    if (n.terminals_reached == 0)
      n.done.push_back(e->end);
    else
      ++n.streams_unacknowledged;
  }
  n.emitted.fetch_add(data, std::memory_order_relaxed);
  if (failed) {
    outputs.clear();
    return;
  }
  for (std::size_t port = 0; port < n.targets.size(); ++port) {
    const auto& targets = n.targets[port];
    scratch.clear();
    // A stream event (port -1) goes out on every port, in order with the data.
    for (auto& [p, packet] : outputs)
      if (p == static_cast<int>(port))
        scratch.push_back(std::move(packet));
      else if (p < 0)
        scratch.push_back(packet);
    if (scratch.empty() || targets.empty()) continue;
    if (targets.size() == 1) {
      targets[0].inbox->push_many(targets[0].port, scratch, false);
      continue;
    }
    // Fan-out goes packet by packet, every target in turn: pushing a whole batch to one
    // target first could block on it while a join downstream waits for the same packets
    // on another path (a deadlock once the batch is larger than a queue).
    for (Packet& p : scratch)
      for (std::size_t t = 0; t < targets.size(); ++t)
        targets[t].inbox->push(targets[t].port, t + 1 < targets.size() ? Packet(p) : std::move(p));
  }
  outputs.clear();
}

void Runner::acknowledge(const detail::StreamEvent& end) {
  NodeRuntime& source = *nodes_[end.source];
  {
    std::lock_guard lock(streams_mu_);
    auto [it, first] = terminals_left_.try_emplace(end.end.stream_id, source.terminals_reached);
    if (--it->second > 0) return;
    terminals_left_.erase(it);
  }
  std::lock_guard lock(source.done_mu);
  source.done.push_back(end.end);
  --source.streams_unacknowledged;
  source.done_cv.notify_all();
}

Status Runner::call_stream_done(NodeRuntime& n, Node& instance, Context& ctx) {
  std::vector<StreamEnd> done;
  {
    std::lock_guard lock(n.done_mu);
    done.swap(n.done);
  }
  for (const StreamEnd& end : done) {
    // Done everywhere: the source may reuse the id (node.h), so it is no longer "ended".
    // (This thread is the source's, the only one touching its contexts.)
    for (detail::ContextState& c : n.contexts) c.ended_streams.erase(end.stream_id);
    Status s = guarded_call("stream_done", [&] { return instance.stream_done(ctx, end); });
    if (!s.ok()) return in_stage("stream_done", s);
  }
  // A stream has ended everywhere: what its buffers took, malloc may give back.
  if (!done.empty()) {
    const int64_t now = now_ns();
    if (now - last_trim_ns_.load() >= kTrimInterval.count()) {
      last_trim_ns_.store(now);
      release_freed_memory();
    }
  }
  return ok();
}

void Runner::finish_instance(NodeRuntime& n, std::size_t replica) {
  detail::ContextState& state = n.contexts[replica];
  Context ctx(state);
  Node* instance = n.instances[replica].get();
  state.batch_size = 1;
  for (auto& set : state.sets)
    for (auto& p : set) p = Packet();
  Status s = guarded_call("close", [&] { return instance->close(ctx); });
  if (!s.ok()) fail(n, nullptr, in_stage("close", s));
  std::vector<Packet> scratch;
  if (n.spec->replicas > 1) {
    // Packets sent from close go out after every replica's ordered batches.
    std::lock_guard lock(n.order_mu);
    deliver(n, state.outputs, scratch);
  } else {
    deliver(n, state.outputs, scratch);
  }
  if (n.instances_running.fetch_sub(1) == 1) {
    // The last instance of this node: its outputs have ended.
    for (const auto& targets : n.targets)
      for (const Target& t : targets) t.inbox->producer_done(t.port);
  }
}

void Runner::run_source(NodeRuntime& n, std::size_t replica) {
  detail::ContextState& state = n.contexts[replica];
  Context ctx(state);
  Node* instance = n.instances[replica].get();
  std::vector<Packet> scratch;
  InstanceStats& stats = *n.stats[replica];
  int consecutive_errors = 0;
  start_declared_streams(state);
  deliver(n, state.outputs, scratch);
  std::string end_reason = "stopped";
  while (!stop_.load(std::memory_order_relaxed)) {
    Status done = call_stream_done(n, *instance, ctx);
    if (!done.ok()) {
      stats.add_errors(1);
      state.outputs.clear();
      if (n.spec->on_error == OnError::kFail) {
        fail(n, nullptr, done);
        break;
      }
    }
    deliver(n, state.outputs, scratch);
    stats.started_at(now_ns());
    Status s = guarded_call("process", [&] { return instance->process(ctx); });
    stats.ended_at(now_ns());
    if (s.end_of_stream()) {
      deliver(n, state.outputs, scratch);
      end_reason = "end";
      break;
    }
    if (!s.ok()) {
      stats.add_errors(1);
      const PacketHeader* at = nullptr;
      for (auto it = state.outputs.rbegin(); it != state.outputs.rend() && !at; ++it)
        if (it->first >= 0) at = &it->second.header();
      const PacketHeader where = at ? *at : PacketHeader{};
      // Stream events already made stay (a stream started or ended in the failed call).
      std::erase_if(state.outputs, [](const auto& o) { return o.first >= 0; });
      if (n.spec->on_error == OnError::kFail) {
        fail(n, at ? &where : nullptr, s);
        break;
      }
      deliver(n, state.outputs, scratch);
      if (++consecutive_errors >= kMaxConsecutiveSourceErrors) {
        fail(n, at ? &where : nullptr,
             Status(s.code(), fmt::format("failed {} times in a row, last: {}", consecutive_errors,
                                          s.message())));
        break;
      }
      continue;
    }
    consecutive_errors = 0;
    // No latency for sources: their process() mostly waits (pacing, a camera, the network).
    if (std::any_of(state.outputs.begin(), state.outputs.end(),
                    [](const auto& o) { return o.first >= 0; }))
      stats.add_processed(1);
    deliver(n, state.outputs, scratch);
  }
  // Every stream still open ends with the source; then it waits until every sink is done
  // with them, so that stream_done reaches it for each before close.
  end_open_streams(state, end_reason);
  deliver(n, state.outputs, scratch);
  while (!failed_.load()) {
    Status done = call_stream_done(n, *instance, ctx);
    if (!done.ok() && n.spec->on_error == OnError::kFail) {
      fail(n, nullptr, done);
      break;
    }
    std::unique_lock lock(n.done_mu);
    if (n.streams_unacknowledged == 0 && n.done.empty()) break;
    n.done_cv.wait_for(lock, kAcknowledgePoll, [&] { return !n.done.empty(); });
  }
  state.outputs.clear();  // stream_done sends nothing downstream once the streams ended
  finish_instance(n, replica);
}

void Runner::run_node(NodeRuntime& n, std::size_t replica) {
  detail::ContextState& state = n.contexts[replica];
  Context ctx(state);
  Node* instance = n.instances[replica].get();
  const Contract& contract = n.spec->contract();
  const bool is_sink = contract.outputs.empty();
  const bool ordered = n.spec->replicas > 1;
  std::vector<std::vector<Packet>> sets;
  std::vector<std::pair<int, Packet>> batch_outputs;
  std::vector<Packet> scratch;
  InstanceStats& stats = *n.stats[replica];

  while (true) {
    int64_t ticket = 0;
    const std::size_t count = n.inbox->pop(sets, n.batch, &ticket, n.max_delay_us);
    if (count == 0) break;
    // A stream event comes last (Inbox::pop): the data before it first.
    const detail::StreamEvent* event = event_in(sets[count - 1]);
    Packet event_packet;
    if (event)
      for (Packet& p : sets[count - 1])
        if (!p.empty()) event_packet = std::move(p);
    const std::size_t data_sets = event ? count - 1 : count;
    // A batching node takes the sets in one call; any other node one call per set.
    const std::size_t per_call = n.batching ? std::max<std::size_t>(data_sets, 1) : 1;
    for (std::size_t first = 0; first < data_sets; first += per_call) {
      if (failed_.load(std::memory_order_relaxed)) {
        for (std::size_t i = first; i < first + per_call; ++i)
          for (auto& p : sets[i]) p = Packet();
        continue;
      }
      Status s = load_input_sets(state, sets, first, per_call);
      offer_preview(n, state.sets[0]);
      const PacketHeader header = ctx.header();
      const int64_t t0 = now_ns();
      stats.started_at(t0);
      if (s.ok()) s = guarded_call("process", [&] { return instance->process(ctx); });
      const int64_t t1 = now_ns();
      stats.ended_at(t1);
      for (std::size_t i = 0; i < per_call; ++i) {
        stats.latency.record(t1 - t0);
        const int64_t created = ctx.header(i).created_ns;
        if (is_sink && created > 0) stats.end_to_end.record(t1 - created);
      }
      release_input_sets(state);
      if (!s.ok()) {
        stats.add_errors(static_cast<int64_t>(per_call));
        state.outputs.clear();
        if (n.spec->on_error == OnError::kFail) fail(n, &header, s);
        continue;
      }
      stats.add_processed(static_cast<int64_t>(per_call));
      for (auto& o : state.outputs) batch_outputs.push_back(std::move(o));
      state.outputs.clear();
    }
    if (event && !failed_.load(std::memory_order_relaxed)) {
      Status s = call_stream_hook(*instance, state, *event);
      if (!s.ok()) {
        stats.add_errors(1);
        state.outputs.clear();
        if (n.spec->on_error == OnError::kFail) {
          PacketHeader at;
          at.stream_id = event->end.stream_id;
          at.seq = -1;
          fail(n, &at, s);
        }
      }
      for (auto& o : state.outputs) batch_outputs.push_back(std::move(o));
      state.outputs.clear();
      batch_outputs.emplace_back(-1, event_packet);  // the event itself, after what it sent
    }
    // A terminal node is done with a stream once its end is delivered (in ticket order).
    auto deliver_all = [&] {
      deliver(n, batch_outputs, scratch);
      if (event && n.terminal && event->kind == detail::StreamEvent::Kind::kEnd && !failed_.load())
        acknowledge(*event);
    };
    if (ordered) {
      std::unique_lock lock(n.order_mu);
      n.order_cv.wait(lock, [&] { return n.next_ticket == ticket; });
      deliver_all();
      n.next_ticket += static_cast<int64_t>(count);
      n.order_cv.notify_all();
    } else {
      deliver_all();
    }
  }
  finish_instance(n, replica);
}

NodeReport Runner::report_of(const NodeRuntime& n) const {
  NodeReport r;
  const PipelineNode& pn = *n.spec;
  r.name = pn.name;
  r.plugin = pn.contract().type;
  r.kind = pn.contract().kind;
  r.replicas = pn.replicas;
  r.emitted = n.emitted.load();
  int64_t first_ns = 0, last_ns = 0;
  for (const auto& s : n.stats) {
    r.processed += s->processed.load(std::memory_order_relaxed);
    r.errors += s->errors.load(std::memory_order_relaxed);
    r.latency.merge(s->latency);
    r.end_to_end.merge(s->end_to_end);
    const int64_t first = s->first_ns.load(std::memory_order_relaxed);
    if (first && (first_ns == 0 || first < first_ns)) first_ns = first;
    last_ns = std::max(last_ns, s->last_ns.load(std::memory_order_relaxed));
  }
  r.active_s = last_ns > first_ns ? static_cast<double>(last_ns - first_ns) / 1e9 : 0;
  for (const auto& ctx : n.contexts) {
    std::lock_guard lock(ctx.counters->mu);
    for (const auto& [name, value] : ctx.counters->values) r.counters[name] += value;
  }
  if (n.inbox) {
    const auto counters = n.inbox->counters();
    for (std::size_t p = 0; p < counters.size(); ++p) {
      if (!pn.input_connected[p]) continue;
      r.queues.push_back({pn.contract().inputs[p].name, pn.input_queues[p].capacity,
                          pn.input_queues[p].overflow, counters[p].high_water, counters[p].dropped,
                          counters[p].unmatched, counters[p].depth});
    }
  }
  return r;
}

RunReport Runner::run() {
  keep_freed_memory();  // before the nodes allocate (keep_freed_memory.h says why)
  RunReport report;
  report.pipeline = pipeline_.name;
  const auto t0 = std::chrono::steady_clock::now();
  Status opened = open_all();
  if (!opened.ok()) {
    close_unstarted();
  } else {
    run_started_ns_.store(now_ns());
    started_.store(true);
    const auto t_run = std::chrono::steady_clock::now();
    for (auto& n : nodes_) n->instances_running.store(static_cast<int>(n->instances.size()));
    {
      std::lock_guard lock(go_mu_);
      go_ = Go::kRun;
    }
    go_cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    report.run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_run).count();
  }
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    std::lock_guard lock(error_mu_);
    report.status = first_error_;
  }
  report.interrupted = stop_.load() && !failed_.load();
  for (auto& n : nodes_) report.nodes.push_back(report_of(*n));
  return report;
}

StreamControl* Runner::stream_control(const std::string& node) const {
  const NodeRuntime* n = started_.load() ? find(node) : nullptr;
  return n ? n->stream_control : nullptr;
}

RequestIntake* Runner::request_intake(const std::string& node) const {
  const NodeRuntime* n = started_.load() ? find(node) : nullptr;
  return n ? n->request_intake : nullptr;
}

// The contexts are made by open_all(), before started_ is set: read them only once it is.
uint32_t Runner::stream_id_of(const std::string& node, uint32_t local) const {
  const NodeRuntime* n = started_.load() ? find(node) : nullptr;
  return n ? n->contexts[0].run_stream_id(local) : local;
}

uint32_t Runner::local_stream_of(const std::string& node, uint32_t stream_id) const {
  const NodeRuntime* n = started_.load() ? find(node) : nullptr;
  return n ? n->contexts[0].local_stream_id(stream_id) : stream_id;
}

RunReport Runner::snapshot() const {
  RunReport report;
  report.pipeline = pipeline_.name;
  {
    std::lock_guard lock(error_mu_);
    report.status = first_error_;
  }
  report.interrupted = stop_.load() && !failed_.load();
  const int64_t started = run_started_ns_.load();
  if (started > 0) report.run_s = static_cast<double>(now_ns() - started) / 1e9;
  // Nodes exist from construction; their stats and contexts are sized by open_all(),
  // before started_ is set: read them only once it is.
  if (!started_.load()) return report;
  // Downstream first: counts only grow, so a node read after the nodes it feeds shows at
  // least what they received from it (read in graph order, a sink could show more packets
  // than its upstream had sent, as the nodes go on between the reads).
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it)
    report.nodes.push_back(report_of(**it));
  std::reverse(report.nodes.begin(), report.nodes.end());
  return report;
}

}  // namespace sluice::runtime
