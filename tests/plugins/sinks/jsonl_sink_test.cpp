// jsonl_sink through the NodeHarness: every field of every payload, one flushed line per
// input set, append, and errors that name the path.
#include "jsonl_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sink_test_support.h"
#include "sluice/testing/node_harness.h"

namespace sluice::testing {
namespace {

using nlohmann::json;
using sink_test::at;
using sink_test::detection;
using sink_test::read_lines;
using ::testing::HasSubstr;

class JsonlSinkTest : public ::testing::Test {
 protected:
  NodeHarness load(const std::string& extra = "") {
    return NodeHarness::load("jsonl_sink", "path = \"" + path_ + "\"\n" + extra);
  }
  test::TempDir dir_;
  std::string path_ = dir_.file("out.jsonl");
};

TEST_F(JsonlSinkTest, WritesEveryFieldOfDetectionsOneLinePerInputSet) {
  auto h = load();
  Detection d = detection({10.5f, 20, 30, 40}, 0, 0.9f, "person");
  d.landmarks = {{12, 25}, {30.25f, 25}};
  d.track_id = 3;
  d.velocity = {1.5f, -0.25f};
  d.classes = {{2, 0.8f, "smile"}, {5, 0.1f, "frown"}};
  auto frame = sink_test::make_frame(cv::Mat(48, 64, CV_8UC3));
  ASSERT_TRUE(h.push(sinks::JsonlSink::kDetections.name,
                     sink_test::result_packet(Detections{{d, detection({1, 2, 3, 4}, 7, 0.25f)}},
                                              frame, at(2, 5, 200000)))
                  .ok());
  ASSERT_TRUE(
      h.push(sinks::JsonlSink::kDetections.name, Packet::make(at(2, 6), Detections{})).ok());
  ASSERT_TRUE(h.close().ok());

  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 2u);
  const json j = json::parse(lines[0]);
  EXPECT_EQ(j["stream"], 2);
  EXPECT_EQ(j["seq"], 5);
  EXPECT_EQ(j["pts_us"], 200000);
  EXPECT_EQ(j["frame_size"], json::array({64, 48}));
  EXPECT_FALSE(j.contains("classifications"));
  EXPECT_FALSE(j.contains("mask"));
  EXPECT_FALSE(j.contains("sub_index"));
  ASSERT_EQ(j["detections"].size(), 2u);
  const json& first = j["detections"][0];
  // Floats are written as the shortest text that reads back the same: 0.9, not 0.89999...
  EXPECT_THAT(lines[0], HasSubstr("\"score\":0.9,"));
  EXPECT_EQ(first["box"], json({{"x", 10.5}, {"y", 20}, {"w", 30}, {"h", 40}}));
  EXPECT_EQ(first["class_id"], 0);
  EXPECT_EQ(first["label"], "person");
  EXPECT_EQ(first["landmarks"], json::parse("[[12, 25], [30.25, 25]]"));
  EXPECT_EQ(first["track_id"], 3);
  EXPECT_EQ(first["velocity"], json::array({1.5, -0.25}));
  EXPECT_EQ(first["classes"], json::parse(R"([{"class_id": 2, "score": 0.8, "label": "smile"},
                                              {"class_id": 5, "score": 0.1, "label": "frown"}])"));
  const json& second = j["detections"][1];
  EXPECT_EQ(second["score"], 0.25);
  EXPECT_FALSE(second.contains("landmarks"));  // only when there is something to say
  EXPECT_FALSE(second.contains("track_id"));
  EXPECT_FALSE(second.contains("classes"));

  const json empty = json::parse(lines[1]);
  EXPECT_EQ(empty["detections"], json::array());
  EXPECT_FALSE(empty.contains("frame_size"));
}

TEST_F(JsonlSinkTest, ValuesInstanceMasksAndKeypointScores) {
  auto h = load();
  Detection d = detection({1, 2, 3, 4}, 0, 0.9f, "person");
  d.landmarks = {{1, 1}, {2, 2}};
  d.landmark_scores = {0.5f, 0.25f};
  d.values = {{"age", 31.5f}};
  d.mask_rect = cv::Rect(10, 20, 3, 2);
  d.mask = (cv::Mat_<uint8_t>(2, 3) << 0, 255, 255, 255, 0, 0);
  ASSERT_TRUE(
      h.push(sinks::JsonlSink::kDetections.name, Packet::make(at(0, 0), Detections{{d}})).ok());
  ASSERT_TRUE(h.push(sinks::JsonlSink::kValues.name,
                     Packet::make(at(0, 1), Values{{{"price", 2.5f}, {"rooms", 3}}}))
                  .ok());
  ASSERT_TRUE(
      h.push(sinks::JsonlSink::kDetections.name, Packet::make(at(0, 1), Detections{})).ok());
  ASSERT_TRUE(h.close().ok());
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 2u);
  const json first = json::parse(lines[0])["detections"][0];
  EXPECT_EQ(first["landmark_scores"], json::array({0.5, 0.25}));
  EXPECT_EQ(first["values"], json({{"age", 31.5}}));
  // Row-major runs over the 3 x 2 rect: 1 outside, 3 inside, 2 outside.
  EXPECT_EQ(first["mask"], json::parse(R"({"rect": [10, 20, 3, 2], "pixels": 3,
                                           "rle": [1, 3, 2]})"));
  EXPECT_EQ(json::parse(lines[1])["values"], json({{"price", 2.5}, {"rooms", 3}}));
}

