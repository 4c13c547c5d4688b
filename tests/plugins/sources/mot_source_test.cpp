// mot_source through the NodeHarness: a MOTChallenge file as one Detections packet per
// frame, the sequence's seqinfo.ini, and errors that name file and line.
#include "mot_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "sluice/testing/node_harness.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

using sources::MotSource;
using ::testing::HasSubstr;

// A sequence laid out as MOTChallenge does: seq/seqinfo.ini, seq/det/det.txt.
std::string sequence(test::TempDir& dir, const std::string& det, const std::string& seqinfo) {
  std::filesystem::create_directories(dir.path() / "seq" / "det");
  if (!seqinfo.empty()) dir.write("seq/seqinfo.ini", seqinfo);
  return dir.write("seq/det/det.txt", det);
}

TEST(MotSource, EveryFrameOfTheSequenceIsAPacketEmptyOnesIncluded) {
  test::TempDir dir;
  const std::string det = sequence(dir,
                                   "1,-1,10,20,30,60,0.9,-1,-1,-1\n"
                                   "1,-1,100.5,20,30,60,0.4,-1,-1,-1\n"
                                   "\n"
                                   "3,-1,12,21,30,60,0.8,-1,-1,-1\n",
                                   "[Sequence]\nname=toy\nimDir=img1\nframeRate=25\n"
                                   "seqLength=5\nimWidth=320\nimHeight=240\nimExt=.jpg\n");
  auto h = NodeHarness::load("mot_source", "path = \"" + det + "\"\nlabel = \"person\"");
  ASSERT_TRUE(h.run_source().ok());
  ASSERT_EQ(h.pending(MotSource::kOut.name), 5u);  // seqLength, not the file's last frame
  std::vector<std::size_t> counts;
  for (int64_t seq = 0; seq < 5; ++seq) {
    const Packet p = h.pull(MotSource::kOut);
    EXPECT_EQ(p.header().seq, seq);
    EXPECT_EQ(p.header().pts_us, seq * 40000);  // frameRate 25
    // No images: a grey canvas of the sequence's size, for the annotating sinks.
    ASSERT_NE(p.header().source_frame, nullptr);
    EXPECT_EQ(p.header().source_frame->image.size(), cv::Size(320, 240));
    const auto& items = p.get_if<Detections>()->items;
    counts.push_back(items.size());
    if (seq == 0) {
      EXPECT_EQ(items[1].box, cv::Rect2f(100.5f, 20, 30, 60));
      EXPECT_FLOAT_EQ(items[1].score, 0.4f);
      EXPECT_EQ(items[1].track_id, -1);
      EXPECT_EQ(items[1].class_id, -1);
      EXPECT_EQ(items[1].label, "person");
    }
  }
  EXPECT_EQ(counts, (std::vector<std::size_t>{2, 0, 1, 0, 0}));
}

TEST(MotSource, GroundTruthGivesTrackIdsAndClassesAndLeavesOutConfZeroRows) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "gt");
  const std::string gt = dir.write("gt/gt.txt",
                                   "1,7,10,20,30,60,1,1,1.0\n"
                                   "1,8,50,20,30,60,0,1,0.0\n"  // not to be considered
                                   "2,7,12,20,30,60,1,1,0.8\n");
  auto h = NodeHarness::load("mot_source", "path = \"" + gt + "\"");
  ASSERT_TRUE(h.run_source().ok());
  ASSERT_EQ(h.pending(MotSource::kOut.name), 2u);  // no seqinfo.ini: the file's last frame
  const auto first = h.pull(MotSource::kOut);
  ASSERT_EQ(first.get_if<Detections>()->items.size(), 1u);
  EXPECT_EQ(first.get_if<Detections>()->items[0].track_id, 7);
  EXPECT_EQ(first.get_if<Detections>()->items[0].class_id, 1);
  EXPECT_EQ(first.header().source_frame, nullptr);  // size unknown: no canvas
  auto all = NodeHarness::load("mot_source", "path = \"" + gt + "\"\nignore_zero_conf = false");
  ASSERT_TRUE(all.run_source().ok());
  EXPECT_EQ(all.pull(MotSource::kOut).get_if<Detections>()->items.size(), 2u);
}

TEST(MotSource, TheSequencesImagesBecomeTheSourceFrames) {
  test::TempDir dir;
  const std::string det =
      sequence(dir, "2,-1,1,1,5,5,0.9\n", "[Sequence]\nimDir=img1\nseqLength=2\nimExt=.png\n");
  std::filesystem::create_directories(dir.path() / "seq" / "img1");
  for (int f = 1; f <= 2; ++f)
    cv::imwrite(dir.file("seq/img1/00000" + std::to_string(f) + ".png"),
                cv::Mat(16, 24, CV_8UC3, cv::Scalar(f * 50, 0, 0)));
  auto h = NodeHarness::load("mot_source", "path = \"" + det + "\"");
  ASSERT_TRUE(h.run_source().ok());
  for (int f = 1; f <= 2; ++f) {
    const Packet p = h.pull(MotSource::kOut);
    ASSERT_NE(p.header().source_frame, nullptr);
    EXPECT_EQ(p.header().source_frame->image.at<cv::Vec3b>(0, 0)[0], f * 50);
  }
  // An image missing from the folder fails the run naming it.
  std::filesystem::remove(dir.file("seq/img1/000002.png"));
  auto missing = NodeHarness::load("mot_source", "path = \"" + det + "\"");
  const Status s = missing.run_source();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("000002.png"));
}

TEST(MotSource, BadRowsAreErrorsNamingFileAndLine) {
  test::TempDir dir;
  const std::string seqinfo = "[Sequence]\nseqLength=3\n";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"1,-1,10,20,30,60,0.9\n1,-1,10,20\n", ":2: expected at least 7 comma-separated numbers"},
      {"1,-1,10,x,30,60,0.9\n", ":1: column 4 is not a number: 'x'"},
      {"0,-1,10,20,30,60,0.9\n", ":1: the frame must be a whole number from 1, got 0"},
      {"1.5,-1,10,20,30,60,0.9\n", ":1: the frame must be a whole number from 1, got 1.5"},
      {"1,-1,10,20,0,60,0.9\n", ":1: the box's width and height must be positive"},
      {"4,-1,10,20,30,60,0.9\n", ":1: frame 4 is beyond the 3 frames of the sequence"},
  };
  for (const auto& [text, error] : cases) {
    const std::string det = sequence(dir, text, seqinfo);
    auto h = NodeHarness::try_load("mot_source", "path = \"" + det + "\"");
    ASSERT_FALSE(h.ok()) << text;
    EXPECT_THAT(h.status().message(), HasSubstr("'" + det + "'" + error)) << text;
  }
  const std::string det = sequence(dir, "1,-1,10,20,30,60,0.9\n", "[Sequence]\nseqLength=ten\n");
  auto bad_ini = NodeHarness::try_load("mot_source", "path = \"" + det + "\"");
  ASSERT_FALSE(bad_ini.ok());
  EXPECT_THAT(bad_ini.status().message(), HasSubstr("seqinfo.ini':2: seqLength is not a number"));
  auto missing = NodeHarness::try_load("mot_source", "path = \"" + dir.file("none.txt") + "\"");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("none.txt': no such file"));
}

}  // namespace
}  // namespace sluice::testing
