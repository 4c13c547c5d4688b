// to_tensor through the NodeHarness: every layout and dtype element by element, and the
// errors for params and frames that do not fit.
#include "to_tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "preproc_test_util.h"

namespace sluice::preprocessors_test {
namespace {

using ::testing::HasSubstr;
using testing::NodeHarness;

const char* kNormalize =
    "scale = 0.00392156862745098\nmean = [0.485, 0.456, 0.406]\nstd = [0.229, 0.224, 0.225]\n";
const double kMean[] = {0.485, 0.456, 0.406};
const double kStd[] = {0.229, 0.224, 0.225};

const Tensor& tensor_of(const Packet& p) {
  const Tensor* t = p.get_if<Tensor>();
  EXPECT_NE(t, nullptr) << "expected a Tensor, got " << p.type();
  static const Tensor kNone;
  return t ? *t : kNone;
}

TEST(ToTensor, NchwFloatScalesNormalizesPerChannelAndKeepsTheHeader) {
  auto h = NodeHarness::load("to_tensor", kNormalize);
  const cv::Mat image = pattern(7, 5);
  PacketHeader header = at(4, 9);
  header.transform = Affine2D::scale_translate(0.5, 0.5, 3, 1);
  const Packet out = run_one<preprocessors::ToTensor>(h, source_packet(Frame{image}, header));
  const Tensor& t = tensor_of(out);
  EXPECT_EQ(t.dtype, DType::kFloat32);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 3, 5, 7}));
  EXPECT_EQ(out.header().seq, 9);
  EXPECT_DOUBLE_EQ(out.header().transform.a, 0.5);
  EXPECT_DOUBLE_EQ(out.header().transform.c, 3);
  const float* data = t.as<float>();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 7; ++x) {
        const double px = image.at<cv::Vec3b>(y, x)[c];
        ASSERT_NEAR(data[(c * 5 + y) * 7 + x], (px / 255.0 - kMean[c]) / kStd[c], 1e-6)
            << "c " << c << " y " << y << " x " << x;
      }
}

TEST(ToTensor, NhwcFloatUniformAndPerChannel) {
  const cv::Mat image = pattern(6, 4);
  auto uniform = NodeHarness::load("to_tensor", "layout = \"NHWC\"\nscale = 0.5\nmean = [1.0]");
  const Packet u_packet = run_one<preprocessors::ToTensor>(uniform, source_packet(Frame{image}));
  const Tensor& u = tensor_of(u_packet);
  EXPECT_EQ(u.shape, (std::vector<int64_t>{1, 4, 6, 3}));
  auto per_channel =
      NodeHarness::load("to_tensor", std::string("layout = \"NHWC\"\n") + kNormalize);
  const Packet pc_packet =
      run_one<preprocessors::ToTensor>(per_channel, source_packet(Frame{image}));
  const Tensor& pc = tensor_of(pc_packet);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 6; ++x)
      for (int c = 0; c < 3; ++c) {
        const double px = image.at<cv::Vec3b>(y, x)[c];
        const std::size_t i = (y * 6 + x) * 3 + c;
        ASSERT_NEAR(u.as<float>()[i], px * 0.5 - 1.0, 1e-5);
        ASSERT_NEAR(pc.as<float>()[i], (px / 255.0 - kMean[c]) / kStd[c], 1e-6);
      }
}

TEST(ToTensor, Uint8KeepsRawPixelsInBothLayouts) {
  const cv::Mat image = pattern(5, 3);
  auto nchw = NodeHarness::load("to_tensor", "dtype = \"uint8\"");
  auto nhwc = NodeHarness::load("to_tensor", "dtype = \"uint8\"\nlayout = \"NHWC\"");
  const Packet a_packet = run_one<preprocessors::ToTensor>(nchw, source_packet(Frame{image}));
  const Packet b_packet = run_one<preprocessors::ToTensor>(nhwc, source_packet(Frame{image}));
  const Tensor& a = tensor_of(a_packet);
  const Tensor& b = tensor_of(b_packet);
  EXPECT_EQ(a.dtype, DType::kUInt8);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{1, 3, 3, 5}));
  EXPECT_EQ(b.shape, (std::vector<int64_t>{1, 3, 5, 3}));
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 5; ++x)
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(a.as<uint8_t>()[(c * 3 + y) * 5 + x], image.at<cv::Vec3b>(y, x)[c]);
        EXPECT_EQ(b.as<uint8_t>()[(y * 5 + x) * 3 + c], image.at<cv::Vec3b>(y, x)[c]);
      }
}

