// The SDK's payload helpers: Tensor <-> cv::Mat bridges, Affine2D geometry, Params.
#include <gtest/gtest.h>

#include "sluice/sluice.h"

namespace sluice {
namespace {

TEST(Tensor, ZerosOwnsItsMemory) {
  Tensor t = Tensor::zeros(DType::kFloat32, {2, 3, 4});
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.nbytes(), 96u);
  for (int i = 0; i < 24; ++i) EXPECT_EQ(t.as<float>()[i], 0.f);
  t.as<float>()[5] = 2.5f;
  Tensor shared = t;  // copies share the buffer
  EXPECT_EQ(shared.as<float>()[5], 2.5f);
}

TEST(Tensor, FromMatSharesMemoryAndKeepsItAlive) {
  Tensor t;
  {
    cv::Mat m(4, 5, CV_8UC3, cv::Scalar(1, 2, 3));
    t = Tensor::from_mat(m);
    m.at<cv::Vec3b>(0, 0)[0] = 9;  // visible through the tensor: no copy
  }
  EXPECT_EQ(t.dtype, DType::kUInt8);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{4, 5, 3}));
  EXPECT_EQ(t.as<uint8_t>()[0], 9);
  EXPECT_EQ(t.as<uint8_t>()[1], 2);
}

TEST(Tensor, ToMatViewsTheLastTwoDimensions) {
  Tensor t = Tensor::zeros(DType::kFloat32, {1, 1, 2, 3});
  t.as<float>()[4] = 7.f;
  cv::Mat m = t.to_mat();
  ASSERT_EQ(m.rows, 2);
  ASSERT_EQ(m.cols, 3);
  EXPECT_EQ(m.at<float>(1, 1), 7.f);
  EXPECT_TRUE(Tensor::zeros(DType::kFloat32, {2, 2, 3}).to_mat().empty());  // not a single plane
  EXPECT_TRUE(Tensor::zeros(DType::kInt64, {2, 3}).to_mat().empty());       // no cv::Mat depth
}

TEST(Affine2D, ComposesAndMapsBackToTheSource) {
  // Source 1280x720 -> resize by 0.5 -> letterbox pad 20 px on top.
  const Affine2D resize = Affine2D::scale_translate(0.5, 0.5, 0, 0);
  const Affine2D pad = Affine2D::scale_translate(1, 1, 0, 20);
  const Affine2D t = resize.then(pad);
  const cv::Point2f in_image = t.apply({100, 200});
  EXPECT_FLOAT_EQ(in_image.x, 50);
  EXPECT_FLOAT_EQ(in_image.y, 120);
  const cv::Point2f back = t.to_source(in_image);
  EXPECT_NEAR(back.x, 100, 1e-4);
  EXPECT_NEAR(back.y, 200, 1e-4);
  const cv::Rect2f box = t.to_source(cv::Rect2f(10, 30, 20, 40));
  EXPECT_NEAR(box.x, 20, 1e-4);
  EXPECT_NEAR(box.y, 20, 1e-4);
  EXPECT_NEAR(box.width, 40, 1e-4);
  EXPECT_NEAR(box.height, 80, 1e-4);
  EXPECT_TRUE(Affine2D{}.is_identity());
}

TEST(Geometry, IouIsIntersectionOverUnion) {
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.f / 150.f);  // half of each
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {2, 2, 4, 4}), 16.f / 100.f);    // one inside the other
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {10, 0, 10, 10}), 0.f);          // touching edges
  EXPECT_FLOAT_EQ(iou({0, 0, 0, 0}, {0, 0, 0, 0}), 0.f);               // empty: no 0 / 0
}

TEST(Geometry, CoveredPixelsRoundABoxOutwardsAndClipItToTheFrame) {
  EXPECT_EQ(covered_pixels({1.5f, 2.f, 3.f, 2.5f}), cv::Rect(1, 2, 4, 3));  // x 1.5..4.5, y 2..4.5
  EXPECT_EQ(covered_pixels({-3.2f, 5.5f, 10.f, 10.f}, {4, 8}), cv::Rect(0, 5, 4, 3));
  EXPECT_EQ(covered_pixels({6.f, 1.f, 2.f, 2.f}, {4, 8}), cv::Rect(6, 1, 0, 2));  // off the right
}

TEST(Packet, TypedAccessChecksThePayloadName) {
  Packet p = Packet::make(PacketHeader{}, Detections{{Detection{}}});
  EXPECT_TRUE(p.holds<Detections>());
  EXPECT_EQ(p.type(), "Detections");
  EXPECT_EQ(p.get_if<Frame>(), nullptr);
  ASSERT_NE(p.get_if<Detections>(), nullptr);
  EXPECT_EQ(p.share<Detections>()->items.size(), 1u);
  EXPECT_EQ(p.share<Frame>(), nullptr);
}

TEST(Contract, IsBuiltFromThePortAndParamConstants) {
  static constexpr NodeInfo kInfo{
      .type = "t", .kind = NodeKind::kPostprocessor, .description = "d", .stateless = true};
  static constexpr Input<Frame> kIn{.name = "frame", .description = "in", .required = false};
  static constexpr Output<Detections> kOut{"out", "out"};
  static const Param<std::vector<int>> kSize{
      .name = "size", .default_value = {3, 4}, .description = "s", .min = 1};
  static const Param<std::string> kMode{
      .name = "mode", .description = "m", .choices = {"a", "b"}, .required = true};
  const Contract c = make_contract(kInfo, kIn, kOut, kSize, kMode);
  EXPECT_EQ(c.type, "t");
  EXPECT_TRUE(c.stateless);
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.inputs[0].type, "Frame");
  EXPECT_FALSE(c.inputs[0].required);
  EXPECT_EQ(c.outputs[0].type, "Detections");
  EXPECT_EQ(c.find_param("size")->type, ParamType::kIntList);
  EXPECT_EQ(std::get<std::vector<int64_t>>(c.find_param("size")->default_value),
            (std::vector<int64_t>{3, 4}));
  EXPECT_TRUE(c.find_param("mode")->required);
  EXPECT_EQ(to_toml_text(c.find_param("size")->default_value), "[3, 4]");

  Params p;
  p.set("size", std::vector<int64_t>{5, 6}, true);
  EXPECT_EQ(p.get(kSize), (std::vector<int>{5, 6}));
  EXPECT_TRUE(p.is_set("size"));
}

}  // namespace
}  // namespace sluice
