// The torchscript model plugin on real TorchScript files written by /usr/bin/python3
// (make_test_models.py), through the NodeHarness and through whole pipelines.
#include "torchscript.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "packet_support.h"
#include "sluice/testing/node_harness.h"
#include "sluice/text.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

using models::TorchScriptNode;

class TorchScript : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_ = new test::TempDir();
    const auto r = test::run_command("/usr/bin/python3 " + std::string(SLUICE_SOURCE_DIR) +
                                         "/tests/plugins/models/make_test_models.py " +
                                         models_->path().string(),
                                     300);
    if (r.exit_code != 0)
      suite_error_ = test::suite_failure(
          "making the test models with /usr/bin/python3 (python3-torch) failed", r.output);
  }
  void SetUp() override { ASSERT_EQ(suite_error_, "") << "the suite's set-up failed"; }
  static void TearDownTestSuite() {
    delete models_;
    models_ = nullptr;
  }
  static std::string model(const std::string& name) { return models_->file(name); }
  static NodeHarness load(const std::string& params) {
    return NodeHarness::load("torchscript", params + "\nthreads = 1", {test::test_plugin_dir()});
  }
  static Result<NodeHarness> try_load(const std::string& params) {
    return NodeHarness::try_load("torchscript", params, {test::test_plugin_dir()});
  }
  static Tensor tensor(std::vector<int64_t> shape, float start) {
    return test::counting_tensor(std::move(shape), start);
  }
  static std::vector<float> values(const Packet& p) { return test::tensor_values(p); }

  static test::TempDir* models_;
  static std::string suite_error_;
};
test::TempDir* TorchScript::models_ = nullptr;
std::string TorchScript::suite_error_;

TEST_F(TorchScript, RunsAScriptedModel) {
  auto h = load("model = \"" + model("double.pt") + "\"");
  ASSERT_TRUE(h.push(TorchScriptNode::kIn, tensor({1, 2, 2}, 1.f)).ok());
  Packet out = h.pull(TorchScriptNode::kOut);
  EXPECT_EQ(values(out), (std::vector<float>{2, 4, 6, 8}));
  EXPECT_EQ(out.get_if<Tensor>()->shape, (std::vector<int64_t>{1, 2, 2}));
}

