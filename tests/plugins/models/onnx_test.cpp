// The onnx model plugin (OpenCV DNN) on real ONNX files written by /usr/bin/python3
// (make_onnx_test_models.py) and on BlazeFace's original file, through the NodeHarness and
// through whole pipelines.
#include "onnx.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "packet_support.h"
#include "sluice/testing/node_harness.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

const std::string kRoot = SLUICE_SOURCE_DIR;

class Onnx : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_ = new test::TempDir();
    const auto r = test::run_command("/usr/bin/python3 " + kRoot +
                                         "/tests/plugins/models/make_onnx_test_models.py " +
                                         models_->path().string(),
                                     300);
    if (r.exit_code != 0)
      suite_error_ = test::suite_failure(
          "making the test models with /usr/bin/python3 (python3-onnx, python3-torch) failed",
          r.output);
  }
  void SetUp() override { ASSERT_EQ(suite_error_, "") << "the suite's set-up failed"; }
  static void TearDownTestSuite() {
    delete models_;
    models_ = nullptr;
  }
  static std::string model(const std::string& name) { return models_->file(name); }
  static std::string with_model(const std::string& name, const std::string& more = "") {
    return "model = \"" + model(name) + "\"\n" + more;
  }
  static NodeHarness load(const std::string& params) {
    return NodeHarness::load("onnx", params, {test::test_plugin_dir()});
  }
  static Result<NodeHarness> try_load(const std::string& params) {
    return NodeHarness::try_load("onnx", params, {test::test_plugin_dir()});
  }
  static Tensor tensor(std::vector<int64_t> shape, float start) {
    return test::counting_tensor(std::move(shape), start);
  }
  static std::vector<float> values(const Packet& p) { return test::tensor_values(p); }
  static std::vector<float> read_floats(const std::string& path) { return test::read_floats(path); }

  static test::TempDir* models_;
  static std::string suite_error_;
};
test::TempDir* Onnx::models_ = nullptr;
std::string Onnx::suite_error_;

using models::OnnxNode;
constexpr const auto& kIn = OnnxNode::kIn;

TEST_F(Onnx, RunsAGraphAndKeepsTheHeader) {
  auto h = load(with_model("double.onnx"));
  PacketHeader header;
  header.stream_id = 3;
  header.seq = 41;
  ASSERT_TRUE(h.push(kIn, tensor({1, 2, 2}, 1.f), header).ok());
  Packet out = h.pull(OnnxNode::kOut);
  EXPECT_EQ(values(out), (std::vector<float>{2, 4, 6, 8}));
  EXPECT_EQ(out.get_if<Tensor>()->shape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(out.header().stream_id, 3u);
  EXPECT_EQ(out.header().seq, 41);
  // A packet may carry several rows: the declared batch is symbolic.
  ASSERT_TRUE(h.push(kIn, tensor({3, 2, 2}, 0.f)).ok());
  EXPECT_EQ(h.pull(OnnxNode::kOut).get_if<Tensor>()->shape, (std::vector<int64_t>{3, 2, 2}));
  EXPECT_EQ(h.counters().at("forward_passes"), 2);
}

TEST_F(Onnx, OtherInputTypesRunAsFloat32) {
  auto h = load(with_model("double.onnx"));
  Tensor bytes = Tensor::zeros(DType::kUInt8, {1, 2, 2});
  for (int i = 0; i < 4; ++i) bytes.as<uint8_t>()[i] = static_cast<uint8_t>(100 + i);
  ASSERT_TRUE(h.push(kIn, bytes).ok());
  EXPECT_EQ(values(h.pull(OnnxNode::kOut)), (std::vector<float>{200, 202, 204, 206}));
}

TEST_F(Onnx, ACnnExportedByTorchGivesTorchsOutputs) {
  auto h = load(with_model("cnn.onnx", "input_shape = [1, 3, 16, 16]"));
  Tensor x = Tensor::zeros(DType::kFloat32, {1, 3, 16, 16});
  const auto input = read_floats(model("cnn_input.f32"));
  ASSERT_EQ(input.size(), 768u);
  std::copy(input.begin(), input.end(), x.as<float>());
  ASSERT_TRUE(h.push(kIn, x).ok());
  const auto got = values(h.pull(OnnxNode::kOut));
  const auto expected = read_floats(model("cnn_output.f32"));
  ASSERT_EQ(got.size(), 5u);
  ASSERT_EQ(expected.size(), 5u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4);
}

TEST_F(Onnx, InputsAreTheGraphsInputsInOrder) {
  auto h = load(with_model("two_inputs.onnx"));
  ASSERT_TRUE(h.push(OnnxNode::kIn1.name, Packet::make(PacketHeader{}, tensor({1, 3}, 1.f))).ok());
  ASSERT_TRUE(h.push(OnnxNode::kIn.name, Packet::make(PacketHeader{}, tensor({1, 3}, 0.f))).ok());
  EXPECT_EQ(values(h.pull(OnnxNode::kOut)), (std::vector<float>{10, 21, 32}));  // a + 10 b

  auto one_short = load(with_model("two_inputs.onnx"));
  const Status s = one_short.push(kIn, tensor({1, 3}, 0.f));
  EXPECT_THAT(s.message(), HasSubstr("has 2 inputs ('a', 'b'), but input 'in1' is not connected"));

  auto too_many = load(with_model("double.onnx"));
  too_many.connect({"in1"});
  ASSERT_TRUE(
      too_many.push(OnnxNode::kIn1.name, Packet::make(PacketHeader{}, tensor({1, 2, 2}, 0.f)))
          .ok());
  const Status extra = too_many.push(kIn, tensor({1, 2, 2}, 0.f));
  EXPECT_THAT(extra.message(), HasSubstr("input 'in1' is connected, but"));
  EXPECT_THAT(extra.message(), HasSubstr("has only 1 input(s)"));
}

TEST_F(Onnx, OutputsGoInDeclaredOrderOrByOutputKeys) {
  // five_outputs declares e, d, c, b, a = x+1 .. x+5: five is one more than the ports.
  auto too_many = try_load(with_model("five_outputs.onnx"));
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.status().message(),
              HasSubstr("has 5 outputs ('e', 'd', 'c', 'b', 'a'); the node has 4"));

  auto picked = load(with_model("five_outputs.onnx", "output_keys = [\"a\", \"e\", \"c\"]"));
  ASSERT_TRUE(picked.push(kIn, tensor({1, 2}, 0.f)).ok());
  EXPECT_EQ(values(picked.pull(OnnxNode::kOut)), (std::vector<float>{5, 6}));
  EXPECT_EQ(values(picked.pull(OnnxNode::kOut1)), (std::vector<float>{1, 2}));
  EXPECT_EQ(values(picked.pull(OnnxNode::kOut2)), (std::vector<float>{3, 4}));
  EXPECT_EQ(picked.pending(OnnxNode::kOut3.name), 0u);

  auto typo = try_load(with_model("five_outputs.onnx", "output_keys = [\"f\"]"));
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(typo.status().message(),
              HasSubstr("has no output 'f' (param output_keys); its outputs are 'e', 'd'"));
}

