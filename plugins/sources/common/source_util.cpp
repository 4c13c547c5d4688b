#include "source_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "frame_reader.h"

namespace sluice::sources {

bool sleep_until(const ReaderEnv& env, Clock::time_point deadline) {
  constexpr auto kStep = std::chrono::milliseconds(20);
  while (Clock::now() < deadline) {
    if (env.stopping()) return false;
    std::this_thread::sleep_until(std::min(deadline, Clock::now() + kStep));
  }
  return !env.stopping();
}

ReaderEnv env_of(Context& ctx) {
  ReaderEnv env;
  env.stopping = [&ctx] { return ctx.stop_requested(); };
  env.count = [&ctx](const std::string& name, int64_t n) { ctx.add_to_counter(name, n); };
  return env;
}

Status check_readable_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return errno == ENOENT ? not_found(quoted(path) + ": no such file")
                           : unavailable(quoted(path) + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return invalid_argument(quoted(path) + ": is a folder, not a file");
  if (!S_ISREG(st.st_mode)) return invalid_argument(quoted(path) + ": is not a regular file");
  if (::access(path.c_str(), R_OK) != 0)
    return unavailable(quoted(path) + ": " + std::strerror(errno));
  return ok();
}

std::string quoted(const std::string& path) { return "'" + path + "'"; }

std::string redact_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto authority = scheme + 3;
  const auto end = url.find_first_of("/?#", authority);
  const auto at = url.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at == std::string::npos || at < authority) return url;
  const auto colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace sluice::sources
