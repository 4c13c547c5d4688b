// The torchvision classification input (Resize(256), CenterCrop(224), ToTensor, Normalize
// with ImageNet's mean and std, RGB) made by color_convert -> resize -> center_crop ->
// to_tensor equals the same computed in Python with cv2 and numpy (reference_chain.py), on
// real photos; and the transform the chain records maps tensor pixels back onto the photo.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "preproc_test_util.h"

namespace sluice::preprocessors_test {
namespace {

using testing::NodeHarness;

// The packet `in` through each node of `chain` in turn, each by its only input and output
// (read from its contract, so that a renamed port needs no change here).
Packet through(std::vector<NodeHarness>& chain, Packet in) {
  for (auto& node : chain) {
    const Status s = node.push(node.contract().inputs.at(0).name, std::move(in));
    EXPECT_TRUE(s.ok()) << node.contract().type << ": " << s.message();
    in = node.pull(node.contract().outputs.at(0).name);
    EXPECT_FALSE(in.empty()) << node.contract().type << " sent nothing";
  }
  return in;
}

class Parity : public ::testing::TestWithParam<const char*> {};

TEST_P(Parity, ClassificationInputMatchesCv2AndNumpy) {
  const std::string image_path = media(GetParam());
  ASSERT_FALSE(image_path.empty());
  test::TempDir dir;
  const std::string prefix = dir.file("reference");
  const auto py = test::run_command("/usr/bin/python3 " + std::string(SLUICE_SOURCE_DIR) +
                                        "/tests/plugins/preprocessors/reference_chain.py " +
                                        image_path + " 256 224 " + prefix,
                                    120);
  ASSERT_EQ(py.exit_code, 0) << py.output;
  const auto meta = nlohmann::json::parse(test::read_file(prefix + ".json"));
  const std::vector<int64_t> shape = meta["shape"];
  ASSERT_EQ(shape, (std::vector<int64_t>{1, 3, 224, 224}));
  std::vector<float> reference(3 * 224 * 224);
  std::ifstream(prefix + ".f32", std::ios::binary)
      .read(reinterpret_cast<char*>(reference.data()),
            static_cast<std::streamsize>(reference.size() * sizeof(float)));

  const cv::Mat bgr = cv::imread(image_path, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty()) << "cannot decode " << image_path;
  std::vector<NodeHarness> chain;
  chain.push_back(NodeHarness::load("color_convert", "to = \"RGB\""));
  chain.push_back(NodeHarness::load("resize", "shorter_side = 256"));
  chain.push_back(NodeHarness::load("center_crop", "size = [224, 224]"));
  chain.push_back(
      NodeHarness::load("to_tensor",
                        "dtype = \"float32\"\nlayout = \"NCHW\"\nscale = 0.00392156862745098\n"
                        "mean = [0.485, 0.456, 0.406]\nstd = [0.229, 0.224, 0.225]"));
  const Packet out = through(chain, source_packet(Frame{bgr, PixelFormat::kBGR}));
  const Tensor* t = out.get_if<Tensor>();
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->shape, shape);
  ASSERT_EQ(t->dtype, DType::kFloat32);

  double max_error = 0;
  for (std::size_t i = 0; i < reference.size(); ++i)
    max_error =
        std::max(max_error, static_cast<double>(std::abs(t->as<float>()[i] - reference[i])));
  std::cout << "[ parity ] " << GetParam() << ": max abs error " << max_error << "\n";
  RecordProperty("max_abs_error", std::to_string(max_error));
  EXPECT_LT(max_error, 1e-5);

  // The transform: source pixels -> tensor pixels is the resize's scale, then the crop's
  // offset; a point of the tensor maps back onto the same place of the photo.
  const double w = bgr.cols, h = bgr.rows;
  const double rw = meta["resized"][0], rh = meta["resized"][1];
  const double left = meta["crop_origin"][0], top = meta["crop_origin"][1];
  const Affine2D& tr = out.header().transform;
  EXPECT_NEAR(tr.a, rw / w, 1e-12);
  EXPECT_NEAR(tr.e, rh / h, 1e-12);
  EXPECT_NEAR(tr.c, -left, 1e-9);
  EXPECT_NEAR(tr.f, -top, 1e-9);
  expect_near(tr.to_source({0, 0}), cv::Point2f(left * w / rw, top * h / rh), 1e-3);
  expect_near(tr.to_source({224, 224}), cv::Point2f((left + 224) * w / rw, (top + 224) * h / rh),
              1e-3);
  // The centre crop's centre is the photo's centre, within the crop's rounding.
  const cv::Point2f centre = tr.to_source({112, 112});
  EXPECT_NEAR(centre.x, w / 2, w / rw);
  EXPECT_NEAR(centre.y, h / 2, h / rh);
}

INSTANTIATE_TEST_SUITE_P(Photos, Parity,
                         ::testing::Values("dog.jpg", "astronaut.png", "horses.jpg"),
                         [](const auto& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

}  // namespace
}  // namespace sluice::preprocessors_test
