#include "process_figures.h"

#include <malloc.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace sluice::service {

ProcessFigures read_process_figures() {
  ProcessFigures f;
  // /proc/self/status: "VmRSS:  123456 kB", "Threads:  12".
  std::ifstream status("/proc/self/status");
  for (std::string key; status >> key;) {
    if (key == "VmRSS:") {
      status >> f.resident_bytes;
      f.resident_bytes *= 1024;
    } else if (key == "Threads:") {
      status >> f.threads;
    }
    status.ignore(1 << 12, '\n');
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++f.open_fds;
  if (f.open_fds > 0) --f.open_fds;  // the descriptor of the listing itself
  // Walks every arena under its lock: a few microseconds, once a scrape.
  const struct mallinfo2 m = mallinfo2();
  f.heap_in_use_bytes = static_cast<int64_t>(m.uordblks + m.hblkhd);
  f.heap_free_bytes = static_cast<int64_t>(m.fordblks);
  return f;
}

}  // namespace sluice::service
