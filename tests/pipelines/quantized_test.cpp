// The INT8 Fashion-MNIST models (scripts/models/quantize_fmnist.py) through the `classify`
// pipeline, changing only the model node (its file and qengine, by --set): the accuracy on
// the 10,000 test pictures stays within 1 point of the float model's, and is what Python
// measured for the same file on the same engine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "test_support.h"

namespace sluice::test {
namespace {

using nlohmann::json;

const std::string kRoot = SLUICE_SOURCE_DIR;

struct Case {
  const char* model;    // in assets/models
  const char* qengine;  // the node's param
  const char* engine;   // the engine it runs on (Python's figure for it)
  // Python measured in batches of 500; the pipeline batches up to 32 pictures as they come.
  // Static models give each picture the same result in any batch (checked by
  // quantize_fmnist.py): the same accuracy. The dynamic model picks the activations' range
  // per batch, so a few pictures near a class boundary may go either way.
  double tolerance;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << " with qengine " << c.qengine; }

std::string name_of(const ::testing::TestParamInfo<Case>& info) {
  std::string name = std::string(info.param.model) + "_" + info.param.qengine;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class Quantized : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    images_ = new TempDir();
    const auto r = run_command("/usr/bin/python3 " + kRoot + "/tests/pipelines/fmnist_to_png.py " +
                                   kRoot + "/assets/fashion-mnist " + images_->file("fmnist"),
                               600);
    if (r.exit_code != 0) suite_error_ = suite_failure("fmnist_to_png.py failed", r.output);
  }
  static void TearDownTestSuite() {
    delete images_;
    images_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(suite_error_, "") << "the suite's set-up failed";
    ASSERT_EQ(missing_assets({"assets/models/fmnist_reference.json",
                              "assets/models/fmnist_quantized.json",
                              "assets/models/" + std::string(GetParam().model)}),
              "");
  }
  static TempDir* images_;
  static std::string suite_error_;
};
TempDir* Quantized::images_ = nullptr;
std::string Quantized::suite_error_;

TEST_P(Quantized, ClassifyStaysWithinOnePointOfTheFloatModel) {
  const Case& c = GetParam();
  const json float_ref = json::parse(read_file(kRoot + "/assets/models/fmnist_reference.json"));
  const json quant_ref = json::parse(read_file(kRoot + "/assets/models/fmnist_quantized.json"));
  TempDir out;
  const auto r =
      run_sluice("run -q " + kRoot + "/pipelines/classify.toml --set nodes.model.model=" + kRoot +
                     "/assets/models/" + c.model + " --set nodes.model.qengine=" + c.qengine +
                     " --set nodes.json.path=" + out.file("classify.jsonl"),
                 {.env = "SLUICE_OUT=" + images_->path().string(), .timeout_s = 600});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream labels(images_->file("fmnist/labels.txt")), lines(out.file("classify.jsonl"));
  int total = 0, correct = 0;
  for (std::string line, label; std::getline(lines, line) && std::getline(labels, label); ++total) {
    const json j = json::parse(line);
    ASSERT_EQ(j["seq"], total) << "pictures in file order";
    correct += j["classifications"][0]["class_id"].get<int>() == std::stoi(label) ? 1 : 0;
  }
  ASSERT_EQ(total, 10000);
  const double accuracy = static_cast<double>(correct) / total;
  const double float_accuracy = float_ref["accuracy"].get<double>();
  EXPECT_NEAR(accuracy, float_accuracy, 0.01) << c.model << " on " << c.engine;
  const double python = quant_ref["models"][c.model]["accuracy"][c.engine].get<double>();
  EXPECT_NEAR(accuracy, python, c.tolerance)
      << "Python's accuracy for " << c.model << " on " << c.engine;
}

INSTANTIATE_TEST_SUITE_P(
    Fmnist, Quantized,
    ::testing::Values(Case{"fmnist_cnn_int8_static_qnnpack.pt", "qnnpack", "qnnpack", 1e-9},
                      Case{"fmnist_cnn_int8_static_onednn.pt", "onednn", "onednn", 1e-9},
                      // auto: the engine the file names (quantize_fmnist.py records it).
                      Case{"fmnist_cnn_int8_static_qnnpack.pt", "auto", "qnnpack", 1e-9},
                      Case{"fmnist_cnn_int8_dynamic.pt", "qnnpack", "qnnpack", 0.002},
                      Case{"fmnist_cnn_int8_dynamic.pt", "onednn", "onednn", 0.002}),
    name_of);

}  // namespace
}  // namespace sluice::test
