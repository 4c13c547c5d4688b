// Every model backend through the shared batch path (plugins/models/common): a pipeline
// with max_batch = 8 over 4 streams gives each packet exactly the outputs it gets with
// max_batch = 1, and really batches. One test, run once per backend.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

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
  const auto made =
      test::run_command("/usr/bin/python3 " + std::string(SLUICE_SOURCE_DIR) +
                            "/tests/plugins/models/" + backend.script + " " + dir.file("models"),
                        300);
  ASSERT_EQ(made.exit_code, 0) << made.output;
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
    const auto r = test::run_command(test::sluice_cli() + " run " + file + " --plugin-path " +
                                     test::test_plugin_dir() + " --stats-json " + out + ".json");
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
