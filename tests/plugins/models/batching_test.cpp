// Every model backend through the shared batch path (plugins/models/common): a pipeline
// with max_batch = 8 over 4 streams gives each packet exactly the outputs it gets with
// max_batch = 1, and really batches. One test, run once per backend.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "batched_model_node.h"
#include "sluice/testing/node_harness.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

struct Backend {
  std::string plugin;  // the node type
  std::string script;  // writes the backend's test models into a folder
  std::string model;   // the small CNN among them
  double tolerance;
};

std::ostream& operator<<(std::ostream& out, const Backend& b) { return out << b.plugin; }

class EveryBackend : public ::testing::TestWithParam<Backend> {};

// Writes the backend's test models into `folder`; "" or why it failed.
std::string make_models(const Backend& backend, const std::string& folder) {
  const auto made = test::run_command("/usr/bin/python3 " + std::string(SLUICE_SOURCE_DIR) +
                                          "/tests/plugins/models/" + backend.script + " " + folder,
                                      300);
  return made.exit_code == 0 ? "" : made.output;
}

// "stream seq [shape] v0 v1 ..." lines of tensor_dump_sink, by "stream:seq".
std::map<std::string, std::vector<double>> read_dump(const std::string& path) {
  std::map<std::string, std::vector<double>> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string stream, seq, token;
    fields >> stream >> seq;
    while (fields >> token && token != "]") {
    }
    std::vector<double> v;
    for (double x; fields >> x;) v.push_back(x);
    rows[stream + ":" + seq] = v;
  }
  return rows;
}

TEST_P(EveryBackend, ABatchOfNGivesTheSameOutputsAsNSingleRuns) {
  const Backend& backend = GetParam();
  test::TempDir dir;
  ASSERT_EQ(make_models(backend, dir.file("models")), "");
  auto run = [&](int max_batch, const std::string& out) {
    const std::string file = dir.write("p" + std::to_string(max_batch) + ".toml", R"([pipeline]
links = ["cams -> tensor -> model -> dump"]
[nodes.cams]
plugin = "synthetic_source"
frames = 40
streams = 4
width = 16
height = 16
[nodes.tensor]
plugin = "frame_to_tensor"
[nodes.model]
plugin = ")" + backend.plugin + R"("
model = ")" + dir.file("models/" + backend.model) + R"("
threads = 1
max_batch = )" + std::to_string(max_batch) + R"(
max_delay_ms = 50
queue = { capacity = 16 }
[nodes.dump]
plugin = "tensor_dump_sink"
path = ")" + out + R"("
)");
    const auto r = test::run_sluice("run " + file + " --stats-json " + out + ".json",
                                    {.plugin_dir = test::test_plugin_dir()});
    EXPECT_EQ(r.exit_code, 0) << r.output;
  };
  run(1, dir.file("single.txt"));
  run(8, dir.file("batched.txt"));
  const auto single = read_dump(dir.file("single.txt"));
  const auto batched = read_dump(dir.file("batched.txt"));
  ASSERT_EQ(single.size(), 160u);
  ASSERT_EQ(batched.size(), 160u);
  for (const auto& [key, v] : batched) {
    ASSERT_EQ(v.size(), 5u) << key;
    ASSERT_EQ(single.count(key), 1u) << key;
    for (std::size_t i = 0; i < v.size(); ++i)
      EXPECT_NEAR(v[i], single.at(key)[i], backend.tolerance) << key;
  }
  // The batched run really batched: far fewer forward passes than packets.
  const auto stats = nlohmann::json::parse(test::read_file(dir.file("batched.txt") + ".json"));
  EXPECT_EQ(stats["nodes"][2]["processed"], 160);
  EXPECT_LT(stats["nodes"][2]["counters"]["forward_passes"].get<int>(), 160 / 2);
  const auto single_stats =
      nlohmann::json::parse(test::read_file(dir.file("single.txt") + ".json"));
  EXPECT_EQ(single_stats["nodes"][2]["counters"]["forward_passes"], 160);
}

// The same in process, through the harness's batch API: one forward pass for the batch,
// and each packet's rows equal to what it gets alone.
TEST_P(EveryBackend, TheHarnessBatchRunsOnePassAndSplitsItBack) {
  const Backend& backend = GetParam();
  test::TempDir dir;
  ASSERT_EQ(make_models(backend, dir.file("models")), "");
  const std::string params =
      "model = \"" + dir.file("models/" + backend.model) + "\"\nthreads = 1\nmax_batch = 4";
  auto batched = NodeHarness::load(backend.plugin, params, {test::test_plugin_dir()});
  auto alone = NodeHarness::load(backend.plugin, params, {test::test_plugin_dir()});
  std::vector<NodeHarness::InputSet> sets;
  for (int64_t seq = 0; seq < 4; ++seq) {
    Tensor x = Tensor::zeros(DType::kFloat32, {1, 3, 16, 16});
    for (int64_t i = 0; i < x.numel(); ++i)
      x.as<float>()[i] = static_cast<float>((i * 7 + seq * 13) % 50) / 25.f;
    PacketHeader h;
    h.stream_id = static_cast<uint32_t>(seq);
    h.seq = seq;
    sets.push_back({{models::BatchedModelNode::kIn.name, Packet::make(h, x)}});
    ASSERT_TRUE(alone.push(models::BatchedModelNode::kIn.name, Packet::make(h, x)).ok());
  }
  ASSERT_TRUE(batched.push_batch(sets).ok());
  EXPECT_EQ(batched.counters().at("forward_passes"), 1);
  EXPECT_EQ(alone.counters().at("forward_passes"), 4);
  for (int64_t seq = 0; seq < 4; ++seq) {
    const Packet got = batched.pull(models::BatchedModelNode::kOut);
    const Packet want = alone.pull(models::BatchedModelNode::kOut);
    EXPECT_EQ(got.header().seq, seq);
    const Tensor* g = got.get_if<Tensor>();
    const Tensor* w = want.get_if<Tensor>();
    ASSERT_TRUE(g && w);
    ASSERT_EQ(g->shape, (std::vector<int64_t>{1, 5}));
    for (int64_t i = 0; i < 5; ++i)
      EXPECT_NEAR(g->as<float>()[i], w->as<float>()[i], backend.tolerance) << seq;
  }
}

std::vector<Backend> backends_built() {
  std::vector<Backend> all;
#ifdef SLUICE_HAVE_TORCHSCRIPT
  all.push_back({"torchscript", "make_test_models.py", "cnn.pt", 1e-5});
#endif
#ifdef SLUICE_HAVE_ONNX
  all.push_back({"onnx", "make_onnx_test_models.py", "cnn.onnx", 1e-4});
#endif
  return all;
}

INSTANTIATE_TEST_SUITE_P(Models, EveryBackend, ::testing::ValuesIn(backends_built()),
                         [](const auto& info) { return info.param.plugin; });

}  // namespace
}  // namespace sluice::testing