// Embeddings as lists (a frame's from the embedding input, a detection's own), and the file
// a frame was read from as "source" (what embedding_match's gallery takes labels from).
TEST_F(JsonlSinkTest, EmbeddingsAndTheFileAFrameCameFrom) {
  auto h = load();
  Detection d = detection({1, 2, 3, 4}, 0, 0.9f, "face");
  d.embedding = {0.6f, -0.8f};
  PacketHeader from_file = at(0, 0);
  from_file.source_frame =
      std::make_shared<const Frame>(cv::Mat(4, 6, CV_8UC3), PixelFormat::kBGR, "g/alice/1.jpg");
  ASSERT_TRUE(
      h.push(sinks::JsonlSink::kDetections.name, Packet::make(from_file, Detections{{d}})).ok());
  ASSERT_TRUE(h.push(sinks::JsonlSink::kEmbedding.name,
                     Packet::make(at(0, 1), Embedding{{0.25f, 0.5f, 0.125f}}))
                  .ok());
  ASSERT_TRUE(
      h.push(sinks::JsonlSink::kDetections.name, Packet::make(at(0, 1), Detections{})).ok());
  ASSERT_TRUE(h.close().ok());
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 2u);
  const json first = json::parse(lines[0]);
  EXPECT_EQ(first["source"], "g/alice/1.jpg");
  EXPECT_EQ(first["frame_size"], json::array({6, 4}));
  EXPECT_EQ(first["detections"][0]["embedding"], json::array({0.6, -0.8}));
  EXPECT_FALSE(first.contains("embedding"));  // connected, but frame 0 has none
  const json second = json::parse(lines[1]);
  EXPECT_EQ(second["embedding"], json::array({0.25, 0.5, 0.125}));
  EXPECT_FALSE(second.contains("source"));  // a frame of a video or stream: its stream names it
}

TEST_F(JsonlSinkTest, EventsOnEveryLineAndCountsOnLinesThatHaveAny) {
  auto h = load();
  Events quiet;
  quiet.regions = {{.name = "door", .points = {{0, 0}, {1, 1}}, .closed = false, .counts = {}}};
  Events crossing = quiet;
  crossing.items = {{.kind = "line_crossing",
                     .region = "door",
                     .direction = "in",
                     .track_id = 4,
                     .class_id = 0,
                     .label = "person",
                     .point = {144, 301.5f},
                     .dwell_s = 0},
                    {.kind = "zone_exit",
                     .region = "queue",
                     .direction = "lost",
                     .track_id = 2,
                     .class_id = -1,
                     .label = "",
                     .point = {1, 2},
                     .dwell_s = 2.5}};
  crossing.regions[0].counts = {{"in", "", 1}, {"in", "person", 1}};
  ASSERT_TRUE(h.push(sinks::JsonlSink::kEvents.name, Packet::make(at(0, 0), quiet)).ok());
  ASSERT_TRUE(h.push(sinks::JsonlSink::kEvents.name, Packet::make(at(0, 1), crossing)).ok());
  ASSERT_TRUE(h.close().ok());
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 2u);
  const json first = json::parse(lines[0]);
  EXPECT_EQ(first["events"], json::array());
  EXPECT_FALSE(first.contains("counts"));
  const json second = json::parse(lines[1]);
  EXPECT_EQ(second["events"], json::parse(R"([
      {"kind": "line_crossing", "region": "door", "direction": "in", "track_id": 4,
       "class_id": 0, "label": "person", "point": [144, 301.5]},
      {"kind": "zone_exit", "region": "queue", "direction": "lost", "track_id": 2,
       "class_id": -1, "point": [1, 2], "dwell_s": 2.5}])"));
  EXPECT_EQ(second["counts"], json::parse(R"({"door": {"in": 1, "in:person": 1}})"));
}

