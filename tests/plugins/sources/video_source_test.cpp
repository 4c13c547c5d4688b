// video_source through the NodeHarness: every frame in order with its pts, the declared
// frame count, looping, pacing, and clear errors for missing, foreign, truncated files.
#include "video_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/videoio.hpp>
#include <regex>

#include "sluice/testing/node_harness.h"
#include "source_test_support.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

std::string path_param(const std::string& path) { return "path = \"" + path + "\"\n"; }

std::vector<Packet> drain(NodeHarness& h) {
  std::vector<Packet> out;
  while (h.pending(sources::VideoSource::kOut.name) > 0)
    out.push_back(h.pull(sources::VideoSource::kOut));
  return out;
}

TEST(VideoSource, EveryFrameOfVtestInOrderWithItsPts) {
  const std::string file = test::media("vtest.avi");
  auto h = NodeHarness::load("video_source", path_param(file));
  ASSERT_TRUE(h.run_source().ok());
  auto frames = drain(h);
  ASSERT_EQ(frames.size(), 795u);
  cv::VideoCapture reference(file, cv::CAP_FFMPEG);
  cv::Mat expected;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const PacketHeader& header = frames[i].header();
    ASSERT_EQ(header.seq, static_cast<int64_t>(i));
    ASSERT_EQ(header.pts_us, static_cast<int64_t>(i) * 100000);  // 10 fps
    const cv::Mat& image = frames[i].get_if<Frame>()->image;
    ASSERT_EQ(image.type(), CV_8UC3);
    ASSERT_EQ(image.size(), cv::Size(768, 576));
    ASSERT_TRUE(reference.read(expected));
    if (i % 100 == 0) {
      ASSERT_EQ(cv::norm(image, expected, cv::NORM_INF), 0) << "frame " << i;
    }
  }
}

TEST(VideoSource, DeclaredFrameCountMatchesFfprobe) {
  const std::string file = test::media("vtest.avi");
  // ffprobe decodes every frame and counts them: the real count, not the header's.
  const auto probe = test::run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=nb_read_frames -of csv=p=0 " +
      file);
  ASSERT_EQ(probe.exit_code, 0) << probe.output;
  EXPECT_EQ(std::stoll(probe.output), 795);
  EXPECT_EQ(test::expected_frames_of("video_source", {{"path", file}}), 795);
  EXPECT_EQ(test::expected_frames_of("video_source", {{"path", file}, {"loop", true}}), -1);
}

TEST(VideoSource, PtsAlwaysIncreaseEvenWhereTheFileHasNone) {
  // Megamind.avi's last frame carries no timestamp (OpenCV reads it as 0).
  auto h = NodeHarness::load("video_source", path_param(test::media("Megamind.avi")));
  ASSERT_TRUE(h.run_source().ok());
  auto frames = drain(h);
  ASSERT_EQ(frames.size(), 270u);
  EXPECT_NEAR(frames[0].header().pts_us, 41708, 1);  // the file's first timestamp
  for (std::size_t i = 1; i < frames.size(); ++i)
    ASSERT_NEAR(frames[i].header().pts_us - frames[i - 1].header().pts_us, 41708, 2)
        << "frame " << i;
}

TEST(VideoSource, LoopKeepsSeqAndPtsIncreasing) {
  auto h =
      NodeHarness::load("video_source", path_param(test::media("Megamind.avi")) + "loop = true");
  ASSERT_TRUE(h.run_source(600).ok());
  auto frames = drain(h);
  ASSERT_EQ(frames.size(), 600u);  // two passes and a bit
  for (std::size_t i = 1; i < frames.size(); ++i) {
    ASSERT_EQ(frames[i].header().seq, static_cast<int64_t>(i));
    ASSERT_NEAR(frames[i].header().pts_us - frames[i - 1].header().pts_us, 41708, 2)
        << "frame " << i;
  }
  EXPECT_EQ(
      cv::norm(frames[0].get_if<Frame>()->image, frames[270].get_if<Frame>()->image, cv::NORM_INF),
      0);
}

