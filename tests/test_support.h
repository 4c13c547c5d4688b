// Helpers shared by the tests: temporary folders, pipeline files, running the CLI.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sluice::test {

// A fresh folder under /tmp, removed when the object goes.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("sluice-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line with a time limit (timeout(1)), capturing its output.
inline CommandResult run_command(const std::string& command, int timeout_s = 60) {
  const std::string line = "timeout -k 5 " + std::to_string(timeout_s) + " " + command + " 2>&1";
  CommandResult r;
  FILE* pipe = popen(line.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Why a suite's one-time set-up failed ("" when it did not). GoogleTest reports the tests
// of a suite whose SetUpTestSuite has a fatal failure as SKIPPED, and ctest counts them as
// skipped, so a broken fixture would pass the run. A suite's SetUpTestSuite therefore never
// ASSERTs (tests/suite_set_up_never_asserts.sh checks): it records the reason here, and
// its SetUp() fails every test on it:
//   void SetUp() override { ASSERT_EQ(suite_error_, "") << "suite set-up failed"; }
inline std::string suite_failure(const std::string& what, const std::string& output) {
  return what + ":\n" + output;
}

// A shell snippet that waits, at most 10 s, until process $pid has installed sluice's SIGINT
// and SIGTERM handlers (the SigCgt mask of /proc/PID/status: SIGTERM, bit 14, is installed
// after SIGINT), so that a test never signals a run before it can drain. A fixed sleep
// instead fails on a loaded machine. POSIX sh without single quotes: it goes in sh -c '...'.
inline std::string wait_for_signal_handlers() {
  return "i=0; while [ $i -lt 400 ]; do case $(sed -n \"s/^SigCgt:[[:space:]]*//p\" "
         "/proc/$pid/status 2>/dev/null) in *[4567cdef][0-9a-f][0-9a-f][0-9a-f]) break ;; esac; "
         "sleep 0.025; "
         "i=$((i+1)); done; ";
}

inline std::string sluice_cli() { return SLUICE_CLI; }
inline std::string test_plugin_dir(const std::string& which = "good") {
  return std::string(SLUICE_TEST_PLUGIN_DIR) + "/" + which;
}

// How a test runs the sluice command: the one helper every suite uses.
struct SluiceOptions {
  std::string env = "";         // "NAME=value ..." set for the command
  std::string plugin_dir = "";  // also load plugins from here (--plugin-path)
  int timeout_s = 120;
};

// The command line that runs `sluice ARGS` with `o`'s environment and plugin folder, for
// tests that put it in a longer shell line (a run signalled in the background).
inline std::string sluice_command(const std::string& args, const SluiceOptions& o = {}) {
  std::string line = o.env.empty() ? "" : "env " + o.env + " ";
  line += sluice_cli();
  if (!o.plugin_dir.empty()) line += " --plugin-path " + o.plugin_dir;
  return line + " " + args;
}

// Runs `sluice ARGS` and returns its exit code and output.
inline CommandResult run_sluice(const std::string& args, const SluiceOptions& o = {}) {
  return run_command(sluice_command(args, o), o.timeout_s);
}

// The files of `paths` (relative to the source tree) that are missing, as one message
// saying how to fetch them; "" when all are there. For a suite's SetUp:
//   ASSERT_EQ(test::missing_assets({"assets/media/vtest.avi"}), "");
inline std::string missing_assets(std::initializer_list<std::string> paths) {
  std::string missing;
  for (const std::string& p : paths)
    if (!std::filesystem::exists(std::string(SLUICE_SOURCE_DIR) + "/" + p))
      missing += (missing.empty() ? "" : ", ") + p;
  if (missing.empty()) return "";
  return missing +
         " missing: run bash scripts/fetch_assets.sh and bash scripts/models/fetch_models.sh";
}

// A video of the first `frames` frames of assets/media/vtest.avi (re-encoded by ffmpeg,
// MPEG-4 in AVI) at `path`: a short, whole file. Throws when ffmpeg fails.
inline std::string video_clip(const std::string& path, int frames) {
  const auto r = run_command("ffmpeg -nostdin -v error -y -i '" + std::string(SLUICE_SOURCE_DIR) +
                             "/assets/media/vtest.avi' -frames:v " + std::to_string(frames) +
                             " -c:v mpeg4 -q:v 5 '" + path + "' 2>&1");
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + r.output);
  return path;
}

}  // namespace sluice::test