TEST_F(TorchScript, TupleAndDictResultsGoToNumberedOutputs) {
  auto t = load("model = \"" + model("tuple.pt") + "\"");
  ASSERT_TRUE(t.push(TorchScriptNode::kIn, tensor({1, 1, 1, 3}, 0.f)).ok());
  EXPECT_EQ(values(t.pull(TorchScriptNode::kOut)), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(values(t.pull(TorchScriptNode::kOut1)), (std::vector<float>{3}));

  auto d = load("model = \"" + model("dict.pt") + "\"\noutput_keys = [\"a\", \"b\"]");
  ASSERT_TRUE(d.push(TorchScriptNode::kIn, tensor({2}, 1.f)).ok());
  EXPECT_EQ(values(d.pull(TorchScriptNode::kOut)), (std::vector<float>{3, 6}));
  EXPECT_EQ(values(d.pull(TorchScriptNode::kOut1)), (std::vector<float>{0, 1}));

  auto bad_key = load("model = \"" + model("dict.pt") + "\"\noutput_keys = [\"c\"]");
  const Status s = bad_key.push(TorchScriptNode::kIn, tensor({2}, 1.f));
  EXPECT_THAT(s.message(), HasSubstr("has no key 'c'"));
}

TEST_F(TorchScript, SeveralInputs) {
  auto h = load("model = \"" + model("two_inputs.pt") + "\"");
  ASSERT_TRUE(
      h.push(TorchScriptNode::kIn1.name, Packet::make(PacketHeader{}, tensor({3}, 10.f))).ok());
  ASSERT_TRUE(
      h.push(TorchScriptNode::kIn.name, Packet::make(PacketHeader{}, tensor({3}, 1.f))).ok());
  EXPECT_EQ(values(h.pull(TorchScriptNode::kOut)), (std::vector<float>{11, 13, 15}));
}

// Input sets of one batch, stream i, seq i, each with its own tensor.
std::vector<NodeHarness::InputSet> batch_of(const std::vector<Tensor>& tensors) {
  std::vector<NodeHarness::InputSet> sets;
  for (std::size_t i = 0; i < tensors.size(); ++i)
    sets.push_back(
        {{TorchScriptNode::kIn.name,
          Packet::make(test::at(static_cast<uint32_t>(i), static_cast<int64_t>(i)), tensors[i])}});
  return sets;
}

TEST_F(TorchScript, ABatchOfDifferentShapesIsAClearErrorByDefault) {
  auto h = load("model = \"" + model("cnn.pt") + "\"\nmax_batch = 4");
  const Status s =
      h.push_batch(batch_of({tensor({1, 3, 16, 16}, 0.f), tensor({1, 3, 16, 24}, 0.f)}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("the packets of a batch differ in shape ([1, 3, 16, 16] and "
                                     "[1, 3, 16, 24]): set batch_shapes = \"pad\" or \"group\""));
}

TEST_F(TorchScript, GroupRunsOnePassPerShapeAndKeepsThePacketsOrder) {
  const std::string params = "model = \"" + model("cnn.pt") + "\"\nmax_batch = 4";
  auto grouped = load(params + "\nbatch_shapes = \"group\"");
  auto alone = load(params);
  // Shapes A, B, A, B: two passes, and the outputs in the batch's order.
  std::vector<Tensor> tensors;
  for (int i = 0; i < 4; ++i)
    tensors.push_back(tensor({1, 3, 16, i % 2 ? 24 : 16}, static_cast<float>(i) / 7));
  ASSERT_TRUE(grouped.push_batch(batch_of(tensors)).ok());
  EXPECT_EQ(grouped.counters().at("forward_passes"), 2);
  for (std::size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(alone
                    .push(TorchScriptNode::kIn.name,
                          Packet::make(test::at(static_cast<uint32_t>(i), static_cast<int64_t>(i)),
                                       tensors[i]))
                    .ok());
    const Packet got = grouped.pull(TorchScriptNode::kOut);
    EXPECT_EQ(got.header().seq, static_cast<int64_t>(i));
    const std::vector<float> g = values(got), w = values(alone.pull(TorchScriptNode::kOut));
    ASSERT_EQ(g.size(), w.size());
    for (std::size_t k = 0; k < g.size(); ++k) EXPECT_NEAR(g[k], w[k], 1e-5) << i;
  }
}

TEST_F(TorchScript, PadWithAMaskGivesEachPacketWhatItGetsAlone) {
  // masked_mean: the mean of each channel over the mask: what padding adds is masked out.
  const std::string params = "model = \"" + model("masked_mean.pt") +
                             "\"\nmax_batch = 4\nbatch_shapes = \"pad\"\npad_info = \"mask\"\n"
                             "pad_value = 1000";
  auto padded = load(params);
  auto alone = load(params);
  std::vector<Tensor> tensors{tensor({1, 3, 4, 6}, 0.f), tensor({1, 3, 5, 3}, 2.f),
                              tensor({1, 3, 2, 2}, 1.f)};
  ASSERT_TRUE(padded.push_batch(batch_of(tensors)).ok());
  EXPECT_EQ(padded.counters().at("forward_passes"), 1);
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    ASSERT_TRUE(alone
                    .push(TorchScriptNode::kIn.name,
                          Packet::make(test::at(static_cast<uint32_t>(i), 0), tensors[i]))
                    .ok());
    const std::vector<float> g = values(padded.pull(TorchScriptNode::kOut)),
                             w = values(alone.pull(TorchScriptNode::kOut));
    ASSERT_EQ(g.size(), 3u);
    ASSERT_EQ(w.size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(g[k], w[k], 1e-4) << "packet " << i;
  }
  // The same without the mask does see the padding: the test can fail.
  auto unmasked = load("model = \"" + model("cnn.pt") +
                       "\"\nmax_batch = 4\nbatch_shapes = \"pad\"\npad_value = 1000");
  ASSERT_TRUE(
      unmasked.push_batch(batch_of({tensor({1, 3, 16, 16}, 0.f), tensor({1, 3, 8, 8}, 0.f)})).ok());
  unmasked.pull(TorchScriptNode::kOut);
  auto small_alone = load("model = \"" + model("cnn.pt") + "\"");
  ASSERT_TRUE(small_alone.push(TorchScriptNode::kIn, tensor({1, 3, 8, 8}, 0.f)).ok());
  EXPECT_NE(values(unmasked.pull(TorchScriptNode::kOut)),
            values(small_alone.pull(TorchScriptNode::kOut)));
}

TEST_F(TorchScript, TokenSequencesOfDifferentLengthsArePaddedWithTheirLengths) {
  const std::string params = "model = \"" + model("token_mean.pt") +
                             "\"\nmax_batch = 4\nbatch_shapes = \"pad\"\npad_info = \"lengths\"";
  auto padded = load(params);
  auto alone = load(params);
  std::vector<Tensor> sequences;
  for (int64_t length : {5, 2, 7}) {
    Tensor t = Tensor::zeros(DType::kInt64, {1, length});
    for (int64_t k = 0; k < length; ++k) t.as<int64_t>()[k] = (k * 13 + length) % 100;
    sequences.push_back(t);
  }
  ASSERT_TRUE(padded.push_batch(batch_of(sequences)).ok());
  EXPECT_EQ(padded.counters().at("forward_passes"), 1);
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    ASSERT_TRUE(alone
                    .push(TorchScriptNode::kIn.name,
                          Packet::make(test::at(static_cast<uint32_t>(i), 0), sequences[i]))
                    .ok());
    const std::vector<float> g = values(padded.pull(TorchScriptNode::kOut)),
                             w = values(alone.pull(TorchScriptNode::kOut));
    ASSERT_EQ(g.size(), 4u);
    for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(g[k], w[k], 1e-5) << "sequence " << i;
  }
  // pad_info without padding is a mistake caught at open.
  auto wrong = try_load("model = \"" + model("token_mean.pt") + "\"\npad_info = \"lengths\"");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("pad_info = \"lengths\" needs batch_shapes"));
}

