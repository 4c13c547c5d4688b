// yolo_decoder through the NodeHarness: tables worked out by hand in each layout, masks
// and keypoints, errors that say what the table holds; and against the numpy reference
// decoder (tests/models/yolo_reference.py) on seeded random tables, letterboxed.
#include "yolo_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/testing/node_harness.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

using nlohmann::json;
using postprocessors::YoloDecoder;
using ::testing::HasSubstr;

Tensor table(std::vector<int64_t> shape, const std::vector<float>& values) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(shape));
  EXPECT_EQ(static_cast<std::size_t>(t.numel()), values.size());
  std::copy(values.begin(), values.end(), t.as<float>());
  return t;
}

const std::vector<Detection>& items(const Packet& p) { return p.get_if<Detections>()->items; }

// Three anchors, two classes, v8 layout [1, 4 + 2, 3]: a row per field.
//   anchor 0: centre (50, 40), 20 x 10, class scores 0.9, 0.1  -> class 0 at 0.9
//   anchor 1: centre (52, 40), 20 x 10, scores 0.2, 0.8        -> class 1 at 0.8
//   anchor 2: centre (51, 41), 20 x 10, scores 0.7, 0.0        -> class 0 at 0.7, overlaps 0
std::vector<float> three_anchors_v8() {
  return {50, 52, 51, 40, 40, 41, 20, 20, 20, 10, 10, 10, 0.9f, 0.2f, 0.7f, 0.1f, 0.8f, 0};
}

TEST(YoloDecoder, V8ColumnsPerAnchorClassWiseNmsAndTheLetterboxUndone) {
  auto h =
      NodeHarness::load("yolo_decoder", "layout = \"v8\"\nmin_score = 0.25\niou_threshold = 0.45");
  // A letterbox: source pixels x 0.5, then 10 px down (pad): input = 0.5 source + (0, 10).
  PacketHeader header;
  header.transform = Affine2D::scale_translate(0.5, 0.5, 0, 10);
  ASSERT_TRUE(h.push(YoloDecoder::kIn, table({1, 6, 3}, three_anchors_v8()), header).ok());
  const Packet d_packet = h.pull(YoloDecoder::kOut);
  const auto& d = items(d_packet);
  // Anchor 2 overlaps anchor 0 (IoU = 19*9 / (200 + 200 - 171) = 0.747 > 0.45), same class:
  // suppressed. Anchor 1 is class 1: kept though it overlaps too.
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].class_id, 0);
  EXPECT_FLOAT_EQ(d[0].score, 0.9f);
  // Input box (40, 35)-(60, 45) -> source ((x - 0) / 0.5, (y - 10) / 0.5) = (80, 50)-(120, 70).
  EXPECT_EQ(d[0].box, cv::Rect2f(80, 50, 40, 20));
  EXPECT_EQ(d[1].class_id, 1);
  EXPECT_FLOAT_EQ(d[1].score, 0.8f);
  EXPECT_EQ(d[1].box, cv::Rect2f(84, 50, 40, 20));
  // Without NMS all three, best first.
  auto all = NodeHarness::load("yolo_decoder", "layout = \"v8\"\niou_threshold = 1");
  ASSERT_TRUE(all.push(YoloDecoder::kIn, table({6, 3}, three_anchors_v8())).ok());
  EXPECT_EQ(items(all.pull(YoloDecoder::kOut)).size(), 3u);
  // Class-agnostic NMS: anchor 1 goes too.
  auto agnostic = NodeHarness::load("yolo_decoder", "layout = \"v8\"\nclass_agnostic = true");
  ASSERT_TRUE(agnostic.push(YoloDecoder::kIn, table({6, 3}, three_anchors_v8())).ok());
  EXPECT_EQ(items(agnostic.pull(YoloDecoder::kOut)).size(), 1u);
}

TEST(YoloDecoder, V5RowsPerAnchorScoreIsObjectnessTimesClass) {
  // [1, 2, 5 + 2]: anchor 0 objectness 0.5, classes (0.3, 0.9) -> class 1 at 0.45;
  // anchor 1 objectness 0.9, classes (0.2, 0.2) -> class 0 at 0.18 < 0.25: dropped.
  auto h = NodeHarness::load("yolo_decoder", "layout = \"v5\"\nlabels = \"" +
                                                 std::string(SLUICE_SOURCE_DIR) +
                                                 "/assets/models/coco80_labels.txt\"");
  ASSERT_TRUE(h.push(YoloDecoder::kIn, table({1, 2, 7}, {10, 10, 4, 4, 0.5f, 0.3f, 0.9f,  //
                                                         30, 30, 4, 4, 0.9f, 0.2f, 0.2f}))
                  .ok());
  const Packet d_packet = h.pull(YoloDecoder::kOut);
  const auto& d = items(d_packet);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FLOAT_EQ(d[0].score, 0.45f);
  EXPECT_EQ(d[0].class_id, 1);
  EXPECT_EQ(d[0].label, "bicycle");
  EXPECT_EQ(d[0].box, cv::Rect2f(8, 8, 4, 4));
}

