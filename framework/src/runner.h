// Runner: runs a validated Pipeline, one thread per node instance, until every source
// has ended and every packet has been processed, or the run is stopped or fails.
//
//   Runner runner(pipeline);
//   RunReport report = runner.run();   // blocks
//
// - Opens nodes in topological order before any thread starts; a failing open ends the
//   run before any packet flows.
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
#include <memory>

#include "pipeline.h"
#include "run_report.h"

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

  RunReport run();
  void request_stop() { stop_.store(true, std::memory_order_relaxed); }
  Progress progress() const;

 private:
  struct NodeRuntime;
  struct Target;

  Status open_all();
  void close_unstarted();
  void run_source(NodeRuntime& n, std::size_t replica);
  void run_node(NodeRuntime& n, std::size_t replica);
  void finish_instance(NodeRuntime& n, std::size_t replica);
  void deliver(NodeRuntime& n, std::vector<std::pair<int, Packet>>& outputs,
               std::vector<Packet>& scratch);
  void fail(const NodeRuntime& n, const PacketHeader* at, const Status& s);
  NodeReport report_of(NodeRuntime& n) const;

  const Pipeline& pipeline_;
  std::vector<std::unique_ptr<NodeRuntime>> nodes_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> started_{false};
  std::mutex error_mu_;
  Status first_error_;
};

}  // namespace sluice::runtime
