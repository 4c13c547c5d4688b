// How one input's queue behaves: what the pipeline file says (`queue`, `queues`), what the
// Inbox does, and what the run's statistics report. A runtime type, so that the queue and
// the statistics do not depend on the file format.
#pragma once

#include <cstdint>

namespace sluice::runtime {

// What a full queue does with the next packet.
enum class Overflow { kBlock, kDropOldest, kDropNewest };
const char* to_string(Overflow o);

struct QueueSpec {
  int64_t capacity = 8;
  Overflow overflow = Overflow::kBlock;
};

}  // namespace sluice::runtime