TEST_F(JsonlSinkTest, ClassificationsAndMaskSummariesMatchedIntoOneLine) {
  auto h = load();
  SegmentationMask m;
  m.mask = cv::Mat::zeros(10, 20, CV_8U);
  m.mask.colRange(0, 5).setTo(1);  // a quarter
  m.mask.row(0).setTo(4);          // 20 pixels of a class without label
  m.labels = {"background", "person"};
  ASSERT_TRUE(
      sink_test::push_set(
          h,
          {{sinks::JsonlSink::kClassifications.name,
            Packet::make(at(0, 3), Classifications{{{281, 0.62f, "tabby"}, {3, 0.1f, ""}}})},
           {sinks::JsonlSink::kMask.name, Packet::make(at(0, 3), m)}},
          true)
          .ok());

  SegmentationMask p;
  p.mask = cv::Mat(4, 5, CV_32F, cv::Scalar(0.25));
  p.mask.colRange(0, 2).setTo(1.0);  // 8 of 20 pixels at or above 0.5
  ASSERT_TRUE(sink_test::push_set(h,
                                  {{sinks::JsonlSink::kClassifications.name,
                                    Packet::make(at(0, 4), Classifications{})},
                                   {sinks::JsonlSink::kMask.name, Packet::make(at(0, 4), p)}},
                                  false)
                  .ok());
  ASSERT_TRUE(h.close().ok());

  // The first set primed the harness with classifications alone.
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_FALSE(json::parse(lines[0]).contains("mask"));
  const json j = json::parse(lines[1]);
  EXPECT_FALSE(j.contains("detections"));
  EXPECT_EQ(j["classifications"],
            json::parse(R"([{"class_id": 281, "score": 0.62, "label": "tabby"},
                                                  {"class_id": 3, "score": 0.1}])"));
  EXPECT_EQ(j["mask"]["width"], 20);
  EXPECT_EQ(j["mask"]["height"], 10);
  EXPECT_EQ(j["mask"]["kind"], "class_ids");
  EXPECT_EQ(j["mask"]["classes"], json::parse(R"([
      {"class_id": 0, "label": "background", "pixels": 135, "fraction": 0.675},
      {"class_id": 1, "label": "person", "pixels": 45, "fraction": 0.225},
      {"class_id": 4, "pixels": 20, "fraction": 0.1}])"));

  const json probabilities = json::parse(lines[2])["mask"];
  EXPECT_EQ(probabilities["kind"], "probabilities");
  EXPECT_EQ(probabilities["mean"], 0.55);
  EXPECT_EQ(probabilities["classes"][1],
            json::parse(R"({"class_id": 1, "pixels": 8, "fraction": 0.4})"));
}

// COCO's uncompressed RLE: column-major runs, starting with pixels outside the class.
TEST_F(JsonlSinkTest, MaskRleGivesEachClassItsPixelsAsCocoRuns) {
  auto h = load("mask_rle = true");
  SegmentationMask ids;
  ids.mask = (cv::Mat_<uint8_t>(3, 2) << 0, 1, 1, 1, 0, 0);  // column-major: 0 1 0, 1 1 0
  SegmentationMask probabilities;
  probabilities.mask = (cv::Mat_<float>(2, 2) << 0.7f, 0.2f, 0.1f, 0.9f);  // 1 0 0 1
  ASSERT_TRUE(h.push(sinks::JsonlSink::kMask.name, Packet::make(at(0, 0), ids)).ok());
  ASSERT_TRUE(h.push(sinks::JsonlSink::kMask.name, Packet::make(at(0, 1), probabilities)).ok());
  ASSERT_TRUE(h.close().ok());
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 2u);
  const json a = json::parse(lines[0])["mask"]["classes"];
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0]["rle"], json::parse(R"({"size": [3, 2], "counts": [0, 1, 1, 1, 2, 1]})"));
  EXPECT_EQ(a[1]["rle"], json::parse(R"({"size": [3, 2], "counts": [1, 1, 1, 2, 1]})"));
  const json b = json::parse(lines[1])["mask"]["classes"];
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0]["rle"], json::parse(R"({"size": [2, 2], "counts": [1, 2, 1]})"));
  EXPECT_EQ(b[1]["rle"], json::parse(R"({"size": [2, 2], "counts": [0, 1, 2, 1]})"));
  // Without mask_rle, the summary alone (the test above).
}

TEST_F(JsonlSinkTest, EachLineIsOnDiskAsSoonAsItIsProcessed) {
  auto h = load();
  for (int64_t seq = 0; seq < 3; ++seq) {
    ASSERT_TRUE(
        h.push(sinks::JsonlSink::kDetections.name, Packet::make(at(0, seq), Detections{})).ok());
    // Not closed yet: a run killed now would keep every line so far.
    const auto lines = read_lines(path_);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(seq + 1));
    EXPECT_EQ(json::parse(lines.back())["seq"], seq);
  }
}