TEST_F(TorchScript, FilesCppCannotRunGetErrorsSayingWhatToDo) {
  auto pickled = try_load("model = \"" + model("pickled_module.pt") + "\"");
  ASSERT_FALSE(pickled.ok());
  EXPECT_THAT(pickled.status().message(), HasSubstr("torch.save(model)"));
  EXPECT_THAT(pickled.status().message(), HasSubstr("torch.jit.script(model).save(path)"));

  auto weights = try_load("model = \"" + model("state_dict.pt") + "\"");
  ASSERT_FALSE(weights.ok());
  EXPECT_THAT(weights.status().message(), HasSubstr("holds only weights (a state_dict)"));

  auto legacy = try_load("model = \"" + model("legacy_pickle.pt") + "\"");
  ASSERT_FALSE(legacy.ok());
  EXPECT_THAT(legacy.status().message(), HasSubstr("legacy (non-zip) torch.save pickle"));

  test::TempDir dir;
  const std::string corrupt = dir.write("corrupt.pt", "PK\x03\x04 this is not really a zip");
  auto broken = try_load("model = \"" + corrupt + "\"");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("not a PyTorch file"));

  auto missing = try_load("model = \"/nonexistent/model.pt\"");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("'/nonexistent/model.pt' does not exist"));
}

