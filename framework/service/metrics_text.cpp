#include "metrics_text.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace sluice::service {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Labels;

// Prometheus' buckets for durations, in seconds (its client libraries' defaults, widened
// down to 100 us for fast nodes).
const prometheus::Histogram::BucketBoundaries kSeconds{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

void observe(prometheus::Histogram& h, const runtime::LatencyHistogram& from) {
  std::vector<double> bounds_ns;
  for (double s : kSeconds) bounds_ns.push_back(s * 1e9);
  std::vector<double> increments;
  for (int64_t n : from.counts_in(bounds_ns)) increments.push_back(static_cast<double>(n));
  h.ObserveMultiple(increments, static_cast<double>(from.sum_ns()) / 1e9);
}

}  // namespace

std::string prometheus_text(const runtime::RunReport& live, const ProcessFigures& process,
                            double uptime_s, const std::vector<NodeStream>& streams) {
  prometheus::Registry registry;
  // One family each: its name and help, as Prometheus shows them.
  auto counter = [&](const char* name, const char* help) -> auto& {
    return BuildCounter().Name(name).Help(help).Register(registry);
  };
  auto gauge_family = [&](const char* name, const char* help) -> auto& {
    return BuildGauge().Name(name).Help(help).Register(registry);
  };
  auto histogram = [&](const char* name, const char* help) -> auto& {
    return BuildHistogram().Name(name).Help(help).Register(registry);
  };
  auto& processed = counter("sluice_node_processed_total",
                            "Input sets processed (sources: calls that sent packets)");
  auto& emitted = counter("sluice_node_emitted_total", "Packets sent");
  auto& errors = counter("sluice_node_errors_total",
                         "Failed calls (skipped with on_error = \"skip\", or the one that failed)");
  auto& dropped = counter("sluice_node_dropped_total",
                          "Packets dropped at an input, by reason: overflow (the queue's "
                          "policy) or unmatched (no partner on another input)");
  auto& events = counter("sluice_node_events_total",
                         "The node's own counters (reconnects, forward_passes, ...)");
  auto& depth = gauge_family("sluice_node_queue_depth", "Packets waiting at an input now");
  auto& high_water =
      gauge_family("sluice_node_queue_high_water", "Most packets waiting at an input at once");
  auto& capacity = gauge_family("sluice_node_queue_capacity", "Capacity of an input's queue");
  auto& process_seconds =
      histogram("sluice_node_process_seconds", "Time in process() per input set");
  auto& end_to_end = histogram("sluice_node_end_to_end_seconds",
                               "Sinks: from the source sending a packet to the sink finishing it");
  for (const runtime::NodeReport& n : live.nodes) {
    const Labels node{{"node", n.name}, {"plugin", n.plugin}};
    processed.Add(node).Increment(static_cast<double>(n.processed));
    emitted.Add(node).Increment(static_cast<double>(n.emitted));
    errors.Add(node).Increment(static_cast<double>(n.errors));
    for (const auto& [name, value] : n.counters) {
      Labels l = node;
      l["counter"] = name;
      events.Add(l).Increment(static_cast<double>(value));
    }
    for (const runtime::QueueReport& q : n.queues) {
      Labels l = node;
      l["port"] = q.port;
      depth.Add(l).Set(static_cast<double>(q.depth));
      high_water.Add(l).Set(static_cast<double>(q.high_water));
      capacity.Add(l).Set(static_cast<double>(q.capacity));
      Labels overflow = l, unmatched = l;
      overflow["reason"] = "overflow";
      unmatched["reason"] = "unmatched";
      dropped.Add(overflow).Increment(static_cast<double>(q.dropped));
      dropped.Add(unmatched).Increment(static_cast<double>(q.unmatched));
    }
    observe(process_seconds.Add(node, kSeconds), n.latency);
    if (n.end_to_end.count() > 0) observe(end_to_end.Add(node, kSeconds), n.end_to_end);
  }

  if (!streams.empty()) {
    auto& frames = counter("sluice_stream_frames_total", "Frames read from a stream");
    auto& reconnects =
        counter("sluice_stream_reconnects_total", "Times a stream came back after dropping");
    auto& up = gauge_family("sluice_stream_up",
                            "1 while a stream delivers, 0 while it reconnects or has ended");
    for (const NodeStream& st : streams) {
      const Labels l{{"node", st.node}, {"stream", std::to_string(st.id)}, {"uri", st.status.uri}};
      frames.Add(l).Increment(static_cast<double>(st.status.frames));
      reconnects.Add(l).Increment(static_cast<double>(st.status.reconnects));
      up.Add(l).Set(st.status.state == "up" ? 1 : 0);
    }
  }

  auto gauge = [&](const char* name, const char* help, double value) {
    gauge_family(name, help).Add({}).Set(value);
  };
  gauge("sluice_process_resident_memory_bytes", "Resident memory of the sluice process",
        static_cast<double>(process.resident_bytes));
  gauge("sluice_process_threads", "Threads of the sluice process",
        static_cast<double>(process.threads));
  gauge("sluice_process_open_fds", "Open file descriptors of the sluice process",
        static_cast<double>(process.open_fds));
  gauge("sluice_process_heap_in_use_bytes", "Memory allocated through malloc and not yet freed",
        static_cast<double>(process.heap_in_use_bytes));
  gauge("sluice_process_heap_free_bytes", "Memory freed and kept by malloc for reuse",
        static_cast<double>(process.heap_free_bytes));
  gauge("sluice_process_uptime_seconds", "Time since the service started", uptime_s);
  gauge("sluice_run_seconds", "Time since the pipeline's threads started", live.run_s);
  gauge("sluice_run_failed", "1 once the run has failed", live.status.ok() ? 0 : 1);

  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

}  // namespace sluice::service