TEST_F(JsonlSinkTest, StreamRecordsSayWhenAStreamStartsAndEndsInOrderWithItsLines) {
  auto h = load("stream_records = true");
  auto frame = sink_test::make_frame(cv::Mat(48, 64, CV_8UC3));
  auto push = [&](uint32_t stream, int64_t seq) {
    ASSERT_TRUE(h.push(sinks::JsonlSink::kDetections.name,
                       sink_test::result_packet(Detections{}, frame, at(stream, seq, 0)))
                    .ok());
  };
  ASSERT_TRUE(h.start_stream(0).ok());
  ASSERT_TRUE(h.start_stream(1).ok());
  push(0, 0);
  push(1, 0);
  push(0, 1);
  ASSERT_TRUE(h.end_stream(0, "removed").ok());
  // On disk now, while stream 1 goes on.
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(json::parse(lines[0]), json::parse(R"({"stream":0,"event":"start"})"));
  EXPECT_EQ(json::parse(lines[5]),
            json::parse(R"({"stream":0,"event":"end","reason":"removed","lines":2})"));
  push(1, 1);
  ASSERT_TRUE(h.end_stream(1).ok());
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(json::parse(read_lines(path_).back()),
            json::parse(R"({"stream":1,"event":"end","reason":"end","lines":2})"));
}

TEST_F(JsonlSinkTest, WithoutStreamRecordsOnlyFramesAreWritten) {
  auto h = load();
  ASSERT_TRUE(h.start_stream(0).ok());
  ASSERT_TRUE(
      h.push(sinks::JsonlSink::kDetections.name,
             sink_test::result_packet(Detections{}, sink_test::make_frame(cv::Mat(48, 64, CV_8UC3)),
                                      at(0, 0, 0)))
          .ok());
  ASSERT_TRUE(h.end_stream(0).ok());
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(read_lines(path_).size(), 1u);
}

TEST_F(JsonlSinkTest, SubPacketsSayWhichPart) {
  auto h = load();
  PacketHeader part = at(1, 9);
  part.sub_index = 2;
  part.sub_count = 4;
  ASSERT_TRUE(h.push(sinks::JsonlSink::kClassifications.name,
                     Packet::make(part, Classifications{{{1, 0.5f, "a"}}}))
                  .ok());
  ASSERT_TRUE(h.close().ok());
  const json j = json::parse(read_lines(path_).at(0));
  EXPECT_EQ(j["sub_index"], 2);
  EXPECT_EQ(j["sub_count"], 4);
}

TEST_F(JsonlSinkTest, ReplacesOrAppends) {
  for (int run = 0; run < 2; ++run) {
    auto h = load();
    ASSERT_TRUE(
        h.push(sinks::JsonlSink::kDetections.name, Packet::make(at(0, run), Detections{})).ok());
  }
  EXPECT_EQ(read_lines(path_).size(), 1u);
  {
    auto h = load("append = true");
    ASSERT_TRUE(
        h.push(sinks::JsonlSink::kDetections.name, Packet::make(at(0, 7), Detections{})).ok());
  }
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[1])["seq"], 7);
}

TEST_F(JsonlSinkTest, InvalidUtf8InALabelIsReplacedNotAnError) {
  auto h = load();
  ASSERT_TRUE(
      h.push(sinks::JsonlSink::kDetections.name,
             Packet::make(at(0, 0), Detections{{detection({0, 0, 1, 1}, 0, 0.5f, "caf\xe9")}}))
          .ok());
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(json::parse(read_lines(path_).at(0))["detections"][0]["label"], "caf\xef\xbf\xbd");
}

TEST_F(JsonlSinkTest, MissingFoldersAreCreatedAndAnUnwritablePathIsAnErrorAtOpen) {
  const std::string nested = dir_.file("a/b/out.jsonl");
  auto h = NodeHarness::load("jsonl_sink", "path = \"" + nested + "\"");
  ASSERT_TRUE(
      h.push(sinks::JsonlSink::kDetections.name, Packet::make(at(0, 0), Detections{})).ok());
  EXPECT_EQ(read_lines(nested).size(), 1u);

  const std::string file = dir_.write("file", "x");
  const std::string under_file = file + "/out.jsonl";
  auto bad = NodeHarness::try_load("jsonl_sink", "path = \"" + under_file + "\"");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("open: cannot write '" + under_file + "': '" + file + "' is not a folder"));

  auto folder = NodeHarness::try_load("jsonl_sink", "path = \"" + dir_.path().string() + "\"");
  ASSERT_FALSE(folder.ok());
  EXPECT_THAT(folder.status().message(),
              HasSubstr("cannot write '" + dir_.path().string() + "': Is a directory"));
}

}  // namespace
}  // namespace sluice::testing
