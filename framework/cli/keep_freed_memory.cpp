#include "keep_freed_memory.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace sluice::cli {

void keep_freed_memory() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // buffers up to 32 MiB come from reusable heap memory
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // and freed heap memory is kept, not returned
}

}  // namespace sluice::cli