TEST(VideoSource, RealtimePacesAtTheFileRate) {
  const std::string file = path_param(test::media("vtest.avi"));
  auto paced = NodeHarness::load("video_source", file + "realtime = true");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(paced.run_source(6).ok());
  EXPECT_GE(test::seconds_since(t0), 0.49);  // frames 0..5 at 10 fps: the last is due at 0.5 s
  EXPECT_EQ(paced.pending(sources::VideoSource::kOut.name), 6u);
}

TEST(VideoSource, MissingFolderOrForeignFileIsAnErrorAtOpen) {
  test::TempDir dir;
  auto missing = NodeHarness::try_load("video_source", path_param(dir.file("gone.mp4")));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "open: '" + dir.file("gone.mp4") + "': no such file");

  auto folder = NodeHarness::try_load("video_source", path_param(dir.path().string()));
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.status().message(),
            "open: '" + dir.path().string() + "': is a folder, not a file");

  const std::string text = dir.write("notes.avi", "not a video at all\n");
  auto foreign = NodeHarness::try_load("video_source", path_param(text));
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(
      foreign.status().message(),
      "open: cannot open '" + text + "' as a video: not a video, or a format FFMPEG cannot read");

  // Cut inside the headers: FFMPEG cannot open it.
  test::copy_prefix(test::media("vtest.avi"), dir.file("head.avi"), 3000);
  auto head = NodeHarness::try_load("video_source", path_param(dir.file("head.avi")));
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().message(),
            "open: cannot open '" + dir.file("head.avi") +
                "' as a video: not a video, or a format FFMPEG cannot read");

  // Cut inside the first frame: the decoder conceals what is missing, and the next
  // frame is the error.
  test::copy_prefix(test::media("vtest.avi"), dir.file("one.avi"), 6000);
  auto one = NodeHarness::load("video_source", path_param(dir.file("one.avi")));
  const Status s = one.run_source();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "'" + dir.file("one.avi") +
                             "': decoding stopped at frame 1 of 795: the file is truncated or "
                             "corrupt");
}

TEST(VideoSource, TruncatedVideoIsAnErrorNamingFileAndFrame) {
  test::TempDir dir;
  const std::string cut = dir.file("cut.avi");
  test::copy_prefix(test::media("vtest.avi"), cut, 4'000'000);  // about half
  auto h = NodeHarness::load("video_source", path_param(cut));
  const auto t0 = std::chrono::steady_clock::now();
  const Status s = h.run_source();
  ASSERT_FALSE(s.ok());
  EXPECT_LT(test::seconds_since(t0), 20);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(s.message(), m,
                               std::regex("'(.*)': decoding stopped at frame ([0-9]+) of 795: "
                                          "the file is truncated or corrupt")))
      << s.message();
  EXPECT_EQ(m[1], cut);
  const std::size_t decoded = std::stoul(m[2]);
  EXPECT_GT(decoded, 300u);
  EXPECT_LT(decoded, 500u);
  EXPECT_EQ(h.pending(sources::VideoSource::kOut.name),
            decoded);  // every frame before the damage came out

  // Under on_error = "skip" the runtime calls again: one more read, then the end.
  EXPECT_TRUE(h.run_source(100).ok());
  EXPECT_EQ(h.pending(sources::VideoSource::kOut.name), decoded);
}

TEST(VideoSource, EstimatedFrameCountOneOffIsNoError) {
  // A Matroska file declares no frame count: OpenCV estimates it from the duration, one
  // more than there are here. The end of such a file must not read as truncation.
  test::TempDir dir;
  const std::string mkv = dir.file("m.mkv");
  const auto made = test::run_command("ffmpeg -nostdin -v error -i " + test::media("Megamind.avi") +
                                      " -an -c:v libx264 -preset ultrafast " + mkv);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  cv::VideoCapture probe(mkv, cv::CAP_FFMPEG);
  EXPECT_EQ(probe.get(cv::CAP_PROP_FRAME_COUNT), 271);  // what makes this case
  auto h = NodeHarness::load("video_source", path_param(mkv));
  const Status s = h.run_source();
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(h.pending(sources::VideoSource::kOut.name), 270u);
}

}  // namespace
}  // namespace sluice::testing
