// preview_jpeg on its own: the picture it picks, the results drawn where they belong, and
// `width` (GET /preview/NODE?width=N) scaling the picture and its drawing together.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "preview.h"

namespace sluice::service {
namespace {

cv::Mat decode(const std::vector<unsigned char>& jpeg) {
  return cv::imdecode(jpeg, cv::IMREAD_COLOR);
}

// A grey 320x240 frame and, derived from it, one detection box from (100, 60) to (220, 180).
std::vector<Packet> frame_with_a_box() {
  auto frame = std::make_shared<const Frame>(cv::Mat(240, 320, CV_8UC3, cv::Scalar(128, 128, 128)));
  PacketHeader header;
  header.source_frame = frame;
  Detections boxes;
  Detection d;
  d.box = cv::Rect2f(100, 60, 120, 120);
  d.score = 0.9f;
  d.class_id = 3;
  boxes.items.push_back(d);
  return {Packet::make(header, boxes)};
}

// How far the pixel is from the frame's grey: a box line is drawn in a saturated colour.
int off_grey(const cv::Mat& image, int x, int y) {
  const cv::Vec3b p = image.at<cv::Vec3b>(y, x);
  return std::abs(p[0] - 128) + std::abs(p[1] - 128) + std::abs(p[2] - 128);
}

TEST(PreviewPicture, DrawsTheBoxOnTheSourceFrameAtItsOwnSize) {
  auto jpeg = preview_jpeg(frame_with_a_box());
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().message();
  const cv::Mat image = decode(*jpeg);
  ASSERT_EQ(image.size(), cv::Size(320, 240));
  EXPECT_GT(off_grey(image, 100, 120), 60) << "the box's left edge";
  EXPECT_LT(off_grey(image, 160, 120), 20) << "the box's inside stays grey";
  EXPECT_LT(off_grey(image, 40, 120), 20) << "outside the box stays grey";
}

TEST(PreviewPicture, AWidthScalesThePictureAndItsBoxTogether) {
  auto jpeg = preview_jpeg(frame_with_a_box(), {.max_width = 160});
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().message();
  const cv::Mat image = decode(*jpeg);
  ASSERT_EQ(image.size(), cv::Size(160, 120)) << "aspect kept";
  EXPECT_GT(off_grey(image, 50, 60), 60) << "the left edge, at half the source's x";
  EXPECT_GT(off_grey(image, 110, 60), 60) << "the right edge, at half the source's x";
  EXPECT_LT(off_grey(image, 80, 60), 20) << "the box's inside stays grey";
  EXPECT_LT(off_grey(image, 20, 60), 20) << "outside the box stays grey";
}

TEST(PreviewPicture, AWidthAboveThePicturesIsNotScaledUp) {
  auto jpeg = preview_jpeg(frame_with_a_box(), {.max_width = 1000});
  ASSERT_TRUE(jpeg.ok());
  EXPECT_EQ(decode(*jpeg).size(), cv::Size(320, 240));
}

TEST(PreviewPicture, NoPictureIsAnError) {
  PacketHeader header;  // no source frame
  auto jpeg = preview_jpeg({Packet::make(header, Detections{})});
  ASSERT_FALSE(jpeg.ok());
  EXPECT_NE(jpeg.status().message().find("no picture"), std::string::npos);
}

TEST(PreviewPicture, WidthsAreWholePixelCountsInRange) {
  EXPECT_EQ(*parse_preview_width(""), 0);
  EXPECT_EQ(*parse_preview_width("480"), 480);
  for (const char* bad : {"abc", "15", "8193", "-480", "480px", "4.5", " 480"}) {
    auto w = parse_preview_width(bad);
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_NE(w.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << w.status().message();
  }
}

}  // namespace
}  // namespace sluice::service