TEST_F(Onnx, ShapesAreCheckedAgainstTheFileAndInputShape) {
  auto h = load(with_model("double.onnx"));
  const Status s = h.push(kIn, tensor({1, 3, 2}, 0.f));
  EXPECT_THAT(s.message(), HasSubstr("input 'in' has shape [1, 3, 2] but input 'x' of '" +
                                     model("double.onnx") + "' is ['batch', 2, 2]"));

  auto param = load(with_model("cnn.onnx", "input_shape = [1, 3, 16, 16]"));
  EXPECT_THAT(param.push(kIn, tensor({2, 3, 16, 16}, 0.f)).message(),
              HasSubstr("input 'in' has shape [2, 3, 16, 16] but the model takes [1, 3, 16, 16]"));

  auto wrong = try_load(with_model("double.onnx", "input_shape = [1, 2, 3]"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("input_shape [1, 2, 3] does not fit input 'x'"));
}

TEST_F(Onnx, FilesOpenCvCannotRunGetOneLineErrorsNamingTheFile) {
  auto missing = try_load("model = \"/nonexistent/model.onnx\"");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("model file '/nonexistent/model.onnx' does not exist"));

  auto text = try_load(with_model("text.onnx"));
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.status().message(),
              HasSubstr("'" + model("text.onnx") + "' is not an ONNX model"));

  auto archive = try_load(with_model("archive.onnx"));
  ASSERT_FALSE(archive.ok());
  EXPECT_THAT(archive.status().message(), HasSubstr("is not an ONNX model"));
  EXPECT_THAT(archive.status().message(), HasSubstr("plugin = \"torchscript\""));

  auto truncated = try_load(with_model("truncated.onnx"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.status().message(),
              HasSubstr("'" + model("truncated.onnx") + "' is not an ONNX model"));

  auto unsupported = try_load(with_model("unsupported.onnx"));
  ASSERT_FALSE(unsupported.ok());
  EXPECT_THAT(unsupported.status().message(),
              HasSubstr("OpenCV DNN cannot load '" + model("unsupported.onnx") + "'"));
  EXPECT_THAT(unsupported.status().message(), HasSubstr("Det"));

  // A malformed graph: OpenCV's own message is an assertion; ONNX's checker names the cause.
  auto dangling = try_load(with_model("dangling.onnx"));
  ASSERT_FALSE(dangling.ok());
  EXPECT_THAT(dangling.status().message(), HasSubstr("OpenCV DNN cannot load"));
  EXPECT_THAT(dangling.status().message(),
              HasSubstr("ONNX's checker says: Nodes in a graph must be topologically sorted, "
                        "however input 'nowhere'"));

  for (const auto* r : {&text, &archive, &truncated, &unsupported, &dangling})
    EXPECT_EQ(r->status().message().find('\n'), std::string::npos) << r->status().message();
}

