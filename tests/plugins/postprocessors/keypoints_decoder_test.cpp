// keypoints_decoder through the NodeHarness, on keypoint tables worked out by hand.
#include "keypoints_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sluice/testing/node_harness.h"

namespace sluice::testing {
namespace {

using postprocessors::KeypointsDecoder;
using ::testing::HasSubstr;

Tensor table(std::vector<int64_t> shape, const std::vector<float>& v) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(shape));
  std::copy(v.begin(), v.end(), t.as<float>());
  return t;
}

TEST(KeypointsDecoder, OnePersonOnTheSourceFrameBoxedByItsSureKeypoints) {
  auto h = NodeHarness::load("keypoints_decoder");
  PacketHeader header;
  header.transform = Affine2D::scale_translate(0.5, 0.5, 0, 16);  // a letterbox
  // Three keypoints: (20, 26) 0.9, (60, 46) 0.8, and (0, 16) unsure at 0.1.
  ASSERT_TRUE(h.push(KeypointsDecoder::kIn,
                     table({1, 3, 3}, {20, 26, 0.9f, 60, 46, 0.8f, 0, 16, 0.1f}), header)
                  .ok());
  const Packet out = h.pull(KeypointsDecoder::kOut);
  const auto& d = out.get_if<Detections>()->items;
  ASSERT_EQ(d.size(), 1u);
  // Source = (input - (0, 16)) / 0.5: (40, 20), (120, 60), (0, 0).
  EXPECT_EQ(d[0].landmarks, (std::vector<cv::Point2f>{{40, 20}, {120, 60}, {0, 0}}));
  EXPECT_EQ(d[0].landmark_scores, (std::vector<float>{0.9f, 0.8f, 0.1f}));
  EXPECT_EQ(d[0].box, cv::Rect2f(40, 20, 80, 40));  // the unsure one left out
  EXPECT_NEAR(d[0].score, 0.6, 1e-6);               // (0.9 + 0.8 + 0.1) / 3
  EXPECT_EQ(d[0].label, "person");
}

TEST(KeypointsDecoder, SeveralPeopleBestFirstAndUnsureOnesLeftOut) {
  auto h = NodeHarness::load("keypoints_decoder", "min_score = 0.5");
  ASSERT_TRUE(h.push(KeypointsDecoder::kIn, table({1, 3, 2, 3}, {0, 0, 0.6f, 1, 1, 0.6f,  //
                                                                 5, 5, 0.9f, 6, 6, 0.9f,  //
                                                                 9, 9, 0.2f, 8, 8, 0.2f}))
                  .ok());
  const Packet out = h.pull(KeypointsDecoder::kOut);
  const auto& d = out.get_if<Detections>()->items;
  ASSERT_EQ(d.size(), 2u);
  EXPECT_FLOAT_EQ(d[0].score, 0.9f);
  EXPECT_FLOAT_EQ(d[1].score, 0.6f);
  auto bad = NodeHarness::load("keypoints_decoder");
  const Status s = bad.push(KeypointsDecoder::kIn, table({1, 17, 2}, std::vector<float>(34)));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("[1, K, 3] or [1, P, K, 3]"));
}

}  // namespace
}  // namespace sluice::testing