TEST(ToTensor, GrayFramesAndViewsOfLargerImages) {
  auto h = NodeHarness::load("to_tensor", "scale = 2.0\nmean = [10.0]\nstd = [4.0]");
  const cv::Mat gray = pattern(8, 6, 1);
  const Packet g_packet =
      run_one<preprocessors::ToTensor>(h, source_packet(Frame{gray, PixelFormat::kGRAY}));
  const Tensor& g = tensor_of(g_packet);
  EXPECT_EQ(g.shape, (std::vector<int64_t>{1, 1, 6, 8}));
  EXPECT_FLOAT_EQ(g.as<float>()[2 * 8 + 3], (gray.at<uint8_t>(2, 3) * 2.0f - 10.0f) / 4.0f);

  // A crop is a view with a stride wider than its row: the tensor must be packed.
  const cv::Mat big = pattern(20, 10);
  const cv::Mat view = big(cv::Rect(3, 2, 5, 4));
  ASSERT_FALSE(view.isContinuous());
  auto nchw = NodeHarness::load("to_tensor", "dtype = \"uint8\"");
  const Packet v_packet = run_one<preprocessors::ToTensor>(nchw, source_packet(Frame{view}));
  const Tensor& v = tensor_of(v_packet);
  EXPECT_EQ(v.as<uint8_t>()[(2 * 4 + 3) * 5 + 4], view.at<cv::Vec3b>(3, 4)[2]);
}

TEST(ToTensor, FloatFramesAndFramesOf16Bits) {
  auto h = NodeHarness::load("to_tensor", "scale = 0.5");
  cv::Mat f(2, 2, CV_32FC3, cv::Scalar(1.0, 2.0, 3.0));
  const Packet fp = run_one<preprocessors::ToTensor>(h, source_packet(Frame{f}));
  EXPECT_FLOAT_EQ(tensor_of(fp).as<float>()[2 * 4], 1.5f);  // plane 2, first pixel
  cv::Mat w(2, 2, CV_16UC3, cv::Scalar(1000, 2000, 3000));
  const Packet wp = run_one<preprocessors::ToTensor>(h, source_packet(Frame{w}));
  EXPECT_FLOAT_EQ(tensor_of(wp).as<float>()[4], 1000.0f);  // plane 1
}

TEST(ToTensor, BadParamsAreErrorsAtOpen) {
  auto error = [](const std::string& params) {
    auto h = NodeHarness::try_load("to_tensor", params);
    EXPECT_FALSE(h.ok()) << params;
    return h.ok() ? std::string() : h.status().message();
  };
  EXPECT_EQ(error("mean = [0.5, 0.5]\nstd = [1.0, 1.0, 1.0]"),
            "open: mean has 2 values but std has 3");
  EXPECT_EQ(error("std = [1.0, 0.0, 1.0]"), "open: std has a 0: it divides");
  EXPECT_EQ(error("mean = [1.0, 1.0, 1.0, 1.0, 1.0]"),
            "open: mean and std take one value per channel (at most 4), not 5");
  EXPECT_THAT(error("dtype = \"uint8\"\nscale = 0.5"),
              HasSubstr("dtype = \"uint8\" keeps raw pixel values"));
  EXPECT_THAT(error("dtype = \"uint8\"\nmean = [1.0]"), HasSubstr("need dtype = \"float32\""));
  EXPECT_THAT(error("layout = \"CHW\""), HasSubstr("layout"));
  EXPECT_THAT(error("scale = -1.0"), HasSubstr("scale"));
}

TEST(ToTensor, FramesThatDoNotFitTheParamsAreClearErrors) {
  auto h = NodeHarness::load("to_tensor", kNormalize);
  Status s = h.push(preprocessors::ToTensor::kIn.name,
                    source_packet(Frame{pattern(4, 4, 1), PixelFormat::kGRAY}));
  EXPECT_EQ(s.message(), "mean has 3 values but the frame has 1 channel (GRAY)");
  s = h.push(preprocessors::ToTensor::kIn.name,
             source_packet(Frame{pattern(4, 4, 4), PixelFormat::kBGR}));
  EXPECT_EQ(s.message(), "the frame has 4 channels but its format is BGR (3 channels)");
  auto u8 = NodeHarness::load("to_tensor", "dtype = \"uint8\"");
  s = u8.push(preprocessors::ToTensor::kIn.name, source_packet(Frame{cv::Mat(2, 2, CV_32FC3)}));
  EXPECT_EQ(s.message(), "dtype = \"uint8\" needs 8U pixels; the frame's are 32F");
}

}  // namespace
}  // namespace sluice::preprocessors_test
