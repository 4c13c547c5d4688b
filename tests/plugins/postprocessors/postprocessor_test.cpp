// softmax_topk, threshold and nms through the NodeHarness.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "nms.h"
#include "sluice/testing/node_harness.h"
#include "softmax_topk.h"
#include "test_support.h"
#include "threshold.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

Tensor scores(std::vector<float> v, std::vector<int64_t> shape) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(shape));
  std::copy(v.begin(), v.end(), t.as<float>());
  return t;
}

Detection det(float x, float y, float w, float h, float score, int cls = 0) {
  Detection d;
  d.box = cv::Rect2f(x, y, w, h);
  d.score = score;
  d.class_id = cls;
  return d;
}

const Classifications& classes(const Packet& p) { return *p.get_if<Classifications>(); }
const Detections& dets(const Packet& p) { return *p.get_if<Detections>(); }

TEST(SoftmaxTopK, SoftmaxThenTopKWithLabels) {
  test::TempDir dir;
  const std::string labels = dir.write("labels.txt", "cat\ndog\nbird\nfish\n");
  auto h = NodeHarness::load("softmax_topk", "k = 2\nlabels = \"" + labels + "\"");
  ASSERT_TRUE(h.push(postprocessors::SoftmaxTopK::kIn, scores({1.f, 3.f, 2.f, 0.f}, {1, 4})).ok());
  const Packet out = h.pull(postprocessors::SoftmaxTopK::kOut);
  const auto& top = classes(out).top;
  ASSERT_EQ(top.size(), 2u);
  const double z = std::exp(1.) + std::exp(3.) + std::exp(2.) + std::exp(0.);
  EXPECT_EQ(top[0].class_id, 1);
  EXPECT_EQ(top[0].label, "dog");
  EXPECT_NEAR(top[0].score, std::exp(3.) / z, 1e-6);
  EXPECT_EQ(top[1].label, "bird");
}

TEST(SoftmaxTopK, ProbabilitiesAreNotSoftmaxedTwiceAndMinScoreCuts) {
  auto h = NodeHarness::load("softmax_topk", "k = 3\nmin_score = 0.25");
  ASSERT_TRUE(
      h.push(postprocessors::SoftmaxTopK::kIn, scores({0.1f, 0.6f, 0.3f}, {1, 3, 1, 1})).ok());
  const Packet out = h.pull(postprocessors::SoftmaxTopK::kOut);
  const auto& top = classes(out).top;
  ASSERT_EQ(top.size(), 2u);
  EXPECT_FLOAT_EQ(top[0].score, 0.6f);
  EXPECT_FLOAT_EQ(top[1].score, 0.3f);
  EXPECT_EQ(top[0].label, "");
}

TEST(SoftmaxTopK, ABatchOrAMissingLabelFileIsAnError) {
  auto h = NodeHarness::load("softmax_topk");
  const Status s = h.push(postprocessors::SoftmaxTopK::kIn, scores({1, 2, 3, 4}, {2, 2}));
  EXPECT_THAT(s.message(), HasSubstr("are not one sample's classes"));
  auto missing = NodeHarness::try_load("softmax_topk", "labels = \"/nonexistent/labels.txt\"");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("cannot read label file '/nonexistent/labels.txt'"));
}

// The mask has two classes, so labels, when given, name two.
TEST(Threshold, LabelsNameTheMasksTwoClasses) {
  auto one = NodeHarness::try_load("threshold", "labels = [\"person\"]");
  ASSERT_FALSE(one.ok());
  EXPECT_THAT(one.status().message(), HasSubstr("labels names 1 classes; the mask has 2"));
}

// A non-finite score is an error naming the class (the order would be undefined); equal
// scores come out by class id, the same every time.
TEST(SoftmaxTopK, NonFiniteScoresAreErrorsAndTiesGoByClassId) {
  auto h = NodeHarness::load("softmax_topk", "k = 3\nsoftmax = \"never\"");
  EXPECT_THAT(h.push(postprocessors::SoftmaxTopK::kIn, scores({0.1f, NAN, 0.2f}, {3})).message(),
              HasSubstr("the score of class 1 is nan: the model's output is not finite"));
  ASSERT_TRUE(
      h.push(postprocessors::SoftmaxTopK::kIn, scores({0.1f, 0.3f, 0.1f, 0.3f, 0.2f}, {5})).ok());
  const auto top = h.pull(postprocessors::SoftmaxTopK::kOut).get_if<Classifications>()->top;
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].class_id, 1);
  EXPECT_EQ(top[1].class_id, 3);
  EXPECT_EQ(top[2].class_id, 4);
}

TEST(Threshold, KeepsDetectionsAtOrAboveMinScore) {
  auto h = NodeHarness::load("threshold", "min_score = 0.5");
  ASSERT_TRUE(
      h.push(postprocessors::Threshold::kDetectionsIn,
             Detections{{det(0, 0, 1, 1, 0.9f), det(0, 0, 1, 1, 0.5f), det(0, 0, 1, 1, 0.49f)}})
          .ok());
  const Packet out = h.pull(postprocessors::Threshold::kDetectionsOut);
  EXPECT_EQ(dets(out).items.size(), 2u);
  EXPECT_EQ(h.pending(postprocessors::Threshold::kMaskOut.name), 0u);
}

