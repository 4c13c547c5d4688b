// What the operating system says about this process, for /metrics: resident memory,
// threads, open descriptors (Linux /proc/self), and what malloc holds (glibc's
// mallinfo2): in use by the program, and kept free for reuse. Resident memory that grows
// while heap in use stays flat is memory malloc keeps (sluice asks it to keep freed
// memory: keep_freed_memory.h), not a leak.
#pragma once

#include <cstdint>

namespace sluice::service {

struct ProcessFigures {
  int64_t resident_bytes = 0;
  int64_t threads = 0;
  int64_t open_fds = 0;
  int64_t heap_in_use_bytes = 0;  // allocated and not yet freed (heap and mmapped blocks)
  int64_t heap_free_bytes = 0;    // freed, kept by malloc for reuse
};

ProcessFigures read_process_figures();

}  // namespace sluice::service
