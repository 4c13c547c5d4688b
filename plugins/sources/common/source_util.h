// Helpers shared by the source plugins and their readers: explaining why a
// file cannot be read, timestamps for live sources, and URLs safe to print.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "sluice/sluice.h"

namespace sluice::sources {

using Clock = std::chrono::steady_clock;

// ok when `path` is a regular file this process may read; otherwise an error naming it
// and saying why: "'x.mp4': no such file", "... is a folder, not a file", permissions.
Status check_readable_file(const std::string& path);

// `path` in single quotes, as error messages name files.
std::string quoted(const std::string& path);

// `url` with any password replaced by "***" (rtsp://user:***@host/...), so that error
// messages and logs never carry credentials.
std::string redact_url(const std::string& url);

// Presentation times of a live source: microseconds since its first frame, on the
// steady clock. A network stream's own timestamps restart on every reconnect and a
// camera's are in an unknown epoch; arrival time is monotonic and means the same for both.
class LiveClock {
 public:
  int64_t pts_us() {
    const auto now = Clock::now();
    if (!start_) start_ = now;
    return std::chrono::duration_cast<std::chrono::microseconds>(now - *start_).count();
  }

 private:
  std::optional<Clock::time_point> start_;
};

}  // namespace sluice::sources
