// image_source through the NodeHarness: files, folders, globs, order, timestamps, and a
// clear error (or a skip) for every file that is not a readable image.
#include "image_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "sluice/testing/node_harness.h"
#include "source_test_support.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string path_param(const std::string& path) { return "path = \"" + path + "\"\n"; }

// Pulls every pending frame.
std::vector<Packet> drain(NodeHarness& h) {
  std::vector<Packet> out;
  while (h.pending(sources::ImageSource::kOut.name) > 0)
    out.push_back(h.pull(sources::ImageSource::kOut));
  return out;
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(ImageSource, OneFileIsOneBgrFrameDecodedLikeImread) {
  const std::string file = test::media("messi5.jpg");
  auto h = NodeHarness::load("image_source", path_param(file));
  ASSERT_TRUE(h.run_source().ok());
  auto frames = drain(h);
  ASSERT_EQ(frames.size(), 1u);
  const Frame* f = frames[0].get_if<Frame>();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->format, PixelFormat::kBGR);
  EXPECT_TRUE(same_pixels(f->image, cv::imread(file, cv::IMREAD_COLOR)));
  EXPECT_EQ(frames[0].header().seq, 0);
  EXPECT_EQ(frames[0].header().pts_us, 0);
  EXPECT_EQ(frames[0].header().source_frame.get(), f);
  EXPECT_EQ(test::expected_frames_of("image_source", {{"path", file}}), 1);
}

TEST(ImageSource, FolderInSortedOrderWithPtsFromFps) {
  test::TempDir dir;
  // Written out of order; a hidden file and a sub-folder are not part of the set.
  fs::copy_file(test::media("dog.jpg"), dir.file("c.jpg"));
  fs::copy_file(test::media("chelsea.png"), dir.file("a.png"));
  fs::copy_file(test::media("horses.jpg"), dir.file("b.jpg"));
  dir.write(".hidden", "not an image");
  fs::create_directory(dir.path() / "sub");
  fs::copy_file(test::media("person.jpg"), dir.path() / "sub" / "d.jpg");

  auto h = NodeHarness::load("image_source", path_param(dir.path().string()) + "fps = 4");
  ASSERT_TRUE(h.run_source().ok());
  auto frames = drain(h);
  ASSERT_EQ(frames.size(), 3u);
  const char* expected[] = {"chelsea.png", "horses.jpg", "dog.jpg"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(frames[i].header().seq, i);
    EXPECT_EQ(frames[i].header().pts_us, i * 250000);
    EXPECT_TRUE(same_pixels(frames[i].get_if<Frame>()->image,
                            cv::imread(test::media(expected[i]), cv::IMREAD_COLOR)))
        << "frame " << i << " should be " << expected[i];
  }
  EXPECT_EQ(test::expected_frames_of("image_source", {{"path", dir.path().string()}}), 3);
}

TEST(ImageSource, GlobPicksTheMatchingFilesOnly) {
  const std::string dir = std::string(SLUICE_SOURCE_DIR) + "/assets/media/";
  test::media("dog.jpg");  // fails with advice when the media are missing
  auto h = NodeHarness::load("image_source", path_param(dir + "*.jpg"));
  ASSERT_TRUE(h.run_source().ok());
  EXPECT_EQ(drain(h).size(), 4u);  // dog, horses, messi5, person: no png, no avi

  // Braces take several extensions; every asset photo decodes (no false "truncated").
  auto all = NodeHarness::load("image_source", path_param(dir + "*.{jpg,png}"));
  ASSERT_TRUE(all.run_source().ok());
  EXPECT_EQ(drain(all).size(), 7u);
  EXPECT_EQ(test::expected_frames_of("image_source", {{"path", dir + "*.{jpg,png}"}}), 7);
}

TEST(ImageSource, ANonImageFileIsAnErrorNamingItAndTheNextFileFollows) {
  test::TempDir dir;
  fs::copy_file(test::media("dog.jpg"), dir.file("1.jpg"));
  const std::string notes = dir.write("2.txt", "these are notes, not an image\n");
  fs::copy_file(test::media("horses.jpg"), dir.file("3.jpg"));
  auto h = NodeHarness::load("image_source", path_param(dir.path().string()));

  const Status s = h.run_source();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "'" + notes + "' is not an image (no decoder for its format)");
  EXPECT_EQ(h.pending(sources::ImageSource::kOut.name), 1u);
  // What the runtime does under on_error = "skip": count the error and call again.
  ASSERT_TRUE(h.run_source().ok());
  auto frames = drain(h);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].header().seq, 0);
  EXPECT_EQ(frames[1].header().seq, 2);  // the bad file keeps its place in seq
}

