// mot_writer through the NodeHarness: the MOTChallenge results format, a file per
// stream that appears whole when its stream ends.
#include "mot_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "packet_support.h"
#include "sluice/testing/node_harness.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

using sinks::MotWriter;
using ::testing::HasSubstr;

Detection tracked(float x, float y, int64_t id, float score = 0.75f) {
  Detection d;
  d.box = cv::Rect2f(x, y, 30.25f, 60);
  d.score = score;
  d.track_id = id;
  return d;
}

TEST(MotWriter, WritesTheResultsFormatAFilePerStreamWholeAtItsEnd) {
  test::TempDir dir;
  auto h = NodeHarness::load("mot_writer", "path = \"" + dir.file("out/t_{stream}.txt") + "\"");
  for (uint32_t s : {0u, 1u}) ASSERT_TRUE(h.start_stream(s).ok());
  ASSERT_TRUE(
      h.push(MotWriter::kIn, Detections{{tracked(10, 20, 1), tracked(5, 5, -1)}}, test::at(0, 0))
          .ok());
  ASSERT_TRUE(h.push(MotWriter::kIn, Detections{{tracked(1.5f, 2, 4, 0.5f)}}, test::at(1, 0)).ok());
  ASSERT_TRUE(h.push(MotWriter::kIn, Detections{}, test::at(0, 1)).ok());
  ASSERT_TRUE(h.push(MotWriter::kIn, Detections{{tracked(12, 20, 1)}}, test::at(0, 2)).ok());
  // Until its stream ends, a file is only its .part.
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/t_0.txt")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/t_0.txt.part")));
  ASSERT_TRUE(h.end_stream(0).ok());
  EXPECT_EQ(test::read_file(dir.file("out/t_0.txt")),
            "1,1,10.00,20.00,30.25,60.00,0.75,-1,-1,-1\n"
            "3,1,12.00,20.00,30.25,60.00,0.75,-1,-1,-1\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/t_0.txt.part")));
  EXPECT_EQ(h.counters().at("untracked"), 1);
  // The other stream's file is finished by close.
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(test::read_file(dir.file("out/t_1.txt")), "1,4,1.50,2.00,30.25,60.00,0.5,-1,-1,-1\n");
}

TEST(MotWriter, OneFileForTwoStreamsIsAClearError) {
  test::TempDir dir;
  auto h = NodeHarness::load("mot_writer", "path = \"" + dir.file("t.txt") + "\"");
  ASSERT_TRUE(h.push(MotWriter::kIn, Detections{}, test::at(0, 0)).ok());
  const Status s = h.push(MotWriter::kIn, Detections{}, test::at(1, 0));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("{stream}"));
}

}  // namespace
}  // namespace sluice::testing
