// Source plugins in whole pipelines, through the `sluice` command: relative paths,
// on_error = "skip" with bad files, node counters in the statistics, Ctrl-C.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "source_test_support.h"

namespace sluice::test {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class SourcesCli : public ::testing::Test {
 protected:
  CommandResult run(const std::string& pipeline_text, int timeout_s = 60) {
    const std::string file = dir_.write("p.toml", pipeline_text);
    return run_sluice("run -q " + file + " --stats-json " + dir_.file("stats.json"),
                      {.timeout_s = timeout_s});
  }
  nlohmann::json counts() { return nlohmann::json::parse(read_file(dir_.file("counts.json"))); }
  nlohmann::json stats() { return nlohmann::json::parse(read_file(dir_.file("stats.json"))); }

  TempDir dir_;
};

std::string pipeline(const std::string& source_lines) {
  return "[pipeline]\nlinks = [\"src -> count\"]\n[nodes.src]\n" + source_lines +
         "\n[nodes.count]\nplugin = \"count_sink\"\npath = \"counts.json\"\n";
}

TEST_F(SourcesCli, VideoWithAPathRelativeToThePipelineFile) {
  fs::create_directory(dir_.path() / "media");
  fs::copy_file(media("vtest.avi"), dir_.path() / "media" / "clip.avi");
  const auto r = run(pipeline("plugin = \"video_source\"\npath = \"media/clip.avi\""));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(counts()["total"], 795);
  EXPECT_EQ(counts()["streams"]["0"]["in_order"], true);
  EXPECT_EQ(stats()["nodes"][0]["processed"], 795);
}

TEST_F(SourcesCli, ABadImageFailsTheRunNamingNodeAndFile) {
  fs::create_directory(dir_.path() / "photos");
  fs::copy_file(media("dog.jpg"), dir_.path() / "photos" / "1.jpg");
  dir_.write("photos/2.txt", "notes\n");
  fs::copy_file(media("horses.jpg"), dir_.path() / "photos" / "3.jpg");
  const auto r = run(pipeline("plugin = \"image_source\"\npath = \"photos\""));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("sluice: error: node 'src' (image_source) failed: '" +
                                  dir_.file("photos/2.txt") +
                                  "' is not an image (no decoder for its format)\n"));
}

TEST_F(SourcesCli, OnErrorSkipSkipsAndCountsBadImages) {
  fs::create_directory(dir_.path() / "photos");
  fs::copy_file(media("dog.jpg"), dir_.path() / "photos" / "1.jpg");
  dir_.write("photos/2.txt", "notes\n");
  copy_prefix(media("messi5.jpg"), dir_.file("photos/3.jpg"), 20000);
  fs::copy_file(media("horses.jpg"), dir_.path() / "photos" / "4.jpg");
  const auto r = run(pipeline("plugin = \"image_source\"\npath = \"photos\"\non_error = \"skip\""));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(counts()["total"], 2);
  EXPECT_EQ(stats()["nodes"][0]["errors"], 2);
  EXPECT_EQ(stats()["nodes"][0]["processed"], 2);
}

TEST_F(SourcesCli, TruncatedVideoFailsOrWithSkipEndsAndCountsMissingFrames) {
  copy_prefix(media("vtest.avi"), dir_.file("cut.avi"), 4'000'000);
  auto r = run(pipeline("plugin = \"video_source\"\npath = \"cut.avi\""));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("node 'src' (video_source) failed: '" + dir_.file("cut.avi") +
                                  "': decoding stopped at frame "));

  r = run(pipeline("plugin = \"video_source\"\npath = \"cut.avi\"\non_error = \"skip\""));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const int64_t decoded = counts()["total"];
  EXPECT_GT(decoded, 300);
  const auto src = stats()["nodes"][0];
  EXPECT_EQ(src["errors"], 1);
  EXPECT_EQ(src["counters"]["missing_frames"], 795 - decoded) << src.dump();
}

TEST_F(SourcesCli, CtrlCStopsARealtimeVideoPromptly) {
  const std::string file =
      dir_.write("p.toml", pipeline("plugin = \"video_source\"\npath = \"" + media("vtest.avi") +
                                    "\"\nrealtime = true"));
  // The command's own exit status, not timeout(1)'s: signal it from a shell.
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_command("sh -c '" + sluice_command("run -q " + file) + " & pid=$!; " +
                                 wait_for_signal_handlers() + "sleep 1; kill -INT $pid; wait $pid'",
                             30);
  EXPECT_LT(seconds_since(t0), 5);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const int64_t total = counts()["total"];
  // Paced at 10 fps for 1.5 s, less the command's start-up on a busy machine.
  EXPECT_GE(total, 3);
  EXPECT_LE(total, 16);
}

TEST_F(SourcesCli, InspectShowsTheParams) {
  for (const std::string type :
       {"image_source", "video_source", "camera_source", "stream_source"}) {
    const auto r = run_sluice("inspect " + type);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr(type + " (source)"));
    EXPECT_THAT(r.output, HasSubstr("outputs:\n  out            Frame"));
  }
}

}  // namespace
}  // namespace sluice::test
