// Every kind of pipeline error is found before anything runs, named with file:line:col,
// with the nearest valid name when one is close.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline.h"
#include "test_support.h"

namespace sluice::runtime {
namespace {

using ::testing::HasSubstr;

class Validation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new PluginRegistry();
    const auto loaded =
        registry_->load_dirs({PluginRegistry::default_plugin_dir(), test::test_plugin_dir("good")});
    if (!loaded.ok()) suite_error_ = "loading the plugins failed: " + loaded.message();
  }
  void SetUp() override { ASSERT_EQ(suite_error_, "") << "the suite's set-up failed"; }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }

  // Validates `text`; returns the diagnostics as lines ("" when valid).
  std::string check(const std::string& text, Pipeline* out = nullptr) {
    Diagnostics d;
    auto spec = load_pipeline_text(text, "p.toml", "/pipes", {}, d);
    if (spec.ok()) {
      auto p = validate(*spec, *registry_, d);
      if (p.ok() && out) *out = std::move(*p);
      EXPECT_EQ(p.ok(), d.empty());
    }
    std::string lines;
    for (const auto& x : d) lines += x.to_string() + "\n";
    return lines;
  }

  static PluginRegistry* registry_;
  static std::string suite_error_;
};
PluginRegistry* Validation::registry_ = nullptr;
std::string Validation::suite_error_;

TEST_F(Validation, TopologicalOrderAndResolvedTypes) {
  Pipeline p;
  ASSERT_EQ(check(R"([pipeline]
links = ["det -> pass -> sink", "src -> det"]
[nodes.sink]
plugin = "detections_sink"
[nodes.pass]
plugin = "passthrough"
[nodes.det]
plugin = "frame_to_detections"
[nodes.src]
plugin = "synthetic_source"
frames = 5
)",
                  &p),
            "");
  ASSERT_EQ(p.nodes.size(), 4u);
  EXPECT_EQ(p.nodes[0].name, "src");
  EXPECT_EQ(p.nodes[1].name, "det");
  EXPECT_EQ(p.nodes[2].name, "pass");
  EXPECT_EQ(p.nodes[2].output_types[0], "Detections");  // passthrough takes its input's type
  EXPECT_EQ(p.nodes[3].name, "sink");
  EXPECT_EQ(p.name, "p");  // no name: the file's stem
  EXPECT_EQ(p.nodes[0].params.get(Param<int64_t>{"frames"}), 5);
  EXPECT_EQ(p.nodes[0].params.get(Param<int>{"width"}), 64);  // default filled in
}

TEST_F(Validation, UnknownPluginSuggestsTheNearest) {
  EXPECT_EQ(check("[pipeline]\n[nodes.a]\nplugin = \"passthru\"\n"),
            "p.toml:3:10: node 'a': unknown plugin 'passthru'; did you mean 'passthrough'?\n");
}

TEST_F(Validation, UnknownParamSuggestsTheNearest) {
  EXPECT_THAT(
      check("[pipeline]\nlinks=[\"a -> b\"]\n[nodes.a]\nplugin = \"synthetic_source\"\nframez = 3\n"
            "[nodes.b]\nplugin = \"null_sink\"\n"),
      HasSubstr("p.toml:5:10: node 'a' (synthetic_source) has no param 'framez'; did you mean "
                "'frames'?"));
}

TEST_F(Validation, WrongTypeAndOutOfRangeAndChoices) {
  const std::string out = check(R"([pipeline]
links = ["a -> f -> b"]
[nodes.a]
plugin = "synthetic_source"
frames = "ten"
width = 2.5
fps = -1
[nodes.f]
plugin = "fail"
how = "thrown"
at_frames = [1, -2]
[nodes.b]
plugin = "count_sink"
print = 1
)");
  EXPECT_THAT(
      out, HasSubstr("p.toml:5:10: node 'a': param 'frames' takes a int, not a string (\"ten\")"));
  EXPECT_THAT(out, HasSubstr("p.toml:6:9: node 'a': param 'width' takes a int, not a float"));
  EXPECT_THAT(
      out,
      HasSubstr(
          "p.toml:7:7: node 'a': param 'fps' = -1 is out of range: it must be from 0 to 1000000"));
  EXPECT_THAT(
      out,
      HasSubstr(
          "p.toml:10:7: node 'f': param 'how' = \"thrown\" is not one of \"status\", \"throw\"; "
          "did you mean 'throw'?"));
  EXPECT_THAT(out, HasSubstr("p.toml:11:13: node 'f': param 'at_frames' = -2 is out of range"));
  EXPECT_THAT(out, HasSubstr("p.toml:14:9: node 'b': param 'print' takes a bool, not a integer"));
}

TEST_F(Validation, IntegersAreAcceptedForFloatParams) {
  EXPECT_EQ(
      check("[pipeline]\nlinks=[\"a -> b\"]\n[nodes.a]\nplugin = \"synthetic_source\"\nfps = 30\n"
            "[nodes.b]\nplugin = \"null_sink\"\n"),
      "");
}

TEST_F(Validation, UnknownNodeAndPortInLinks) {
  const std::string out = check(R"([pipeline]
links = ["src -> pss", "src.output -> sink", "src -> zip.d"]
[nodes.src]
plugin = "synthetic_source"
[nodes.pass]
plugin = "passthrough"
[nodes.sink]
plugin = "null_sink"
[nodes.zip]
plugin = "zip_check"
)");
  EXPECT_THAT(out, HasSubstr("p.toml:2:10: link names unknown node 'pss'; did you mean 'pass'?"));
  EXPECT_THAT(out, HasSubstr("p.toml:2:24: node 'src' (synthetic_source) has no output 'output'; "
                             "did you mean 'out'?"));
  EXPECT_THAT(out, HasSubstr("node 'zip' (zip_check) has no input 'd'"));
}

