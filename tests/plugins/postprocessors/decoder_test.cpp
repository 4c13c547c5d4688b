// The decoders on hand-made model outputs whose answers are known.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "blazeface_decoder.h"
#include "box_decoder.h"
#include "segmentation_decoder.h"
#include "sluice/testing/node_harness.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

Tensor tensor(std::vector<float> v, std::vector<int64_t> shape) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(shape));
  std::copy(v.begin(), v.end(), t.as<float>());
  return t;
}

PacketHeader with_transform(Affine2D t) {
  PacketHeader h;
  h.transform = t;
  return h;
}

TEST(BoxDecoder, BoxesGoBackToTheSourceFrameBestFirstWithLabels) {
  test::TempDir dir;
  const std::string labels = dir.write("labels.txt", "person\nbicycle\ncar\n");
  auto h = NodeHarness::load("box_decoder", "min_score = 0.3\nlabels = \"" + labels + "\"");
  // The model saw the source scaled by 0.5 and shifted down by 10 (a letterbox).
  const Affine2D to_input = Affine2D::scale_translate(0.5, 0.5, 0, 10);
  ASSERT_TRUE(h.push(postprocessors::BoxDecoder::kIn,
                     tensor({10, 20, 30, 60, 0.5f, 2,  //
                             0, 10, 50, 110, 0.9f, 0,  //
                             1, 1, 2, 2, 0.1f, 1},
                            {1, 3, 6}),
                     with_transform(to_input))
                  .ok());
  const Packet out = h.pull(postprocessors::BoxDecoder::kOut);
  const auto& d = out.get_if<Detections>()->items;
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].label, "person");
  EXPECT_FLOAT_EQ(d[0].score, 0.9f);
  EXPECT_NEAR(d[0].box.x, 0, 1e-4);
  EXPECT_NEAR(d[0].box.y, 0, 1e-4);
  EXPECT_NEAR(d[0].box.width, 100, 1e-4);
  EXPECT_NEAR(d[0].box.height, 200, 1e-4);
  EXPECT_EQ(d[1].label, "car");
  EXPECT_NEAR(d[1].box.x, 20, 1e-4);
  EXPECT_NEAR(d[1].box.y, 20, 1e-4);
  EXPECT_EQ(h.push(postprocessors::BoxDecoder::kIn, tensor({1, 2, 3, 4, 5}, {1, 5})).message(),
            "the detections table of shape [1, 5] is not rows of 6 values");
}

// Rows with a NaN or infinite value are dropped and counted (a NaN score passed the
// min_score test before); a tensor of several images' tables is an error, not one image.
TEST(BoxDecoder, NonFiniteRowsAreDroppedAndABatchOfTablesIsAnError) {
  auto h = NodeHarness::load("box_decoder", "min_score = 0.3");
  ASSERT_TRUE(h.push(postprocessors::BoxDecoder::kIn, tensor({0, 0, 10, 10, NAN, 0,         //
                                                              0, 0, INFINITY, 10, 0.9f, 0,  //
                                                              0, 0, 10, 10, 0.8f, 1},
                                                             {1, 3, 6}))
                  .ok());
  const Packet out = h.pull(postprocessors::BoxDecoder::kOut);
  ASSERT_EQ(out.get_if<Detections>()->items.size(), 1u);
  EXPECT_EQ(out.get_if<Detections>()->items[0].class_id, 1);
  EXPECT_EQ(h.counters().at("skipped_invalid"), 2);
  EXPECT_THAT(
      h.push(postprocessors::BoxDecoder::kIn, tensor(std::vector<float>(24), {2, 2, 6})).message(),
      HasSubstr("holds 2 images' tables; box_decoder takes one image's rows"));
}

TEST(BoxDecoder, KeypointColumnsBecomeLandmarks) {
  auto h = NodeHarness::load("box_decoder", "keypoints = 2\nmin_score = 0.5");
  const Affine2D to_input = Affine2D::scale_translate(2, 2, 0, 0);
  ASSERT_TRUE(h.push(postprocessors::BoxDecoder::kIn,
                     tensor({2, 2, 6, 6, 0.9f, 0, 4, 4, 8, 10}, {1, 1, 10}),
                     with_transform(to_input))
                  .ok());
  const Packet out = h.pull(postprocessors::BoxDecoder::kOut);
  const auto& d = out.get_if<Detections>()->items;
  ASSERT_EQ(d.size(), 1u);
  ASSERT_EQ(d[0].landmarks.size(), 2u);
  EXPECT_NEAR(d[0].landmarks[1].x, 4, 1e-4);
  EXPECT_NEAR(d[0].landmarks[1].y, 5, 1e-4);
  EXPECT_NEAR(d[0].box.width, 2, 1e-4);
}