TEST_F(TorchScript, InputShapeIsCheckedAndUsedForWarmUp) {
  auto h = load("model = \"" + model("cnn.pt") + "\"\ninput_shape = [1, 3, 16, 16]\nwarmup = 2");
  ASSERT_TRUE(h.push(TorchScriptNode::kIn, tensor({1, 3, 16, 16}, 0.f)).ok());
  EXPECT_EQ(h.pull(TorchScriptNode::kOut).get_if<Tensor>()->shape, (std::vector<int64_t>{1, 5}));
  const Status s = h.push(TorchScriptNode::kIn, tensor({1, 3, 8, 16}, 0.f));
  EXPECT_THAT(s.message(),
              HasSubstr("input 'in' has shape [1, 3, 8, 16] but the model takes [1, 3, 16, 16]"));

  auto any_size = load("model = \"" + model("cnn.pt") + "\"\ninput_shape = [-1, 3, -1, -1]");
  EXPECT_TRUE(any_size.push(TorchScriptNode::kIn, tensor({2, 3, 9, 7}, 0.f)).ok());

  auto bad_warmup = try_load("model = \"" + model("cnn.pt") + "\"\ninput_shape = [1, 5, 16, 16]");
  ASSERT_FALSE(bad_warmup.ok());
  EXPECT_THAT(bad_warmup.status().message(), HasSubstr("warm-up with input_shape [1, 5, 16, 16]"));
}

TEST_F(TorchScript, DevicesThisMachineLacksAreClearErrors) {
  // Debian's LibTorch is built without CUDA: cuda must fail clearly, auto must pick the CPU.
  auto cuda = try_load("model = \"" + model("double.pt") + "\"\ndevice = \"cuda:0\"");
  ASSERT_FALSE(cuda.ok());
  EXPECT_THAT(cuda.status().message(), HasSubstr("no CUDA or no GPU is present"));
  auto fp16 = try_load("model = \"" + model("double.pt") + "\"\nfp16 = true\ndevice = \"cpu\"");
  ASSERT_FALSE(fp16.ok());
  EXPECT_THAT(fp16.status().message(), HasSubstr("fp16 = true needs a CUDA device"));
  EXPECT_TRUE(try_load("model = \"" + model("double.pt") + "\"\ndevice = \"auto\"").ok());
  auto typo = try_load("model = \"" + model("double.pt") + "\"\ndevice = \"gpu\"");
  EXPECT_THAT(typo.status().message(), HasSubstr("not one of auto, cpu, cuda, cuda:N"));
}

using test::read_floats;

Tensor tensor_from(const std::vector<float>& v, std::vector<int64_t> shape) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(shape));
  std::copy(v.begin(), v.end(), t.as<float>());
  return t;
}

TEST_F(TorchScript, WeightsOnlyFileRunsOnATorchScriptArchitecture) {
  const auto input = read_floats(model("cnn_input.f32"));
  const auto expected = read_floats(model("cnn_output.f32"));
  for (const std::string& params :
       {"model = \"" + model("state_dict.pt") + "\"\narchitecture = \"" +
            model("cnn_architecture.pt") + "\"",
        "model = \"" + model("checkpoint.pt") + "\"\narchitecture = \"" +
            model("cnn_architecture.pt") + "\"\nstate_dict_key = \"model\""}) {
    auto h = load(params);
    ASSERT_TRUE(h.push(TorchScriptNode::kIn, tensor_from(input, {1, 3, 16, 16})).ok());
    const auto got = values(h.pull(TorchScriptNode::kOut));
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5);
  }
}

TEST_F(TorchScript, TorchvisionResnet18WeightsGiveTheLogitsPythonGives) {
  auto h =
      load("model = \"" + model("resnet18_weights.pt") + "\"\nbuiltin_architecture = \"resnet18\"");
  ASSERT_TRUE(h.push(TorchScriptNode::kIn,
                     tensor_from(read_floats(model("resnet18_input.f32")), {1, 3, 224, 224}))
                  .ok());
  const auto got = values(h.pull(TorchScriptNode::kOut));
  const auto expected = read_floats(model("resnet18_logits.f32"));
  ASSERT_EQ(got.size(), 1000u);
  ASSERT_EQ(expected.size(), 1000u);
  float worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, std::abs(got[i] - expected[i]));
  EXPECT_LT(worst, 1e-4) << "largest logit difference from Python";
  EXPECT_EQ(std::max_element(got.begin(), got.end()) - got.begin(),
            std::max_element(expected.begin(), expected.end()) - expected.begin());
}

