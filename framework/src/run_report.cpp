#include "run_report.h"

#include <fmt/format.h>
#include <sluice/text.h>

#include <nlohmann/json.hpp>

namespace sluice::runtime {

int64_t NodeReport::dropped() const {
  int64_t d = 0;
  for (const auto& q : queues) d += q.dropped + q.unmatched;
  return d;
}

double NodeReport::fps() const {
  const int64_t n = processed > 0 ? processed : emitted;
  return active_s > 0 ? static_cast<double>(n) / active_s : 0;
}

namespace {
// A duration with a unit that keeps three significant digits readable: 850us, 12.4ms, 2.10s.
std::string duration_text(const LatencyHistogram& h, double q) {
  if (!h.count()) return "-";
  const double ns = h.quantile_ns(q);
  if (ns < 1e3) return fmt::format("{:.0f}ns", ns);
  if (ns < 1e6) return fmt::format("{:.1f}us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f}ms", ns / 1e6);
  return fmt::format("{:.2f}s", ns / 1e9);
}
}  // namespace

std::string format_table(const RunReport& r) {
  std::size_t name_w = 4, plugin_w = 6;
  for (const auto& n : r.nodes) {
    name_w = std::max(name_w, n.name.size() + (n.replicas > 1 ? 4 : 0));
    plugin_w = std::max(plugin_w, n.plugin.size());
  }
  std::string out =
      fmt::format("{:<{}}  {:<{}}  {:>9}  {:>8}  {:>6}  {:>9}  {:>8}  {:>8}  {:>9}  {:>8}\n",
                  "node", name_w, "plugin", plugin_w, "processed", "dropped", "errors", "fps",
                  "p50", "p99", "queue max", "e2e p50");
  for (const auto& n : r.nodes) {
    std::string queue = "-";
    if (!n.queues.empty()) {
      int64_t hw = 0, cap = 0;
      for (const auto& q : n.queues)
        if (q.high_water >= hw) {
          hw = q.high_water;
          cap = q.capacity;
        }
      queue = fmt::format("{}/{}", hw, cap);
    }
    const std::string name = n.replicas > 1 ? fmt::format("{} x{}", n.name, n.replicas) : n.name;
    out += fmt::format(
        "{:<{}}  {:<{}}  {:>9}  {:>8}  {:>6}  {:>9.1f}  {:>8}  {:>8}  {:>9}  {:>8}\n", name, name_w,
        n.plugin, plugin_w, n.kind == NodeKind::kSource ? n.emitted : n.processed, n.dropped(),
        n.errors, n.fps(), duration_text(n.latency, 0.5), duration_text(n.latency, 0.99), queue,
        duration_text(n.end_to_end, 0.5));
  }
  for (const auto& n : r.nodes)
    for (const auto& [name, value] : n.counters)
      out += fmt::format("{}: {} = {}\n", n.name, name, value);
  return out;
}

std::string to_json(const RunReport& r) { return report_json(r).dump(2) + "\n"; }

nlohmann::json report_json(const RunReport& r) {
  using nlohmann::json;
  json j;
  j["pipeline"] = r.pipeline;
  j["status"] = r.status.ok() ? (r.interrupted ? "interrupted" : "ok") : "failed";
  // printable(): a message quoting a file's bytes would make the JSON invalid UTF-8.
  if (!r.status.ok()) j["error"] = sluice::printable(r.status.message());
  j["wall_s"] = r.wall_s;
  j["run_s"] = r.run_s;
  j["nodes"] = json::array();
  auto latency = [](const LatencyHistogram& h) -> json {
    if (!h.count()) return nullptr;
    return {{"p50", h.quantile_ns(0.5) / 1e6},
            {"p99", h.quantile_ns(0.99) / 1e6},
            {"count", h.count()}};
  };
  for (const auto& n : r.nodes) {
    json node{{"name", n.name},
              {"plugin", n.plugin},
              {"kind", to_string(n.kind)},
              {"replicas", n.replicas},
              {"processed", n.processed},
              {"emitted", n.emitted},
              {"dropped", n.dropped()},
              {"errors", n.errors},
              {"fps", n.fps()},
              {"active_s", n.active_s},
              {"latency_ms", latency(n.latency)},
              {"end_to_end_ms", latency(n.end_to_end)}};
    node["counters"] = n.counters;
    node["queues"] = json::array();
    for (const auto& q : n.queues)
      node["queues"].push_back({{"port", q.port},
                                {"capacity", q.capacity},
                                {"overflow", to_string(q.overflow)},
                                {"high_water", q.high_water},
                                {"dropped", q.dropped},
                                {"unmatched", q.unmatched},
                                {"depth", q.depth}});
    j["nodes"].push_back(std::move(node));
  }
  return j;
}

}  // namespace sluice::runtime
