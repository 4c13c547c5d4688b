// The sinks in whole pipelines run by the `sluice` command: annotated video, JSON lines and
// images from one run; Ctrl-C leaving a complete video; streams; errors; the display.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "annotate.h"
#include "sink_test_support.h"

namespace sluice::test {
namespace {

using nlohmann::json;
using sink_test::decoded_frames;
using sink_test::probe;
using sink_test::read_lines;
using ::testing::HasSubstr;

class SinksCli : public ::testing::Test {
 protected:
  CommandResult sluice(const std::string& args, const std::string& env = "", int timeout_s = 90) {
    return run_sluice(args,
                      {.env = env, .plugin_dir = test_plugin_dir("sinks"), .timeout_s = timeout_s});
  }
  std::string pipeline(const std::string& text) { return dir_.write("p.toml", text); }
  json stats() { return json::parse(read_file(dir_.file("stats.json"))); }
  static const json& node(const json& stats, const std::string& name) {
    for (const json& n : stats["nodes"])
      if (n["name"] == name) return n;
    throw std::runtime_error("no node " + name);
  }

  TempDir dir_;
};

TEST_F(SinksCli, AnnotatedVideosJsonLinesAndImagesFromOneRun) {
  const std::string file = pipeline(R"([pipeline]
name = "sinks"
links = [
  "src -> det",
  "det.detections -> video.detections", "det.classifications -> video.classifications",
  "det.mask -> video.mask",
  "src -> half -> small.frame", "det.detections -> small.detections", "det.mask -> small.mask",
  "det.detections -> log.detections", "det.classifications -> log.classifications",
  "det.mask -> log.mask",
  "src -> shots.frame", "det.detections -> shots.detections", "det.mask -> shots.mask",
  "src -> count",
]
[nodes.src]
plugin = "synthetic_source"
frames = 20
width = 160
height = 120
fps = 0
[nodes.det]
plugin = "sinktest_annotations"
[nodes.half]
plugin = "sinktest_half"
[nodes.video]
plugin = "video_writer"
path = "out/video.mp4"
[nodes.small]
plugin = "video_writer"
path = "out/small.avi"
codec = "MJPG"
fps = 10
[nodes.log]
plugin = "jsonl_sink"
path = "out/log.jsonl"
[nodes.shots]
plugin = "image_writer"
dir = "out/shots"
labels = false
thickness = 1
[nodes.count]
plugin = "count_sink"
)");
  const auto r = sluice("run -q " + file + " --stats-json " + dir_.file("stats.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // Paths are relative to the pipeline file; folders are made.
  const std::string video = dir_.file("out/video.mp4");
  EXPECT_EQ(decoded_frames(video), 20);
  EXPECT_EQ(probe(video, "width,height,r_frame_rate"), "160,120,25/1");  // no pts: 25
  const std::string small = dir_.file("out/small.avi");
  EXPECT_EQ(decoded_frames(small), 20);
  EXPECT_EQ(probe(small, "codec_name,width,height,r_frame_rate"), "mjpeg,80,60,10/1");
  EXPECT_EQ(node(stats(), "video")["processed"], 20);

  const auto lines = read_lines(dir_.file("out/log.jsonl"));
  ASSERT_EQ(lines.size(), 20u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const json j = json::parse(lines[i]);  // every line is a whole JSON object
    EXPECT_EQ(j["seq"], i);
    EXPECT_EQ(j["frame_size"], json::array({160, 120}));
    ASSERT_EQ(j["detections"].size(), 2u);
    EXPECT_EQ(j["detections"][0]["box"], json({{"x", 20}, {"y", 15}, {"w", 40}, {"h", 30}}));
    EXPECT_EQ(j["detections"][0]["track_id"], 7);
    EXPECT_EQ(j["detections"][0]["classes"][0]["label"], "smile");
    EXPECT_EQ(j["classifications"][0]["label"], "indoor");
    EXPECT_EQ(j["mask"]["classes"][1], json::parse(R"({"class_id": 1, "label": "person",
                                                       "pixels": 2400, "fraction": 0.5})"));
  }

  // On the images: the person's box and the mask (class 1 on the left half of the frame).
  int images = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.file("out/shots")))
    images += entry.path().extension() == ".png";
  EXPECT_EQ(images, 20);
  const cv::Mat shot = cv::imread(dir_.file("out/shots/0_000003.png"));
  ASSERT_EQ(shot.size(), cv::Size(160, 120));
  const cv::Vec3b grey = cv::Vec3b::all(21);  // synthetic_source: seq * 7
  const cv::Scalar person = sinks::class_colour(1);
  EXPECT_EQ(sink_test::colour_distance(shot.at<cv::Vec3b>(30, 20), person), 0);  // box edge
  // The mask at the default alpha 0.5 (within 1: blending is in 8-bit integers).
  EXPECT_LE(
      sink_test::colour_distance(shot.at<cv::Vec3b>(100, 30), (cv::Scalar::all(21) + person) / 2),
      1);
  EXPECT_EQ(shot.at<cv::Vec3b>(100, 120), grey);  // right half: background
}

TEST_F(SinksCli, CtrlCLeavesAVideoWithEveryFrameReceivedAndWholeJsonLines) {
  const std::string file = pipeline(R"([pipeline]
links = [
  "src -> det", "det.detections -> video.detections", "det.mask -> video.mask",
  "det.detections -> log.detections", "src -> count",
]
[nodes.src]
plugin = "synthetic_source"
frames = 0
fps = 200
width = 320
height = 240
[nodes.det]
plugin = "sinktest_annotations"
[nodes.video]
plugin = "video_writer"
path = "out/live.mp4"
[nodes.log]
plugin = "jsonl_sink"
path = "out/live.jsonl"
[nodes.count]
plugin = "count_sink"
)");
  const auto r = run_command(
      "bash -c '" + sluice_command("run -q " + file, {.plugin_dir = test_plugin_dir("sinks")}) +
      " --stats-json " + dir_.file("stats.json") + " & pid=$!; " + wait_for_signal_handlers() +
      "sleep 1; kill -INT $pid; wait $pid; echo rc=$?'");
  EXPECT_THAT(r.output, HasSubstr("rc=0"));
  EXPECT_THAT(r.output, HasSubstr("stopped by signal"));
  const json s = stats();
  EXPECT_EQ(s["status"], "interrupted");
  const int64_t emitted = node(s, "src")["emitted"];
  EXPECT_GT(emitted, 50);
  // Every frame the source sent reached the sinks (drained), and every one is in the file.
  EXPECT_EQ(node(s, "video")["processed"], emitted);
  EXPECT_EQ(node(s, "count")["processed"], emitted);
  const std::string video = dir_.file("out/live.mp4");
  EXPECT_EQ(decoded_frames(video), emitted);
  EXPECT_EQ(probe(video, "width,height,r_frame_rate"), "320,240,200/1");  // from the pts
  const auto lines = read_lines(dir_.file("out/live.jsonl"));
  EXPECT_EQ(static_cast<int64_t>(lines.size()), emitted);
  for (const std::string& line : lines) EXPECT_TRUE(json::accept(line)) << line;
}

TEST_F(SinksCli, AFilePerStreamOrAnErrorNamingTheNode) {
  const std::string text = R"([pipeline]
links = ["src -> det", "det.detections -> out.detections"]
[nodes.src]
plugin = "synthetic_source"
frames = 6
streams = 2
width = 96
height = 64
[nodes.det]
plugin = "sinktest_annotations"
[nodes.out]
plugin = "video_writer"
path = "cam{stream}.avi"
codec = "MJPG"
)";
  auto r = sluice("run -q " + pipeline(text));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(decoded_frames(dir_.file("cam0.avi")), 6);
  EXPECT_EQ(decoded_frames(dir_.file("cam1.avi")), 6);