TEST(YoloDecoder, PoseKeypointsWithScoresOnTheSourceFrame) {
  // v8 pose, one class, 2 keypoints: [4 + 1 + 2 * 3, 1] = 11 values for the one anchor.
  auto h = NodeHarness::load("yolo_decoder", "layout = \"v8\"\ntask = \"pose\"\nkeypoints = 2");
  PacketHeader header;
  header.transform = Affine2D::scale_translate(2, 2, 0, 0);  // input = 2 x source
  ASSERT_TRUE(h.push(YoloDecoder::kIn,
                     table({1, 11, 1}, {100, 100, 40, 80, 0.95f, 90, 70, 0.8f, 110, 70, 0.3f}),
                     header)
                  .ok());
  const Packet d_packet = h.pull(YoloDecoder::kOut);
  const auto& d = items(d_packet);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].box, cv::Rect2f(40, 30, 20, 40));
  ASSERT_EQ(d[0].landmarks.size(), 2u);
  EXPECT_EQ(d[0].landmarks[0], cv::Point2f(45, 35));
  EXPECT_EQ(d[0].landmarks[1], cv::Point2f(55, 35));
  EXPECT_EQ(d[0].landmark_scores, (std::vector<float>{0.8f, 0.3f}));
}

TEST(YoloDecoder, SegmentMasksAreTheBoxesPrototypeCombination) {
  // One anchor with one mask coefficient; prototypes 1 x 4 x 4 for a 16 x 16 input. The
  // prototype is +10 in its left half, -10 in its right: sigmoid ~1 and ~0. The box covers
  // the input's (2, 2)-(14, 14); on a source frame of 16 x 16 (identity geometry) the mask
  // is the box's left part: x < 8 (where the bilinear value crosses 0.5), within the box.
  auto h = NodeHarness::load("yolo_decoder", "layout = \"v8\"\ntask = \"segment\"");
  std::vector<float> protos(16);
  for (int v = 0; v < 4; ++v)
    for (int u = 0; u < 4; ++u) protos[static_cast<std::size_t>(v * 4 + u)] = u < 2 ? 10.f : -10.f;
  PacketHeader header;
  header.source_frame = std::make_shared<const Frame>(Frame{cv::Mat(16, 16, CV_8UC3)});
  ASSERT_TRUE(h.push(YoloDecoder::kProtos, table({1, 1, 4, 4}, protos), header).ok());
  ASSERT_TRUE(h.push(YoloDecoder::kIn, table({1, 6, 1}, {8, 8, 12, 12, 0.9f, 1.0f}), header).ok());
  const Packet d_packet = h.pull(YoloDecoder::kOut);
  const auto& d = items(d_packet);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].mask_rect, cv::Rect(2, 2, 12, 12));
  ASSERT_EQ(d[0].mask.size(), cv::Size(12, 12));
  // Pixel centres x + 0.5 map to prototype u = (x + 0.5) / 4 - 0.5: 1 < u < 2 between
  // columns 5 and 8, where the value falls from ~1 to ~0 through 0.5 at u = 1.5, x = 7.5.
  for (int x = 2; x < 14; ++x)
    EXPECT_EQ(d[0].mask.at<unsigned char>(5, x - 2), x < 8 ? 255 : 0) << "x " << x;
  EXPECT_EQ(cv::countNonZero(d[0].mask), 6 * 12);
}

TEST(YoloDecoder, ATableThatDoesNotFitIsAClearError) {
  auto h = NodeHarness::load("yolo_decoder", "layout = \"v8\"\nclasses = 80");
  Status s = h.push(YoloDecoder::kIn, table({1, 6, 3}, three_anchors_v8()));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("read as layout v8 (a column per anchor) have 6 values per "
                                     "anchor, not 4 + classes with classes = 80"));
  auto batch = NodeHarness::load("yolo_decoder");
  s = batch.push(YoloDecoder::kIn, Tensor::zeros(DType::kFloat32, {2, 84, 10}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("holds 2 images"));
  auto seg = NodeHarness::load("yolo_decoder", "task = \"segment\"");
  s = seg.push(YoloDecoder::kIn, table({1, 6, 3}, three_anchors_v8()));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("connect the model's second output to 'protos'"));
}

// Run-length encoding of a mask, row-major, starting outside (as yolo_reference.py writes).
std::vector<int64_t> rle(const cv::Mat& mask) {
  std::vector<int64_t> runs;
  bool inside = false;
  int64_t run = 0;
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x) {
      if ((mask.at<unsigned char>(y, x) != 0) != inside) {
        runs.push_back(run);
        inside = !inside;
        run = 0;
      }
      ++run;
    }
  runs.push_back(run);
  return runs;
}

std::vector<bool> unrle(const std::vector<int64_t>& runs) {
  std::vector<bool> bits;
  bool inside = false;
  for (int64_t r : runs) {
    bits.insert(bits.end(), static_cast<std::size_t>(r), inside);
    inside = !inside;
  }
  return bits;
}