TEST(Threshold, TurnsAProbabilityMapIntoAMask) {
  auto h =
      NodeHarness::load("threshold", "mask_threshold = 0.5\nlabels = [\"background\", \"person\"]");
  PacketHeader header;
  header.seq = 4;
  ASSERT_TRUE(h.push(postprocessors::Threshold::kProbabilitiesIn,
                     scores({0.1f, 0.5f, 0.9f, 0.2f, 0.7f, 0.4f}, {1, 2, 3, 1}), header)
                  .ok());
  Packet p = h.pull(postprocessors::Threshold::kMaskOut);
  const SegmentationMask& m = *p.get_if<SegmentationMask>();
  ASSERT_EQ(m.mask.rows, 2);
  ASSERT_EQ(m.mask.cols, 3);
  EXPECT_EQ(m.mask.type(), CV_8U);
  const std::vector<uchar> expected{0, 1, 1, 0, 1, 0};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(m.mask.at<uchar>(i / 3, i % 3), expected[i]) << i;
  EXPECT_EQ(m.labels[1], "person");
  EXPECT_EQ(p.header().seq, 4);
  EXPECT_THAT(h.push(postprocessors::Threshold::kProbabilitiesIn,
                     scores({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}))
                  .message(),
              HasSubstr("not one [H, W] map"));
  // A map one pixel high keeps its shape (its size-1 height used to be squeezed away).
  ASSERT_TRUE(
      h.push(postprocessors::Threshold::kProbabilitiesIn, scores({0.2f, 0.8f}, {1, 1, 1, 2})).ok());
  const Packet thin = h.pull(postprocessors::Threshold::kMaskOut);
  EXPECT_EQ(thin.get_if<SegmentationMask>()->mask.size(), cv::Size(2, 1));
}

TEST(Nms, ClassWiseKeepsOverlapsOfOtherClasses) {
  auto h = NodeHarness::load("nms", "iou_threshold = 0.5");
  ASSERT_TRUE(h.push(postprocessors::Nms::kIn,
                     Detections{{det(0, 0, 10, 10, 0.8f, 0), det(1, 1, 10, 10, 0.9f, 0),
                                 det(0, 0, 10, 10, 0.7f, 1), det(50, 50, 5, 5, 0.3f, 0)}})
                  .ok());
  const Packet out = h.pull(postprocessors::Nms::kOut);
  const auto& kept = dets(out).items;
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);  // best first; 0.8 suppressed by it
  EXPECT_FLOAT_EQ(kept[1].score, 0.7f);  // another class: kept
  EXPECT_FLOAT_EQ(kept[2].score, 0.3f);  // no overlap: kept
}

TEST(Nms, ClassAgnosticAndMaxDetections) {
  auto h =
      NodeHarness::load("nms", "iou_threshold = 0.5\nclass_agnostic = true\nmax_detections = 1");
  ASSERT_TRUE(h.push(postprocessors::Nms::kIn,
                     Detections{{det(0, 0, 10, 10, 0.7f, 1), det(0, 0, 10, 10, 0.8f, 0),
                                 det(50, 50, 5, 5, 0.6f)}})
                  .ok());
  const Packet out = h.pull(postprocessors::Nms::kOut);
  const auto& kept = dets(out).items;
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].class_id, 0);
}

TEST(Nms, WeightedBlendsEachClusterByScore) {
  auto h = NodeHarness::load("nms", "iou_threshold = 0.3\nmethod = \"weighted\"");
  Detection a = det(0, 0, 10, 10, 0.75f), b = det(2, 0, 10, 10, 0.25f);
  a.landmarks = {{0, 0}};
  b.landmarks = {{4, 8}};
  ASSERT_TRUE(h.push(postprocessors::Nms::kIn, Detections{{a, b}}).ok());
  const Packet out = h.pull(postprocessors::Nms::kOut);
  const auto& kept = dets(out).items;
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_FLOAT_EQ(kept[0].box.x, 0.5f);  // 0.75*0 + 0.25*2
  EXPECT_FLOAT_EQ(kept[0].score, 0.75f);
  EXPECT_FLOAT_EQ(kept[0].landmarks[0].x, 1.f);
  EXPECT_FLOAT_EQ(kept[0].landmarks[0].y, 2.f);

  // A member without landmarks blends its box but leaves the landmarks to those that have
  // them (it used to pull them towards (0, 0)).
  Detection c = det(2, 0, 10, 10, 0.25f);
  a.landmarks = {{4, 8}};
  ASSERT_TRUE(h.push(postprocessors::Nms::kIn, Detections{{a, c}}).ok());
  const Packet blended = h.pull(postprocessors::Nms::kOut);
  ASSERT_EQ(dets(blended).items.size(), 1u);
  EXPECT_FLOAT_EQ(dets(blended).items[0].landmarks[0].x, 4.f);
  EXPECT_FLOAT_EQ(dets(blended).items[0].landmarks[0].y, 8.f);
}

}  // namespace
}  // namespace sluice::testing