// One confident anchor among BlazeFace's 896 (16x16x2 + 8x8x6), split over two heads.
TEST(BlazeFaceDecoder, DecodesAnAnchorIntoABoxAndSixKeypoints) {
  auto h = NodeHarness::load("blazeface_decoder", "input_size = [128, 128]\nmin_score = 0.5");
  std::vector<float> scores(512, -10.f), scores2(384, -10.f), boxes(512 * 16, 0.f),
      boxes2(384 * 16, 0.f);
  // Anchor 2 of the first layer: cell (x=1, y=0), centre ((1 + 0.5) / 16, 0.5 / 16) = (12, 4) px.
  scores[2] = 3.f;
  float* b = &boxes[2 * 16];
  b[0] = 4;   // centre x offset, px
  b[1] = -2;  // centre y offset
  b[2] = 20;  // width
  b[3] = 10;  // height
  b[4] = 1;   // keypoint 0 offset
  b[5] = 2;
  h.connect({"scores2", "boxes2"});  // all four heads make one input set
  ASSERT_TRUE(h.push(postprocessors::BlazeFaceDecoder::kScores, tensor(scores, {1, 512, 1})).ok());
  ASSERT_TRUE(h.push(postprocessors::BlazeFaceDecoder::kBoxes, tensor(boxes, {1, 512, 16})).ok());
  ASSERT_TRUE(
      h.push(postprocessors::BlazeFaceDecoder::kScores2, tensor(scores2, {1, 384, 1})).ok());
  ASSERT_TRUE(h.push(postprocessors::BlazeFaceDecoder::kBoxes2, tensor(boxes2, {1, 384, 16})).ok());
  const Packet out = h.pull(postprocessors::BlazeFaceDecoder::kOut);
  const auto& faces = out.get_if<Detections>()->items;
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_NEAR(faces[0].score, 1 / (1 + std::exp(-3.f)), 1e-6);
  EXPECT_NEAR(faces[0].box.x, 12 + 4 - 10, 1e-4);
  EXPECT_NEAR(faces[0].box.y, 4 - 2 - 5, 1e-4);
  EXPECT_NEAR(faces[0].box.width, 20, 1e-4);
  EXPECT_NEAR(faces[0].box.height, 10, 1e-4);
  ASSERT_EQ(faces[0].landmarks.size(), 6u);
  EXPECT_NEAR(faces[0].landmarks[0].x, 13, 1e-4);
  EXPECT_NEAR(faces[0].landmarks[0].y, 6, 1e-4);
  EXPECT_NEAR(faces[0].landmarks[1].x, 12, 1e-4);  // zero offset: the anchor centre
}

TEST(BlazeFaceDecoder, ANonSquareInputIsAClearError) {
  auto h = NodeHarness::try_load("blazeface_decoder", "input_size = [128, 96]");
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(
      h.status().message(),
      HasSubstr("input_size [128, 96] is not square; BlazeFace's anchors are square grids"));
}

TEST(BlazeFaceDecoder, AnchorCountMismatchIsAClearError) {
  auto h = NodeHarness::load("blazeface_decoder");
  const Status s =
      h.push(postprocessors::BlazeFaceDecoder::kScores, tensor(std::vector<float>(10), {10}));
  EXPECT_TRUE(s.ok());  // waits for boxes
  const Status s2 =
      h.push(postprocessors::BlazeFaceDecoder::kBoxes, tensor(std::vector<float>(160), {10, 16}));
  EXPECT_THAT(s2.message(), HasSubstr("gave 10 scores and 10 boxes for 896 anchors"));
}

