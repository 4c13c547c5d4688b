// What this sluice was built from and with: its version, the plugin ABI, and the versions
// of the libraries it was compiled against (`sluice --version`).
#pragma once

#include <string>

namespace sluice::runtime {

// Three lines, no newline at the end: "sluice 0.1.0", "plugin ABI 1", the libraries.
std::string build_info();

}  // namespace sluice::runtime
