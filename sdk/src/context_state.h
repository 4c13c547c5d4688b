// The runtime's state of one node instance, behind the plugin ABI: plugins reach it only
// through Context's functions (sdk/src/context.cpp), so its layout may change without
// rebuilding a plugin. Not installed; the runtime (runner, test harness) includes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
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
  uint32_t stream_base = 0;                     // first global stream id of a source
  const std::atomic<bool>* stop = nullptr;
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
