// RunReport: what a run did, per node; printed as a table or written as JSON.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "latency_histogram.h"
#include "queue_spec.h"
#include "sluice/contract.h"
#include "sluice/status.h"

namespace sluice::runtime {

struct QueueReport {
  std::string port;
  int64_t capacity = 0;
  Overflow overflow = Overflow::kBlock;
  int64_t high_water = 0;
  int64_t dropped = 0;    // by the overflow policy
  int64_t unmatched = 0;  // waited for a partner on another input that never came
  int64_t depth = 0;      // queued when the report was taken (0 at the end of a run)
};

struct NodeReport {
  std::string name;
  std::string plugin;
  NodeKind kind = NodeKind::kOther;
  int replicas = 1;
  int64_t processed = 0;  // input sets processed (sources: process calls that sent packets)
  int64_t emitted = 0;    // packets sent
  int64_t errors = 0;     // failed calls (skipped with on_error = "skip", or the one that failed)
  double active_s = 0;    // from the first call's start to the last call's end
  LatencyHistogram latency;     // time inside process() per input set
  LatencyHistogram end_to_end;  // sinks: from the source emitting to the sink finishing
  std::vector<QueueReport> queues;
  std::map<std::string, int64_t> counters;  // the node's own (Context::add_to_counter)

  int64_t dropped() const;  // policy drops plus unmatched, over all inputs
  double fps() const;
};

struct RunReport {
  std::string pipeline;
  Status status;             // ok, or the first error
  bool interrupted = false;  // stopped by a signal
  double wall_s = 0;         // open, run and close
  double run_s =
      0;  // from the threads' start to the last one's end (no open: model loading, warm-up)
  std::vector<NodeReport> nodes;
};

std::string format_table(const RunReport& report);
std::string to_json(const RunReport& report);
// The same as a JSON value, for a document that embeds it (the service's /api/pipeline).
nlohmann::json report_json(const RunReport& report);

}  // namespace sluice::runtime