  r = sluice("run -q " + pipeline(text) + " --set nodes.out.path=one.avi");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("sluice: error: node 'out' (video_writer) failed on stream 1 "
                                  "frame 0: got stream 1 after stream 0, but its path '" +
                                  dir_.file("one.avi") + "' has no {stream}"));
  EXPECT_GE(decoded_frames(dir_.file("one.avi")), 1);  // closed properly after the failure
}

TEST_F(SinksCli, BadPathsAndCodecsFailAtOpenInOneLine) {
  const std::string blocker = dir_.write("blocker", "a file, not a folder");
  const std::string text = R"([pipeline]
links = ["src -> det", "det.detections -> out.detections"]
[nodes.src]
plugin = "synthetic_source"
frames = 3
[nodes.det]
plugin = "sinktest_annotations"
[nodes.out]
plugin = "video_writer"
path = "blocker/out.mp4"
)";
  auto r = sluice("run -q " + pipeline(text));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("sluice: error: node 'out' (video_writer) failed: open: cannot "
                                  "write '" +
                                  blocker + "/out.mp4': '" + blocker + "' is not a folder\n"));

  r = sluice("run -q " + pipeline(text) +
             " --set nodes.out.path=ok.mp4 --set nodes.out.codec=FFV1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("node 'out' (video_writer) failed: open: codec 'FFV1' cannot "
                                  "write .mp4 files"));

  r = sluice("run -q " + pipeline(R"([pipeline]
links = ["src -> det", "det.detections -> log.detections"]
[nodes.src]
plugin = "synthetic_source"
[nodes.det]
plugin = "sinktest_annotations"
[nodes.log]
plugin = "jsonl_sink"
path = "blocker/log.jsonl"
)"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("node 'log' (jsonl_sink) failed: open: cannot write '" + blocker +
                                  "/log.jsonl': '" + blocker + "' is not a folder\n"));
}

