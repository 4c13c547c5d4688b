#include "keep_freed_memory.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace sluice::runtime {

namespace {
std::once_flag once;
std::atomic<bool> applied{false};
}  // namespace

void keep_freed_memory() {
  std::call_once(once, [] {
    const char* opt_out = std::getenv("SLUICE_KEEP_FREED_MEMORY");
    if (opt_out != nullptr && std::strcmp(opt_out, "0") == 0) return;
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // buffers up to 32 MiB come from reusable heap memory
    mallopt(M_TRIM_THRESHOLD, 1 << 30);   // and freed heap memory is kept, not returned
    applied = true;
  });
}

bool keeping_freed_memory() { return applied.load(); }

void release_freed_memory() {
  if (applied.load()) malloc_trim(0);
}

}  // namespace sluice::runtime
