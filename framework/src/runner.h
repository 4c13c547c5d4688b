// Runner: runs a validated Pipeline, one thread per node instance, until every source
// has ended and every packet has been processed, or the run is stopped or fails.
//
//   Runner runner(pipeline);
//   RunReport report = runner.run();   // blocks
//
// - Each node instance lives on one thread of its own from open to close: open, process and
//   close all run there, so what a plugin sets up per thread (LibTorch's OpenMP team and
//   thread count, a CUDA stream, thread-local caches) belongs to the thread that uses it.
// - Opens run one at a time in topological order, each on its instance's thread, before
//   any packet flows; a failing open ends the run, and what was opened is closed (last
//   opened first) on its own thread.
// - Each node's inputs are bounded queues (Inbox). End of stream flows downstream: a node
//   ends once all its inputs have ended and are drained, then closes.
// - request_stop() (async-signal-safe) stops the sources; everything in flight is still
//   processed, so sinks close their outputs completely.
// - A node error (Status or exception) with on_error = "fail" stops the run: sources stop,
//   other nodes discard what is queued, every opened node is closed, and the report
//   carries the error naming node, stream and frame. With "skip", that input set is
//   dropped and counted.
#pragma once

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "pipeline.h"
#include "run_report.h"
#include "stream_event.h"

namespace sluice::runtime {

struct Progress {
  int64_t frames = 0;     // packets emitted by sources so far
  int64_t expected = -1;  // what the sources will emit in all, or -1 when unknown
};

class Runner {
 public:
  explicit Runner(const Pipeline& pipeline);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Opens every node, runs the graph to the end (or request_stop()), closes, reports.
  // Asks malloc to keep freed memory for reuse first (keep_freed_memory.h).
  RunReport run();
  void request_stop() { stop_.store(true, std::memory_order_relaxed); }
  // Before run(): the run serves the control API, so sources that take streams wait for
  // new ones when theirs have ended (Context::serving).
  void set_serving(bool serving) { serving_ = serving; }
  // A source's control of its streams (Node::stream_control), or nullptr when the node
  // is not such a source or the run has not opened yet; with the run's id of local
  // stream `local` through stream_id_of.
  StreamControl* stream_control(const std::string& node) const;
  // A source's intake of served requests (Node::request_intake), or nullptr likewise.
  RequestIntake* request_intake(const std::string& node) const;

  // Live preview (the service's /preview/NODE). While `interval_ns` > 0, node `node`
  // offers the packets of an input set (a source: a packet it sends) at most once per
  // interval; only the latest is kept, so the pipeline never waits for a viewer. 0: off.
  // False when there is no such node.
  bool set_preview_interval(const std::string& node, int64_t interval_ns);
  // The latest packets `node` offered, when newer than number `after` (0 at first): true
  // with `packets` and their `number` set, else false.
  bool latest_preview(const std::string& node, uint64_t after, std::vector<Packet>& packets,
                      uint64_t& number) const;
  uint32_t stream_id_of(const std::string& node, uint32_t local) const;
  uint32_t local_stream_of(const std::string& node, uint32_t stream_id) const;
  Progress progress() const;
  // The figures so far, read while the run goes on (from any thread): the same report as
  // run()'s, with run_s the time since the threads started. No nodes before they have all
  // opened.
  RunReport snapshot() const;

 private:
  struct NodeRuntime;
  struct Target;

  Status open_all();
  void instance_thread(NodeRuntime& n, std::size_t replica, Node* instance, std::size_t index,
                       std::promise<Status> opened);
  void close_unstarted();
  void run_source(NodeRuntime& n, std::size_t replica);
  void run_node(NodeRuntime& n, std::size_t replica);
  void finish_instance(NodeRuntime& n, std::size_t replica);
  NodeRuntime* find(const std::string& node) const;  // by name; nullptr when none
  void offer_preview(NodeRuntime& n, const std::vector<Packet>& packets);
  void deliver(NodeRuntime& n, std::vector<std::pair<int, Packet>>& outputs,
               std::vector<Packet>& scratch);
  void fail(const NodeRuntime& n, const PacketHeader* at, const Status& s);
  // A terminal node is done with a stream: once every terminal it reaches is, its source
  // hears of it (stream_done, on the source's thread: call_stream_done).
  void acknowledge(const detail::StreamEvent& end);
  Status call_stream_done(NodeRuntime& n, Node& instance, Context& ctx);
  NodeReport report_of(const NodeRuntime& n) const;

  const Pipeline& pipeline_;
  std::vector<std::unique_ptr<NodeRuntime>> nodes_;
  std::atomic<bool> stop_{false};
  bool serving_ = false;
  std::atomic<bool> failed_{false};
  std::atomic<bool> started_{false};
  std::atomic<int64_t> run_started_ns_{0};
  std::atomic<int64_t> last_trim_ns_{0};  // when freed memory was last given back
  std::mutex streams_mu_;
  std::map<uint32_t, int> terminals_left_;  // stream id -> terminals not done with it yet
  mutable std::mutex error_mu_;
  Status first_error_;

  // Instance threads, in the order their instances were opened. Each waits after its open
  // until run() says go, or close_unstarted() says it is its turn to close.
  enum class Go { kWait, kRun, kClose };
  std::vector<std::thread> threads_;
  std::mutex go_mu_;
  std::condition_variable go_cv_;
  Go go_ = Go::kWait;
  std::size_t close_turn_ = 0;  // with kClose: the index in threads_ that closes now
};

}  // namespace sluice::runtime