TEST_F(Onnx, FixedBatchGraphsRunOnePacketPerPass) {
  // double_fixed declares [1, 3]: max_batch is not used, and two rows in a packet are an error.
  auto h = load(with_model("double_fixed.onnx", "max_batch = 8"));
  ASSERT_TRUE(h.push(kIn, tensor({1, 3}, 1.f)).ok());
  EXPECT_EQ(values(h.pull(OnnxNode::kOut)), (std::vector<float>{2, 4, 6}));
  EXPECT_THAT(h.push(kIn, tensor({2, 3}, 0.f)).message(), HasSubstr("is [1, 3]"));
}

TEST_F(Onnx, BlazeFacesOriginalFileWantsNhwcAndSaysSo) {
  const std::string file = kRoot + "/assets/models/face_detection_front_128x128_barracuda.onnx";
  ASSERT_EQ(test::missing_assets({"assets/models/face_detection_front_128x128_barracuda.onnx"}),
            "");
  auto h = load("model = \"" + file + "\"\nmax_batch = 4");
  ASSERT_TRUE(h.push(kIn, Tensor::zeros(DType::kFloat32, {1, 128, 128, 3})).ok());
  const std::vector<std::vector<int64_t>> shapes{
      {1, 512, 1}, {1, 384, 1}, {1, 512, 16}, {1, 384, 16}};
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    Packet p = h.pull(k == 0 ? std::string("out") : "out" + std::to_string(k));
    ASSERT_NE(p.get_if<Tensor>(), nullptr) << k;
    EXPECT_EQ(p.get_if<Tensor>()->shape, shapes[k]) << k;
  }
  const Status nchw = h.push(kIn, Tensor::zeros(DType::kFloat32, {1, 3, 128, 128}));
  EXPECT_THAT(nchw.message(), HasSubstr("is [1, 128, 128, 3] (NCHW against NHWC?"));
}

TEST_F(Onnx, DeviceAndTorchOnlyParamsAreClearErrors) {
  auto cuda = try_load(with_model("double.onnx", "device = \"cuda:0\""));
  ASSERT_FALSE(cuda.ok());
  EXPECT_THAT(cuda.status().message(), HasSubstr("OpenCV DNN, which is CPU-only here"));
  auto typo = try_load(with_model("double.onnx", "device = \"gpu\""));
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(typo.status().message(),
              HasSubstr("device 'gpu' is not one of auto, cpu, cuda, cuda:N"));
  EXPECT_TRUE(try_load(with_model("double.onnx", "device = \"auto\"")).ok());
  for (const std::string param :
       {"fp16 = true", "state_dict_key = \"model\"", "architecture = \"a.pt\""}) {
    auto r = try_load(with_model("double.onnx", param));
    ASSERT_FALSE(r.ok()) << param;
    EXPECT_THAT(r.status().message(),
                HasSubstr("has no param '" + param.substr(0, param.find(' ')) + "'"));
  }
}

// OpenCV's thread count is one per process: two open onnx nodes must agree on it.
TEST_F(Onnx, ThreadsAreOneSettingForTheProcess) {
  auto two = load(with_model("double.onnx", "threads = 2"));
  auto also_two = try_load(with_model("double.onnx", "threads = 2"));
  EXPECT_TRUE(also_two.ok());
  auto unset = try_load(with_model("double.onnx"));
  EXPECT_TRUE(unset.ok()) << "threads = 0 leaves the count as it is";
  auto three = try_load(with_model("double.onnx", "threads = 3"));
  ASSERT_FALSE(three.ok());
  EXPECT_THAT(
      three.status().message(),
      HasSubstr("threads = 3, but another onnx node of this process is open with threads = 2"));
  ASSERT_TRUE(two.close().ok());
  ASSERT_TRUE(also_two->close().ok());
  EXPECT_TRUE(try_load(with_model("double.onnx", "threads = 3")).ok()) << "after both closed";
}

}  // namespace
}  // namespace sluice::testing
