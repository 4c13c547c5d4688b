// The preprocessors in whole pipelines, run by the `sluice` command as a user runs it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "preproc_test_util.h"

namespace sluice::preprocessors_test {
namespace {

using ::testing::HasSubstr;

class Pipeline : public ::testing::Test {
 protected:
  test::CommandResult sluice(const std::string& args) {
    return test::run_sluice(args, {.plugin_dir = test::test_plugin_dir("preprocessors")});
  }
  std::string file(const std::string& text) { return dir_.write("p.toml", text); }
  nlohmann::json json(const std::string& name) {
    return nlohmann::json::parse(test::read_file(dir_.file(name)));
  }
  const nlohmann::json& node(const nlohmann::json& stats, const std::string& name) {
    for (const auto& n : stats["nodes"])
      if (n["name"] == name) return n;
    ADD_FAILURE() << "no node " << name << " in the stats";
    static const nlohmann::json kNone;
    return kNone;
  }

  test::TempDir dir_;
};

TEST_F(Pipeline, ResizeLetterboxToTensorRunsEveryFrameInOrder) {
  const std::string p = file(R"([pipeline]
links = ["src -> resize -> letterbox -> tensor -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 25
streams = 2
width = 64
height = 48
[nodes.resize]
plugin = "resize"
shorter_side = 32
interpolation = "area"
replicas = 2
[nodes.letterbox]
plugin = "letterbox"
size = [40, 40]
[nodes.tensor]
plugin = "to_tensor"
scale = 0.00392156862745098
layout = "NHWC"
[nodes.count]
plugin = "count_sink"
path = "counts.json"
)");
  auto r = sluice("validate " + p);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = sluice("run -q " + p + " --stats-json " + dir_.file("stats.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto counts = json("counts.json");
  EXPECT_EQ(counts["total"], 50);
  for (const char* s : {"0", "1"}) {
    EXPECT_EQ(counts["streams"][s]["count"], 25);
    EXPECT_EQ(counts["streams"][s]["in_order"], true);
  }
  EXPECT_EQ(node(json("stats.json"), "tensor")["errors"], 0);
}

// Fixed boxes per frame (frame seq gets the first seq % 5 of them; one is too small to
// crop) -> crop_detections -> a classifier that identifies each crop, behind a slow stage
// with replicas and jitter -> attach_classifications -> a sink that checks every
// detection got the result of its own crop.
const char* kCropAttach = R"([pipeline]
links = ["src -> det -> crop", "crop.crops -> slow -> cls -> attach.classes",
         "crop.cropped -> attach.detections", "attach -> check"]
[nodes.src]
plugin = "gradient_source"
frames = 15
streams = 3
[nodes.det]
plugin = "fixed_detections"
boxes = [2, 2, 20, 10,   30, 5, 4, 4,   40, 20, 16, 30,   70, 30, 20, 20]
cycle = true
[nodes.crop]
plugin = "crop_detections"
min_size = 8
[nodes.slow]
plugin = "delay"
ms = 0.2
jitter_ms = 2
replicas = 3
[nodes.cls]
plugin = "crop_signature"
[nodes.attach]
plugin = "attach_classifications"
[nodes.check]
plugin = "attach_check"
path = "check.json"
)";

// The detections that get a crop for frame seq: of the first seq % 5 boxes, all but
// the small second one.
int cropped_count(int64_t seq) {
  const int k = static_cast<int>(seq % 5);
  return k >= 2 ? k - 1 : k;
}

TEST_F(Pipeline, CropDetectionsAndAttachGiveEachDetectionItsOwnCropsResult) {
  const auto r = sluice("run -q " + file(kCropAttach) + " --stats-json " + dir_.file("stats.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto check = json("check.json");
  ASSERT_EQ(check.size(), 3u) << check.dump();
  for (const auto& [stream, rows] : check.items()) {
    SCOPED_TRACE("stream " + stream);
    ASSERT_EQ(rows.size(), 15u);
    for (int64_t seq = 0; seq < 15; ++seq) {
      SCOPED_TRACE("frame " + std::to_string(seq));
      const auto& row = rows[seq];  // [seq, detections, classified, wrong]
      EXPECT_EQ(row[0], seq);       // every frame, in order, including those without crops
      EXPECT_EQ(row[1], cropped_count(seq));
      EXPECT_EQ(row[2], cropped_count(seq));
      EXPECT_EQ(row[3], 0);
    }
  }
  const auto stats = json("stats.json");
  EXPECT_EQ(stats["status"], "ok");
  // 3 streams x 15 frames: the small box is among the first k in frames with k >= 2.
  EXPECT_EQ(node(stats, "crop")["counters"]["skipped_small"], 3 * 9);
  EXPECT_FALSE(node(stats, "attach")["counters"].contains("incomplete_frames"));
}

TEST_F(Pipeline, LostResultsLeaveTheirDetectionsUnclassifiedAndTheRunGoesOn) {
  // The classifier fails on crop 0 of frames 3 and 7, and skips those crops.
  std::string text = kCropAttach;
  const std::string cls = "[nodes.cls]\nplugin = \"crop_signature\"\n";
  text.replace(text.find(cls), cls.size(), cls + "fail_seqs = [3, 7]\non_error = \"skip\"\n");
  const auto r = sluice("run -q " + file(text) + " --stats-json " + dir_.file("stats.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto check = json("check.json");
  for (const auto& [stream, rows] : check.items()) {
    SCOPED_TRACE("stream " + stream);
    ASSERT_EQ(rows.size(), 15u);
    for (int64_t seq = 0; seq < 15; ++seq) {
      const auto& row = rows[seq];
      EXPECT_EQ(row[0], seq);
      EXPECT_EQ(row[1], cropped_count(seq));
      // Crop 0 of frames 3 and 7 failed: that detection alone has no classes.
      EXPECT_EQ(row[2], cropped_count(seq) - (seq == 3 || seq == 7 ? 1 : 0)) << "frame " << seq;
      EXPECT_EQ(row[3], 0);
    }
  }
  const auto stats = json("stats.json");
  EXPECT_EQ(node(stats, "cls")["errors"], 6);
  EXPECT_EQ(node(stats, "attach")["counters"]["incomplete_frames"], 6);
}

TEST_F(Pipeline, MiswiredAttachIsAOneLineErrorNamingTheNode) {
  std::string text = kCropAttach;
  const std::string link = "\"crop.cropped -> attach.detections\"";
  text.replace(text.find(link), link.size(), "\"det -> attach.detections\"");
  const auto r = sluice("run -q " + file(text));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("sluice: error: node 'attach' (attach_classifications) failed "
                                  "on stream "));
  EXPECT_THAT(r.output, HasSubstr(" crops: `detections` must come from crop_detections' "
                                  "`cropped` output (not the detections crop_detections was "
                                  "given)\n"));
}

TEST_F(Pipeline, BadParamsAndBadFramesNameTheNode) {
  const char* base = R"([pipeline]
links = ["src -> crop -> tensor -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 3
[nodes.crop]
plugin = "center_crop"
size = [%CROP%]
[nodes.tensor]
plugin = "to_tensor"
mean = [%MEAN%]
std = [1.0, 2.0, 3.0]
[nodes.sink]
plugin = "null_sink"
)";
  auto make = [&](const std::string& crop, const std::string& mean) {
    std::string t = base;
    t.replace(t.find("%CROP%"), 6, crop);
    t.replace(t.find("%MEAN%"), 6, mean);
    return file(t);
  };
  auto r = sluice("run -q " + make("32, 32", "1.0, 2.0"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("node 'tensor' (to_tensor) failed: open: mean has 2 values but "
                                  "std has 3\n"));
  r = sluice("run -q " + make("100, 100", "1.0, 2.0, 3.0"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output,
              HasSubstr("node 'crop' (center_crop) failed on stream 0 frame 0: the crop 100x100 is "
                        "larger than the frame 64x48; set pad = true to pad such frames\n"));
  r = sluice("validate " + make("32, 0", "1.0"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("node 'crop'"));
}

}  // namespace
}  // namespace sluice::preprocessors_test