TEST(SegmentationDecoder, ArgmaxInBothLayoutsAndThresholdForOneChannel) {
  auto nhwc = NodeHarness::load("segmentation_decoder",
                                "layout = \"NHWC\"\nlabels = [\"a\", \"b\", \"c\"]");
  // 1x2 image, 3 classes: pixel 0 -> class 2, pixel 1 -> class 0.
  ASSERT_TRUE(nhwc.push(postprocessors::SegmentationDecoder::kIn,
                        tensor({0.1f, 0.2f, 0.7f, 0.8f, 0.1f, 0.1f}, {1, 1, 2, 3}))
                  .ok());
  Packet a = nhwc.pull(postprocessors::SegmentationDecoder::kOut);
  const auto& m = *a.get_if<SegmentationMask>();
  EXPECT_EQ(m.mask.at<uchar>(0, 0), 2);
  EXPECT_EQ(m.mask.at<uchar>(0, 1), 0);
  EXPECT_EQ(m.labels[2], "c");

  auto nchw = NodeHarness::load("segmentation_decoder", "layout = \"NCHW\"");
  ASSERT_TRUE(nchw.push(postprocessors::SegmentationDecoder::kIn,
                        tensor({0.1f, 0.8f, 0.9f, 0.2f}, {1, 2, 1, 2}))
                  .ok());
  Packet b = nchw.pull(postprocessors::SegmentationDecoder::kOut);
  EXPECT_EQ(b.get_if<SegmentationMask>()->mask.at<uchar>(0, 0), 1);
  EXPECT_EQ(b.get_if<SegmentationMask>()->mask.at<uchar>(0, 1), 0);

  auto one = NodeHarness::load("segmentation_decoder", "threshold = 0.6");
  ASSERT_TRUE(one.push(postprocessors::SegmentationDecoder::kIn,
                       tensor({0.5f, 0.6f, 0.9f, 0.1f}, {1, 2, 2, 1}))
                  .ok());
  Packet c = one.pull(postprocessors::SegmentationDecoder::kOut);
  const cv::Mat& mask = c.get_if<SegmentationMask>()->mask;
  EXPECT_EQ(cv::countNonZero(mask), 2);
  EXPECT_EQ(mask.at<uchar>(0, 1), 1);
}

// layout = "auto" (the default) takes the smaller of the first and last dimensions for the
// classes (few classes, large images): the selfie model's one-channel NCHW map and an NHWC
// map both decode, and a shape that could be either is an error.
TEST(SegmentationDecoder, AutoLayoutFindsTheClassDimension) {
  auto h = NodeHarness::load("segmentation_decoder", "threshold = 0.5");
  ASSERT_TRUE(h.push(postprocessors::SegmentationDecoder::kIn,
                     tensor({0.9f, 0.1f, 0.9f, 0.1f, 0.9f, 0.1f}, {1, 1, 2, 3}))
                  .ok());
  const Packet nchw = h.pull(postprocessors::SegmentationDecoder::kOut);
  EXPECT_EQ(nchw.get_if<SegmentationMask>()->mask.size(), cv::Size(3, 2));
  EXPECT_EQ(cv::countNonZero(nchw.get_if<SegmentationMask>()->mask), 3);
  ASSERT_TRUE(h.push(postprocessors::SegmentationDecoder::kIn,
                     tensor({0.9f, 0.1f, 0.9f, 0.1f, 0.9f, 0.1f}, {1, 2, 3, 1}))
                  .ok());
  EXPECT_EQ(
      h.pull(postprocessors::SegmentationDecoder::kOut).get_if<SegmentationMask>()->mask.size(),
      cv::Size(3, 2));
  EXPECT_THAT(
      h.push(postprocessors::SegmentationDecoder::kIn, tensor(std::vector<float>(12), {1, 2, 3, 2}))
          .message(),
      HasSubstr("could be NHWC or NCHW: set layout"));
  // 256 classes fit (ids 0-255); on so small an image the layout is said.
  auto nchw256 = NodeHarness::load("segmentation_decoder", "layout = \"NCHW\"");
  std::vector<float> many(256 * 2, 0.f);
  many[255 * 2] = 1.f;  // pixel 0 is class 255
  const Status pushed =
      nchw256.push(postprocessors::SegmentationDecoder::kIn, tensor(many, {1, 256, 1, 2}));
  ASSERT_TRUE(pushed.ok()) << pushed.message();
  const Packet p256 = nchw256.pull(postprocessors::SegmentationDecoder::kOut);
  EXPECT_EQ(p256.get_if<SegmentationMask>()->mask.at<uchar>(0, 0), 255);
  // The default labels name a two-class mask: a 256-class one goes unnamed, not misnamed.
  EXPECT_TRUE(p256.get_if<SegmentationMask>()->labels.empty());
}

// Labels that do not name every class are an error naming both counts (a wrong layout
// shows up here too), not a mask whose class ids have the wrong names.
TEST(SegmentationDecoder, LabelsMustNameEveryClass) {
  auto h = NodeHarness::load("segmentation_decoder", "layout = \"NCHW\"\nlabels = [\"a\", \"b\"]");
  EXPECT_THAT(
      h.push(postprocessors::SegmentationDecoder::kIn, tensor(std::vector<float>(12), {1, 3, 2, 2}))
          .message(),
      HasSubstr("labels names 2 classes but the scores of shape [1, 3, 2, 2] have 3 "
                "(layout NCHW)"));
  EXPECT_TRUE(
      h.push(postprocessors::SegmentationDecoder::kIn, tensor(std::vector<float>(8), {1, 2, 2, 2}))
          .ok());
}

}  // namespace
}  // namespace sluice::testing