TEST(ImageSource, TruncatedAndEmptyImagesAreErrors) {
  test::TempDir dir;
  test::copy_prefix(test::media("messi5.jpg"), dir.file("cut.jpg"), 30000);
  test::copy_prefix(test::media("chelsea.png"), dir.file("cut.png"), 100000);
  dir.write("empty.png", "");

  auto jpg = NodeHarness::load("image_source", path_param(dir.file("cut.jpg")));
  Status s = jpg.run_source();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "cannot decode '" + dir.file("cut.jpg") +
                             "': the JPEG data is truncated (no end-of-image marker)");
  auto png = NodeHarness::load("image_source", path_param(dir.file("cut.png")));
  s = png.run_source();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "cannot decode '" + dir.file("cut.png") + "': the image is corrupt or truncated");
  auto empty = NodeHarness::load("image_source", path_param(dir.file("empty.png")));
  s = empty.run_source();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "'" + dir.file("empty.png") + "' is empty, not an image");
}

TEST(ImageSource, ProgressiveJpegWholeAndTruncated) {
  test::TempDir dir;
  const cv::Mat image = cv::imread(test::media("horses.jpg"));
  ASSERT_TRUE(cv::imwrite(dir.file("p.jpg"), image, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  auto whole = NodeHarness::load("image_source", path_param(dir.file("p.jpg")));
  EXPECT_TRUE(whole.run_source().ok());
  EXPECT_EQ(whole.pending(sources::ImageSource::kOut.name), 1u);

  test::copy_prefix(dir.file("p.jpg"), dir.file("cut.jpg"), fs::file_size(dir.file("p.jpg")) / 2);
  auto cut = NodeHarness::load("image_source", path_param(dir.file("cut.jpg")));
  const Status s = cut.run_source();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("truncated"));
}

TEST(ImageSource, GreyAlphaAndSixteenBitImagesBecomeEightBitBgr) {
  test::TempDir dir;
  ASSERT_TRUE(cv::imwrite(dir.file("a_grey.png"), cv::Mat(20, 30, CV_8UC1, cv::Scalar(77))));
  ASSERT_TRUE(
      cv::imwrite(dir.file("b_rgba.png"), cv::Mat(20, 30, CV_8UC4, cv::Scalar(1, 2, 3, 4))));
  ASSERT_TRUE(cv::imwrite(dir.file("c_16bit.png"), cv::Mat(20, 30, CV_16UC3, cv::Scalar::all(0))));
  auto h = NodeHarness::load("image_source", path_param(dir.path().string()));
  ASSERT_TRUE(h.run_source().ok());
  auto frames = drain(h);
  ASSERT_EQ(frames.size(), 3u);
  for (const auto& p : frames) {
    const cv::Mat& m = p.get_if<Frame>()->image;
    EXPECT_EQ(m.type(), CV_8UC3);
    EXPECT_EQ(m.size(), cv::Size(30, 20));
  }
  EXPECT_EQ(frames[0].get_if<Frame>()->image.at<cv::Vec3b>(0, 0), cv::Vec3b(77, 77, 77));
  EXPECT_EQ(frames[1].get_if<Frame>()->image.at<cv::Vec3b>(0, 0), cv::Vec3b(1, 2, 3));
}

TEST(ImageSource, NothingToReadIsAnErrorAtOpen) {
  test::TempDir dir;
  auto missing = NodeHarness::try_load("image_source", path_param(dir.file("nope.jpg")));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "open: no such file or folder: '" + dir.file("nope.jpg") + "'");

  auto empty = NodeHarness::try_load("image_source", path_param(dir.path().string()));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "open: folder '" + dir.path().string() + "' holds no files");

  auto no_match = NodeHarness::try_load("image_source", path_param(dir.file("*.jpg")));
  ASSERT_FALSE(no_match.ok());
  EXPECT_EQ(no_match.status().message(), "open: no file matches '" + dir.file("*.jpg") + "'");

  auto no_path = NodeHarness::try_load("image_source", "");
  ASSERT_FALSE(no_path.ok());
  EXPECT_THAT(no_path.status().message(), HasSubstr("needs param 'path'"));
}

TEST(ImageSource, LoopKeepsCountingSeqAndPts) {
  test::TempDir dir;
  fs::copy_file(test::media("dog.jpg"), dir.file("a.jpg"));
  fs::copy_file(test::media("horses.jpg"), dir.file("b.jpg"));
  auto h =
      NodeHarness::load("image_source", path_param(dir.path().string()) + "loop = true\nfps = 10");
  ASSERT_TRUE(h.run_source(5).ok());
  auto frames = drain(h);
  ASSERT_EQ(frames.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(frames[i].header().seq, i);
    EXPECT_EQ(frames[i].header().pts_us, i * 100000);
  }
  EXPECT_EQ(frames[4].get_if<Frame>()->image.size(), frames[0].get_if<Frame>()->image.size());
  EXPECT_EQ(
      test::expected_frames_of("image_source", {{"path", dir.path().string()}, {"loop", true}}),
      -1);
}

}  // namespace
}  // namespace sluice::testing
