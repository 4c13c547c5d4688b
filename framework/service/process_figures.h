// What the operating system says about this process, for /metrics: resident memory,
// threads, open descriptors (Linux /proc/self).
#pragma once

#include <cstdint>

namespace sluice::service {

struct ProcessFigures {
  int64_t resident_bytes = 0;
  int64_t threads = 0;
  int64_t open_fds = 0;
};

ProcessFigures read_process_figures();

}  // namespace sluice::service
