// image_writer through the NodeHarness: files named from the pattern, the picture chosen
// right (frame input, else source frame), results drawn through each packet's transform.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "annotate.h"
#include "sink_test_support.h"
#include "sluice/testing/node_harness.h"

namespace sluice::testing {
namespace {

using sink_test::at;
using sink_test::colour_distance;
using sink_test::detection;
using sinks::class_colour;
using ::testing::HasSubstr;

class ImageWriterTest : public ::testing::Test {
 protected:
  NodeHarness load(const std::string& extra = "") {
    return NodeHarness::load("image_writer", "dir = \"" + dir_.file("shots") + "\"\n" + extra);
  }
  cv::Mat read(const std::string& name) {
    return cv::imread(dir_.file("shots/" + name), cv::IMREAD_COLOR);
  }
  test::TempDir dir_;
};

TEST_F(ImageWriterTest, DrawsOnTheSourceFrameWhenNoFrameIsConnected) {
  auto h = load("labels = false\nthickness = 1");
  auto frame = sink_test::make_frame(cv::Mat(100, 200, CV_8UC3, cv::Scalar(40, 40, 40)));
  ASSERT_TRUE(h.push(sinks::kDetections.name,
                     sink_test::result_packet(Detections{{detection({20, 30, 50, 40}, 3)}}, frame,
                                              at(2, 17)))
                  .ok());
  const cv::Mat out = read("2_000017.png");
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.size(), cv::Size(200, 100));
  EXPECT_EQ(colour_distance(out.at<cv::Vec3b>(50, 20), class_colour(3)), 0);
  EXPECT_EQ(out.at<cv::Vec3b>(50, 40), cv::Vec3b(40, 40, 40));
  // The shared source frame itself is untouched.
  EXPECT_EQ(frame->image.at<cv::Vec3b>(50, 20), cv::Vec3b(40, 40, 40));
}

TEST_F(ImageWriterTest, DrawsOnTheFrameInputThroughItsTransformAndWarpsTheMask) {
  // The source frame is 200x100; the frame input is it at half size (transform 0.5); the
  // mask is at a quarter (50x25, its own transform 0.25) with class 1 on its left 10
  // columns, i.e. source x < 40, i.e. frame x < 20.
  auto h = load("labels = false\nthickness = 1\nmask_alpha = 1.0");
  auto source = sink_test::make_frame(cv::Mat(100, 200, CV_8UC3, cv::Scalar(40, 40, 40)));
  PacketHeader half = at(0, 1);
  half.transform = Affine2D::scale_translate(0.5, 0.5, 0, 0);
  half.source_frame = source;
  SegmentationMask m;
  m.mask = cv::Mat::zeros(25, 50, CV_8U);
  m.mask.colRange(0, 10).setTo(1);
  PacketHeader quarter = at(0, 1);
  quarter.transform = Affine2D::scale_translate(0.25, 0.25, 0, 0);
  ASSERT_TRUE(sink_test::push_set(
                  h,
                  {{sinks::kFrame.name,
                    Packet::make(half, Frame{cv::Mat(50, 100, CV_8UC3, cv::Scalar(90, 90, 90))})},
                   {sinks::kMask.name, Packet::make(quarter, m)},
                   {sinks::kDetections.name,
                    sink_test::result_packet(Detections{{detection({100, 40, 60, 40}, 2)}}, source,
                                             at(0, 1))}},
                  true)
                  .ok());

  const cv::Mat out = read("0_000001.png");
  ASSERT_EQ(out.size(), cv::Size(100, 50));  // the frame input, not the source frame
  EXPECT_EQ(colour_distance(out.at<cv::Vec3b>(10, 19), class_colour(1)), 0);
  EXPECT_EQ(out.at<cv::Vec3b>(10, 20), cv::Vec3b(90, 90, 90));
  // The box (100, 40, 60, 40) lands at (50, 20)..(80, 40) on the half-size frame.
  EXPECT_EQ(colour_distance(out.at<cv::Vec3b>(30, 50), class_colour(2)), 0);
  EXPECT_EQ(colour_distance(out.at<cv::Vec3b>(30, 80), class_colour(2)), 0);
  EXPECT_EQ(out.at<cv::Vec3b>(30, 65), cv::Vec3b(90, 90, 90));
}

TEST_F(ImageWriterTest, ARealPhotoAsJpegWithEverythingDrawn) {
  const cv::Mat dog = sink_test::asset_image("dog.jpg");
  ASSERT_FALSE(dog.empty());
  auto h = load("format = \"jpg\"\njpeg_quality = 90\npattern = \"dog_{seq}\"");
  auto frame = sink_test::make_frame(dog);
  const float w = static_cast<float>(dog.cols), ht = static_cast<float>(dog.rows);
  Detection d = detection({w * 0.2f, ht * 0.3f, w * 0.4f, ht * 0.5f}, 16, 0.87f, "dog");
  d.landmarks = {{w * 0.3f, ht * 0.4f}};
  d.track_id = 4;
  d.classes = {{1, 0.6f, "sitting"}};
  ASSERT_TRUE(
      sink_test::push_set(
          h,
          {{sinks::kDetections.name, sink_test::result_packet(Detections{{d}}, frame, at(0, 0))},
           {sinks::kClassifications.name,
            sink_test::result_packet(Classifications{{{207, 0.7f, "golden retriever"}}}, frame,
                                     at(0, 0))}},
          true)
          .ok());
  const cv::Mat out = read("dog_000000.jpg");
  ASSERT_EQ(out.size(), dog.size());
  // JPEG is lossy: near the class colour on the box's left edge, the photo elsewhere.
  const int x = static_cast<int>(w * 0.2f), y = static_cast<int>(ht * 0.55f);
  EXPECT_LE(colour_distance(out.at<cv::Vec3b>(y, x), class_colour(16)), 40);
  cv::Mat diff;
  cv::absdiff(out(cv::Rect(dog.cols - 40, dog.rows - 40, 30, 30)),
              dog(cv::Rect(dog.cols - 40, dog.rows - 40, 30, 30)), diff);
  EXPECT_LT(cv::mean(diff)[0], 8);
}

TEST_F(ImageWriterTest, PatternsStreamsAndSubPackets) {
  auto frame = sink_test::make_frame(cv::Mat(10, 10, CV_8UC3, cv::Scalar::all(0)));
  {
    auto h = load("pattern = \"latest\"");  // no {seq}: each frame replaces the last
    for (int64_t seq = 0; seq < 3; ++seq)
      ASSERT_TRUE(
          h.push(sinks::kDetections.name, sink_test::result_packet(Detections{}, frame, at(0, seq)))
              .ok());
    const Status s =
        h.push(sinks::kDetections.name, sink_test::result_packet(Detections{}, frame, at(1, 0)));
    EXPECT_THAT(s.message(), HasSubstr("but its pattern 'latest' has no {stream}"));
  }
  EXPECT_TRUE(std::filesystem::exists(dir_.file("shots/latest.png")));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("shots/latest.png.part")));

  auto h = load("pattern = \"s{stream}_f{seq}_p{sub}\"");
  PacketHeader part = at(1, 2);
  part.sub_index = 3;
  part.sub_count = 4;
  ASSERT_TRUE(
      h.push(sinks::kDetections.name, sink_test::result_packet(Detections{}, frame, part)).ok());
  EXPECT_TRUE(std::filesystem::exists(dir_.file("shots/s1_f000002_p3.png")));

  auto no_sub = load();
  const Status s =
      no_sub.push(sinks::kDetections.name, sink_test::result_packet(Detections{}, frame, part));
  EXPECT_THAT(s.message(),
              HasSubstr("got part 4/4 of a frame, but pattern '{stream}_{seq}' has no {sub}"));
}

TEST_F(ImageWriterTest, FolderIsCreatedAndErrorsNameIt) {
  auto h = NodeHarness::load("image_writer", "dir = \"" + dir_.file("a/b/c") + "\"");
  EXPECT_TRUE(std::filesystem::is_directory(dir_.file("a/b/c")));

  const std::string file = dir_.write("file", "x");
  auto bad = NodeHarness::try_load("image_writer", "dir = \"" + file + "\"");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "open: '" + file + "' is not a folder");

  auto slash = NodeHarness::try_load("image_writer",
                                     "dir = \"" + dir_.file("d") + "\"\npattern = \"x/{seq}\"");
  ASSERT_FALSE(slash.ok());
  EXPECT_THAT(slash.status().message(), HasSubstr("put folders in dir"));

  auto format = NodeHarness::try_load("image_writer", "dir = \"d\"\nformat = \"gif\"");
  ASSERT_FALSE(format.ok());
  EXPECT_THAT(format.status().message(), HasSubstr("png"));
}

}  // namespace
}  // namespace sluice::testing