Tensor tensor_of(const json& shape, const json& values) {
  std::vector<int64_t> s = shape.get<std::vector<int64_t>>();
  return table(s, values.get<std::vector<float>>());
}

TEST(YoloDecoder, EqualsTheNumpyReferenceOnRandomTables) {
  test::TempDir dir;
  const auto made = test::run_command("/usr/bin/python3 " + std::string(SLUICE_SOURCE_DIR) +
                                      "/tests/models/yolo_reference.py " + dir.path().string());
  ASSERT_EQ(made.exit_code, 0) << made.output;
  int cases = 0, boxes = 0, masks = 0, keypoints = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() != ".json") continue;
    const json c = json::parse(test::read_file(entry.path().string()));
    ++cases;
    const std::string name = c["name"];
    std::string params = "layout = \"" + c["layout"].get<std::string>() + "\"\ntask = \"" +
                         c["task"].get<std::string>() +
                         "\"\nmin_score = " + std::to_string(c["min_score"].get<double>()) +
                         "\niou_threshold = " + std::to_string(c["iou"].get<double>()) +
                         "\nmax_detections = " + std::to_string(c["max_detections"].get<int>()) +
                         "\nclasses = " + std::to_string(c["classes"].get<int>()) +
                         "\ninput_size = [" + std::to_string(c["input_size"][0].get<int>()) + ", " +
                         std::to_string(c["input_size"][1].get<int>()) + "]\n";
    if (c["task"] == "pose") params += "keypoints = " + std::to_string(c["keypoints"].get<int>());
    auto h = NodeHarness::load("yolo_decoder", params);
    PacketHeader header;
    const auto& m = c["transform"];
    header.transform = Affine2D{m[0], m[1], m[2], m[3], m[4], m[5]};
    header.source_frame = std::make_shared<const Frame>(
        Frame{cv::Mat(c["frame_size"][1].get<int>(), c["frame_size"][0].get<int>(), CV_8UC3)});
    if (c["task"] == "segment") {
      ASSERT_TRUE(
          h.push(YoloDecoder::kProtos, tensor_of(c["protos_shape"], c["protos"]), header).ok());
    }
    ASSERT_TRUE(h.push(YoloDecoder::kIn, tensor_of(c["shape"], c["values"]), header).ok()) << name;
    const Packet got_packet = h.pull(YoloDecoder::kOut);
    const auto& got = items(got_packet);
    const json& expected = c["expected"];
    ASSERT_EQ(got.size(), expected.size()) << name;
    for (std::size_t i = 0; i < got.size(); ++i) {
      const json& e = expected[i];
      const std::string at = name + " detection " + std::to_string(i);
      EXPECT_EQ(got[i].class_id, e["class_id"].get<int>()) << at;
      EXPECT_NEAR(got[i].score, e["score"].get<double>(), 1e-6) << at;
      EXPECT_NEAR(got[i].box.x, e["box"][0].get<double>(), 1e-3) << at;
      EXPECT_NEAR(got[i].box.y, e["box"][1].get<double>(), 1e-3) << at;
      EXPECT_NEAR(got[i].box.width, e["box"][2].get<double>(), 1e-3) << at;
      EXPECT_NEAR(got[i].box.height, e["box"][3].get<double>(), 1e-3) << at;
      ++boxes;
      if (e.contains("keypoints")) {
        ASSERT_EQ(got[i].landmarks.size(), e["keypoints"].size()) << at;
        for (std::size_t k = 0; k < got[i].landmarks.size(); ++k) {
          EXPECT_NEAR(got[i].landmarks[k].x, e["keypoints"][k][0].get<double>(), 1e-3) << at;
          EXPECT_NEAR(got[i].landmarks[k].y, e["keypoints"][k][1].get<double>(), 1e-3) << at;
          EXPECT_NEAR(got[i].landmark_scores[k], e["keypoints"][k][2].get<double>(), 1e-6) << at;
        }
        ++keypoints;
      }
      if (e.contains("mask_rect")) {
        const auto r = e["mask_rect"];
        EXPECT_EQ(got[i].mask_rect, cv::Rect(r[0], r[1], r[2], r[3])) << at;
        // Pixels whose value is within float rounding of 0.5 may fall either way: at most
        // 0.1% of the rect's pixels (and 1) differ.
        const std::vector<bool> ours = unrle(rle(got[i].mask));
        const std::vector<bool> theirs = unrle(e["mask_rle"].get<std::vector<int64_t>>());
        ASSERT_EQ(ours.size(), theirs.size()) << at;
        std::size_t differ = 0;
        for (std::size_t k = 0; k < ours.size(); ++k) differ += ours[k] != theirs[k];
        EXPECT_LE(differ, std::max<std::size_t>(1, ours.size() / 1000)) << at;
        ++masks;
      }
    }
  }
  EXPECT_GE(cases, 8);
  EXPECT_GT(boxes, 50);
  EXPECT_GT(masks, 3);
  EXPECT_GT(keypoints, 3);
}

}  // namespace
}  // namespace sluice::testing