// A file's own bytes in an error are escaped: no invalid UTF-8 or terminal escapes in the
// message (issue: a mutated state_dict put raw bytes into the error line).
TEST_F(TorchScript, ErrorsEscapeTheFilesBytes) {
  const std::string arch = "\narchitecture = \"" + model("cnn_architecture.pt") + "\"";
  auto key = try_load("model = \"" + model("state_dict_bad_key_bytes.pt") + "\"" + arch);
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.status().message(), HasSubstr("unexpected keys (1): head\\xff\\x1b[2J.w"));
  auto global = try_load("model = \"" + model("pickled_module_bad_bytes.pt") + "\"");
  ASSERT_FALSE(global.ok());
  for (const auto& status : {key.status(), global.status()}) {
    const std::string& m = status.message();
    EXPECT_EQ(printable(m), m) << "raw bytes in: " << printable(m);
    for (unsigned char c : m) EXPECT_TRUE(c >= 0x20 && c != 0x7f && c != 0xff && c != 0xfe);
  }
}

TEST_F(TorchScript, WeightsThatDoNotFitAreListed) {
  const std::string arch = "\narchitecture = \"" + model("cnn_architecture.pt") + "\"";
  auto missing = try_load("model = \"" + model("state_dict_missing.pt") + "\"" + arch);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("missing keys (1): fc.bias"));
  auto extra = try_load("model = \"" + model("state_dict_extra.pt") + "\"" + arch);
  ASSERT_FALSE(extra.ok());
  EXPECT_THAT(extra.status().message(), HasSubstr("unexpected keys (1): head.weight"));
  auto shape = try_load("model = \"" + model("state_dict_shape.pt") + "\"" + arch);
  ASSERT_FALSE(shape.ok());
  EXPECT_THAT(shape.status().message(),
              HasSubstr("shape mismatches (1): fc.weight [7, 8] in the file, [5, 8] in the model"));
  auto resnet =
      try_load("model = \"" + model("state_dict.pt") + "\"\nbuiltin_architecture = \"resnet18\"");
  ASSERT_FALSE(resnet.ok());
  EXPECT_THAT(resnet.status().message(), HasSubstr("missing keys"));
  auto no_key = try_load("model = \"" + model("checkpoint.pt") + "\"" + arch);
  ASSERT_FALSE(no_key.ok());
  EXPECT_THAT(no_key.status().message(), HasSubstr("set state_dict_key"));
  auto whole = try_load("model = \"" + model("cnn.pt") + "\"" + arch);
  ASSERT_FALSE(whole.ok());
  EXPECT_THAT(whole.status().message(), HasSubstr("is not a weights-only file"));
  auto pickled_model = try_load("model = \"" + model("pickled_module.pt") + "\"" + arch);
  ASSERT_FALSE(pickled_model.ok());
}

// quantized_qnnpack.pt: INT8 weights that qnnpack packs and onednn cannot (asymmetric).
TEST_F(TorchScript, AQuantizedModelRunsOnTheEngineItNames) {
  const auto input = read_floats(model("quantized_input.f32"));
  const auto expected = read_floats(model("quantized_output.f32"));
  for (const std::string qengine : {"qnnpack", "auto"}) {
    auto h = load("model = \"" + model("quantized_qnnpack.pt") + "\"\nqengine = \"" + qengine +
                  "\"\ninput_shape = [1, 3, 8, 8]");
    ASSERT_TRUE(h.push(TorchScriptNode::kIn, tensor_from(input, {1, 3, 8, 8})).ok());
    const auto got = values(h.pull(TorchScriptNode::kOut));
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], expected[i]) << qengine;
  }
}