TEST_F(Validation, AmbiguousOrImpossibleDefaultPorts) {
  const std::string out = check(R"([pipeline]
links = ["src -> zip", "sink -> src"]
[nodes.src]
plugin = "synthetic_source"
[nodes.zip]
plugin = "zip_check"
[nodes.sink]
plugin = "null_sink"
)");
  EXPECT_THAT(out, HasSubstr("node 'zip' (zip_check) has inputs a, b, c: name one, as zip.a"));
  EXPECT_THAT(
      out, HasSubstr("node 'sink' (null_sink) has no outputs, so it cannot be linked from here"));
  EXPECT_THAT(
      out,
      HasSubstr("node 'src' (synthetic_source) has no inputs, so it cannot be linked to here"));
}

TEST_F(Validation, IncompatiblePayloadTypesAcrossALink) {
  EXPECT_THAT(
      check(R"([pipeline]
links = ["src -> sink"]
[nodes.src]
plugin = "synthetic_source"
[nodes.sink]
plugin = "detections_sink"
)"),
      HasSubstr("p.toml:2:10: link src.out -> sink.in: src sends Frame but sink takes Detections"));
  // Through a passthrough, the type is still known.
  EXPECT_THAT(check(R"([pipeline]
links = ["src -> pass -> sink"]
[nodes.src]
plugin = "synthetic_source"
[nodes.pass]
plugin = "passthrough"
[nodes.sink]
plugin = "detections_sink"
)"),
              HasSubstr("link pass.out -> sink.in: pass sends Frame but sink takes Detections"));
}

TEST_F(Validation, UnconnectedRequiredInput) {
  EXPECT_THAT(check(R"([pipeline]
links = ["src -> zip.a", "zip -> sink"]
[nodes.src]
plugin = "synthetic_source"
[nodes.zip]
plugin = "zip_check"
[nodes.sink]
plugin = "null_sink"
)"),
              HasSubstr("p.toml:5:1: input 'b' of node 'zip' (zip_check) is not connected"));
}

TEST_F(Validation, ANodeWithOnlyOptionalInputsNeedsOneConnected) {
  // A node none of whose inputs is connected would never run; this matters most for sinks
  // whose inputs are all optional (draw whichever of frame, detections, mask is linked).
  EXPECT_THAT(
      check(R"([pipeline]
links = ["zip -> sink"]
[nodes.zip]
plugin = "zip_check"
[nodes.sink]
plugin = "null_sink"
)"),
      HasSubstr("node 'zip' (zip_check) has none of its inputs connected (it would never run)"));
}

TEST_F(Validation, CyclesAreFound) {
  EXPECT_THAT(check(R"([pipeline]
links = ["src -> zip.a", "zip -> p1 -> p2 -> zip.b", "p2 -> sink"]
[nodes.src]
plugin = "synthetic_source"
[nodes.zip]
plugin = "zip_check"
[nodes.p1]
plugin = "passthrough"
[nodes.p2]
plugin = "passthrough"
[nodes.sink]
plugin = "null_sink"
)"),
              HasSubstr("links form a cycle through nodes zip, p1, p2"));
}

TEST_F(Validation, QueuesReplicasAndUnlinkedNodes) {
  const std::string out = check(R"([pipeline]
links = ["src -> count"]
[nodes.src]
plugin = "synthetic_source"
queue = { capacity = 4 }
replicas = 2
[nodes.count]
plugin = "count_sink"
replicas = 2
queues = { inn = { capacity = 2 } }
[nodes.lonely]
plugin = "passthrough"
)");
  EXPECT_THAT(out, HasSubstr("node 'src' (synthetic_source) has no inputs, so it takes no queue"));
  EXPECT_THAT(out, HasSubstr("node 'count' (count_sink) has no input 'inn'; did you mean 'in'?"));
  EXPECT_THAT(
      out,
      HasSubstr(
          "node 'count': count_sink keeps state between packets, so it cannot run as replicas"));
  EXPECT_THAT(out, HasSubstr("node 'src': a source cannot run as replicas"));
  EXPECT_THAT(out, HasSubstr("node 'lonely' is not linked to anything"));
}

TEST_F(Validation, PathParamsResolveAgainstThePipelineFolder) {
  Pipeline p;
  ASSERT_EQ(check(R"([pipeline]
links = ["src -> a", "src -> b", "src -> c"]
[nodes.src]
plugin = "synthetic_source"
[nodes.a]
plugin = "count_sink"
path = "out/counts.json"
[nodes.b]
plugin = "count_sink"
path = "/abs/counts.json"
[nodes.c]
plugin = "count_sink"
)",
                  &p),
            "");
  auto path_of = [&](const std::string& name) {
    for (const auto& n : p.nodes)
      if (n.name == name) return n.params.get(Param<std::string>{"path"});
    return std::string("?");
  };
  EXPECT_EQ(path_of("a"), "/pipes/out/counts.json");
  EXPECT_EQ(path_of("b"), "/abs/counts.json");
  EXPECT_EQ(path_of("c"), "");
}

}  // namespace
}  // namespace sluice::runtime
