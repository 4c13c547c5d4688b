// The runtime's state of one node instance, behind the plugin ABI: plugins reach it only
// through Context's functions (sdk/src/context.cpp), so its layout may change without
// rebuilding a plugin. Not installed; the runtime (runner, test harness) includes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sluice/contract.h"
#include "sluice/packet.h"

namespace sluice::detail {

struct ContextState {
  const Contract* contract = nullptr;
  // The input sets of this call: sets[i][port]; an unconnected port's packet is empty.
  // batch_size sets are valid (1 unless the node batches; see Node::max_batch).
  std::vector<std::vector<Packet>> sets = std::vector<std::vector<Packet>>(1);
  std::size_t batch_size = 1;
  std::vector<std::pair<int, Packet>> outputs;  // (output port index, packet), sent after the call
  std::shared_ptr<const void> library;          // keeps the node's library loaded
  // Sources: the run's stream id of local stream i is stream_base + i for the streams
  // declared by Node::streams() (i < static_streams), dynamic_base + (i - static_streams)
  // for streams added later, so ids stay unique across sources and the declared ones keep
  // the numbers a one-shot run has always given them.
  uint32_t stream_base = 0;
  uint32_t static_streams = 1;
  uint32_t dynamic_base = 0;
  bool is_source = false;
  uint32_t node_index = 0;           // carried by a source's stream events
  std::set<uint32_t> open_streams;   // sources: run's ids started and not yet ended
  std::set<uint32_t> ended_streams;  // sources: run's ids ended (never reopened)
  int64_t last_open_stream = -1;     // sources: the stream of the last packet, known open
  uint32_t run_stream_id(uint32_t local) const {
    return local < static_streams ? stream_base + local : dynamic_base + (local - static_streams);
  }
  uint32_t local_stream_id(uint32_t id) const {
    if (id >= stream_base && id < stream_base + static_streams) return id - stream_base;
    return id - dynamic_base + static_streams;
  }
  const std::atomic<bool>* stop = nullptr;
  bool serving = false;  // the run serves the control API (Context::serving)
  std::string node_name;
  // The node's own counters (add_to_counter), read by the service plane while the run
  // goes on: behind a lock the node's thread alone takes to write.
  struct Counters {
    mutable std::mutex mu;
    std::map<std::string, int64_t> values;
  };
  std::unique_ptr<Counters> counters = std::make_unique<Counters>();
  mutable std::vector<const char*> input_names;  // port-name literals seen, for fast lookup
  mutable std::vector<const char*> output_names;
};

}  // namespace sluice::detail