const char* kDisplay = R"([pipeline]
links = ["src -> det", "det.detections -> show.detections", "det.mask -> show.mask"]
[nodes.src]
plugin = "synthetic_source"
frames = 10
streams = 2
width = 160
height = 120
[nodes.det]
plugin = "sinktest_annotations"
[nodes.show]
plugin = "display"
)";

TEST_F(SinksCli, DisplayWithoutADisplayIsAnErrorOrWithOptionalANoOpThatCounts) {
  const std::string no_display = "env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM";
  auto r = sluice("run -q " + pipeline(kDisplay), no_display);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("sluice: error: node 'show' (display) failed: open: no display "
                                  "(DISPLAY and WAYLAND_DISPLAY are not set); set optional = true "
                                  "to run without a window\n"));

  r = sluice("run -q " + pipeline(kDisplay) + " --set nodes.show.optional=true --stats-json " +
                 dir_.file("stats.json"),
             no_display);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json show = node(stats(), "show");
  EXPECT_EQ(show["processed"], 20);
  EXPECT_EQ(show["counters"]["not_shown"], 20);
}

TEST_F(SinksCli, DisplayShowsAWindowPerStreamOnQtsOffscreenPlatform) {
  // No screen needed: the real window code runs, drawn into memory.
  const auto r = sluice("run -q " + pipeline(kDisplay) + " --stats-json " + dir_.file("stats.json"),
                        "env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json show = node(stats(), "show");
  EXPECT_EQ(show["processed"], 20);
  EXPECT_FALSE(show["counters"].contains("not_shown")) << show;

  // OpenCV drives the windows of a process from one thread: one display node shows them.
  const auto two = sluice("run -q " + pipeline(R"([pipeline]
links = ["src -> det", "det.detections -> show.detections", "det.detections -> show2.detections"]
[nodes.src]
plugin = "synthetic_source"
[nodes.det]
plugin = "sinktest_annotations"
[nodes.show]
plugin = "display"
[nodes.show2]
plugin = "display"
)"),
                          "env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen");
  EXPECT_EQ(two.exit_code, 1);
  EXPECT_THAT(
      two.output,
      HasSubstr("node 'show2' (display) failed: open: another display node already shows windows"));
}

}  // namespace
}  // namespace sluice::test