TEST_F(TorchScript, AnEngineThatCannotTakeTheModelFailsAtOpenInOneLine) {
  auto h = try_load("model = \"" + model("quantized_qnnpack.pt") + "\"\nqengine = \"onednn\"");
  ASSERT_FALSE(h.ok());
  const std::string& m = h.status().message();
  EXPECT_THAT(m, HasSubstr("cannot load the quantized model '" + model("quantized_qnnpack.pt") +
                           "' with the quantized engine \"onednn\""));
  EXPECT_THAT(m, HasSubstr("ONEDNN only supports symmetric quantization of weight"));
  EXPECT_THAT(m, HasSubstr("(param qengine; this LibTorch has: "));
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST_F(TorchScript, AnEngineThisLibTorchLacksIsAClearError) {
  // Debian's LibTorch has no fbgemm (qnnpack and onednn only).
  auto fbgemm = try_load("model = \"" + model("double.pt") + "\"\nqengine = \"fbgemm\"");
  ASSERT_FALSE(fbgemm.ok());
  EXPECT_THAT(fbgemm.status().message(),
              ::testing::ContainsRegex("qengine \"fbgemm\", which this LibTorch lacks; it has: "
                                       "[a-z]+(, [a-z]+)*"));
  EXPECT_THAT(fbgemm.status().message(), HasSubstr("qnnpack"));
  auto typo = try_load("model = \"" + model("double.pt") + "\"\nqengine = \"qnnpak\"");
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(typo.status().message(), HasSubstr("qnnpack"));  // the nearest valid choice
}

// The engine is one setting for the process: a second node asking for another one is
// refused while the first is open, and allowed once it is gone.
TEST_F(TorchScript, TwoNodesCannotHoldDifferentEngines) {
  const std::string q = "model = \"" + model("quantized_qnnpack.pt") + "\"\nqengine = ";
  {
    auto first = load(q + "\"qnnpack\"");
    auto same = load(q + "\"auto\"");  // the file names qnnpack: the same engine
    auto floating = load("model = \"" + model("double.pt") + "\"");  // auto, names none
    auto other = try_load("model = \"" + model("double.pt") + "\"\nqengine = \"onednn\"");
    ASSERT_FALSE(other.ok());
    EXPECT_THAT(other.status().message(),
                HasSubstr("qengine \"onednn\", but another torchscript node (model '" +
                          model("quantized_qnnpack.pt") +
                          "') holds LibTorch's quantized engine as \"qnnpack\""));
  }
  EXPECT_TRUE(try_load("model = \"" + model("double.pt") + "\"\nqengine = \"onednn\"").ok());
}

// Through the runner: the error names the node; `sluice validate` rejects an unknown engine.
TEST_F(TorchScript, APipelineWithTwoEnginesFailsNamingTheNode) {
  test::TempDir dir;
  const std::string file = dir.write("two.toml", R"([pipeline]
links = ["cams -> tensor -> a -> sink_a", "tensor -> b -> sink_b"]
[nodes.cams]
plugin = "synthetic_source"
frames = 2
width = 8
height = 8
[nodes.tensor]
plugin = "frame_to_tensor"
[nodes.a]
plugin = "torchscript"
model = ")" + model("quantized_qnnpack.pt") + R"("
qengine = "qnnpack"
[nodes.b]
plugin = "torchscript"
model = ")" + model("double.pt") + R"("
qengine = "onednn"
[nodes.sink_a]
plugin = "tensor_dump_sink"
path = ")" + dir.file("a.txt") + R"("
[nodes.sink_b]
plugin = "tensor_dump_sink"
path = ")" + dir.file("b.txt") + R"("
)");
  const auto r = test::run_sluice("run " + file, {.plugin_dir = test::test_plugin_dir()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("node 'b' (torchscript)"));
  EXPECT_THAT(r.output, HasSubstr("holds LibTorch's quantized engine as \"qnnpack\""));
}

// qnnpack's dynamic quantized Linear warns at every forward pass; the node shows it once.
TEST_F(TorchScript, ALibTorchWarningIsShownOncePerNode) {
  test::TempDir dir;
  const std::string file = dir.write("dynamic.toml", R"([pipeline]
links = ["cams -> tensor -> model -> dump"]
[nodes.cams]
plugin = "synthetic_source"
frames = 6
width = 8
height = 8
[nodes.tensor]
plugin = "frame_to_tensor"
[nodes.model]
plugin = "torchscript"
model = ")" + model("dynamic.pt") + R"("
qengine = "qnnpack"
[nodes.dump]
plugin = "tensor_dump_sink"
path = ")" + dir.file("out.txt") + R"("
)");
  const auto r = test::run_sluice("run " + file, {.plugin_dir = test::test_plugin_dir()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int shown = 0;
  for (std::size_t at = r.output.find("ignores reduce_range"); at != std::string::npos;
       at = r.output.find("ignores reduce_range", at + 1))
    ++shown;
  EXPECT_EQ(shown, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("(shown once per node)"));
  std::ifstream out(dir.file("out.txt"));
  int lines = 0;
  for (std::string line; std::getline(out, line);) ++lines;
  EXPECT_EQ(lines, 6);
}

// optimize = true (the default) freezes the model and fuses it for the CPU: the conv net
// with batch norm must give what the model as saved gives (batch norm folded, oneDNN).
TEST_F(TorchScript, OptimizedModelGivesWhatTheSavedModelGives) {
  Tensor x = Tensor::zeros(DType::kFloat32, {2, 3, 16, 16});
  for (int64_t i = 0; i < x.numel(); ++i)
    x.as<float>()[i] = static_cast<float>((i * 37) % 101) / 50.f;
  std::vector<std::vector<float>> outputs;
  for (const char* optimize : {"true", "false"}) {
    auto h = load("model = \"" + model("cnn.pt") + "\"\noptimize = " + optimize);
    ASSERT_TRUE(h.push(TorchScriptNode::kIn, x).ok());
    const Packet out = h.pull(TorchScriptNode::kOut);  // keeps the tensor alive while it is read
    const Tensor* t = out.get_if<Tensor>();
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 5}));
    outputs.push_back(values(out));
  }
  ASSERT_EQ(outputs[0].size(), outputs[1].size());
  for (std::size_t i = 0; i < outputs[0].size(); ++i)
    EXPECT_NEAR(outputs[0][i], outputs[1][i], 1e-4);
}

// MobileNetV3's activations after convolutions whose channel counts are not multiples of 16
// (21, 24): PyTorch 1.13's optimize_for_inference gave wrong values for part of the last
// block of 16 channels (deeplabv3_mobilenet_v3_large flipped up to 11,000 pixels' classes);
// the node repairs the graph (mkldnn_repair.h), so optimized and saved give the same.
TEST_F(TorchScript, MobileNetActivationsGiveTheSameOptimizedAsSaved) {
  Tensor x = Tensor::zeros(DType::kFloat32, {1, 3, 16, 16});
  for (int64_t i = 0; i < x.numel(); ++i)
    x.as<float>()[i] = static_cast<float>((i * 37) % 101) / 25.f - 2.f;
  std::vector<std::vector<float>> outputs;
  for (const char* optimize : {"true", "false"}) {
    auto h = load("model = \"" + model("mobile_activations.pt") + "\"\noptimize = " + optimize);
    ASSERT_TRUE(h.push(TorchScriptNode::kIn, x).ok());
    const Packet out = h.pull(TorchScriptNode::kOut);
    ASSERT_NE(out.get_if<Tensor>(), nullptr);
    EXPECT_EQ(out.get_if<Tensor>()->shape, (std::vector<int64_t>{1, 21, 16, 16}));
    outputs.push_back(values(out));
  }
  ASSERT_EQ(outputs[0].size(), outputs[1].size());
  int differ = 0;
  for (std::size_t i = 0; i < outputs[0].size(); ++i)
    differ += std::abs(outputs[0][i] - outputs[1][i]) > 1e-4f;
  EXPECT_EQ(differ, 0) << "values of 21 x 16 x 16 that differ";
}

}  // namespace
}  // namespace sluice::testing
