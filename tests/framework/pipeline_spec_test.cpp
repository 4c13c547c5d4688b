#include "pipeline_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace sluice::runtime {
namespace {

using ::testing::HasSubstr;

Result<PipelineSpec> load(const std::string& text, Diagnostics& d,
                          const std::vector<Override>& o = {}) {
  return load_pipeline_text(text, "p.toml", "/data/pipes", o, d);
}

std::string all(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d) out += x.to_string() + "\n";
  return out;
}

TEST(LinkChain, ChainsPortsAndMiddlePorts) {
  Diagnostics d;
  auto links = parse_link_chain("a -> b.x -> c", {"p.toml", 3, 5}, d);
  ASSERT_TRUE(d.empty()) << all(d);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].from.node, "a");
  EXPECT_EQ(links[0].to.node, "b");
  EXPECT_EQ(links[0].to.port, "x");
  EXPECT_EQ(links[1].from.node, "b");
  EXPECT_EQ(links[1].from.port, "");  // b leaves by its default output
  EXPECT_EQ(links[1].to.node, "c");

  links = parse_link_chain("det.out -> overlay.detections", {"p.toml", 1, 1}, d);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].from.port, "out");
  EXPECT_EQ(links[0].to.port, "detections");
}

TEST(LinkChain, MalformedLinksAreErrorsWithLocation) {
  for (const char* bad : {"a", "a -> ", "-> b", "a -> b c", "a.b.c -> d", "a -> -> b"}) {
    Diagnostics d;
    EXPECT_TRUE(parse_link_chain(bad, {"p.toml", 4, 7}, d).empty()) << bad;
    ASSERT_EQ(d.size(), 1u) << bad;
    EXPECT_EQ(d[0].to_string().rfind("p.toml:4:7: ", 0), 0u) << d[0].to_string();
  }
}

TEST(PipelineSpec, ReadsPipelineNodesAndFrameworkKeys) {
  Diagnostics d;
  auto spec = load(R"(
[pipeline]
name = "demo"
links = ["src -> slow -> out"]
plugin_path = ["../plugins", "/abs"]

[nodes.src]
plugin = "synthetic_source"
frames = 10
size = [640, 480]
scale = 0.5
names = ["a", "b"]

[nodes.slow]
plugin = "delay"
queue = { capacity = 2, overflow = "drop_oldest" }
queues = { in = { capacity = 3 } }
on_error = "skip"
replicas = 3

[nodes.out]
plugin = "null_sink"
)",
                   d);
  ASSERT_TRUE(spec.ok()) << all(d);
  EXPECT_EQ(spec->name, "demo");
  EXPECT_EQ(spec->plugin_path, (std::vector<std::string>{"/data/plugins", "/abs"}));
  ASSERT_EQ(spec->nodes.size(), 3u);
  EXPECT_EQ(spec->nodes[0].name, "src");  // file order
  EXPECT_EQ(std::get<int64_t>(spec->nodes[0].params.at("frames").value), 10);
  EXPECT_EQ(std::get<std::vector<int64_t>>(spec->nodes[0].params.at("size").value),
            (std::vector<int64_t>{640, 480}));
  EXPECT_EQ(std::get<double>(spec->nodes[0].params.at("scale").value), 0.5);
  EXPECT_EQ(spec->nodes[0].params.at("frames").where.line, 9);
  const NodeSpec& slow = spec->nodes[1];
  ASSERT_TRUE(slow.queue.has_value());
  EXPECT_EQ(slow.queue->capacity, 2);
  EXPECT_EQ(slow.queue->overflow, Overflow::kDropOldest);
  EXPECT_EQ(slow.port_queues.at("in").first.capacity, 3);
  EXPECT_EQ(slow.on_error, OnError::kSkip);
  EXPECT_EQ(slow.replicas, 3);
  EXPECT_TRUE(slow.params.empty());
  EXPECT_EQ(spec->links.size(), 2u);
}

TEST(PipelineSpec, InvalidTomlNamesLineAndColumn) {
  Diagnostics d;
  auto spec = load("[pipeline]\nname = \"x\"\n[nodes.a]\nplugin = \"passthrough\nframes = 3\n", d);
  EXPECT_FALSE(spec.ok());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_THAT(d[0].to_string(), HasSubstr("p.toml:4:"));
  EXPECT_THAT(d[0].message, HasSubstr("invalid TOML"));
}

TEST(PipelineSpec, DuplicateNodeIsAnError) {
  Diagnostics d;
  auto spec =
      load("[pipeline]\n[nodes.a]\nplugin = \"passthrough\"\n[nodes.a]\nplugin = \"delay\"\n", d);
  EXPECT_FALSE(spec.ok());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_THAT(d[0].to_string(), HasSubstr("p.toml:4:"));
  EXPECT_THAT(d[0].message, HasSubstr("duplicate"));
}

TEST(PipelineSpec, BadFrameworkKeysAreErrorsWithSuggestions) {
  Diagnostics d;
  auto spec = load(R"([pipeline]
linkz = []
[nodes.a]
plugin = "passthrough"
queue = { capacity = 0, overflow = "drop_olde" }
on_error = "skp"
replicas = 0
[nodes.b]
frames = 1
)",
                   d);
  EXPECT_FALSE(spec.ok());
  const std::string text = all(d);
  EXPECT_THAT(text,
              HasSubstr("p.toml:2:9: unknown key 'linkz' in [pipeline]; did you mean 'links'?"));
  EXPECT_THAT(text, HasSubstr("capacity must be an integer from 1 to 1000000"));
  EXPECT_THAT(text, HasSubstr("did you mean 'drop_oldest'?"));
  EXPECT_THAT(text, HasSubstr("on_error must be \"fail\" or \"skip\"; did you mean 'skip'?"));
  EXPECT_THAT(text, HasSubstr("replicas must be an integer from 1 to 256"));
  EXPECT_THAT(text, HasSubstr("node 'b' has no plugin"));
}

TEST(PipelineSpec, EnvironmentVariablesExpand) {
  setenv("SLUICE_TEST_FRAMES_FILE", "clip.mp4", 1);
  unsetenv("SLUICE_TEST_UNSET");
  Diagnostics d;
  auto spec = load(R"([pipeline]
[nodes.a]
plugin = "x"
uri = "media/${SLUICE_TEST_FRAMES_FILE}"
other = "${SLUICE_TEST_UNSET:-fallback}"
)",
                   d);
  ASSERT_TRUE(spec.ok()) << all(d);
  EXPECT_EQ(std::get<std::string>(spec->nodes[0].params.at("uri").value), "media/clip.mp4");
  EXPECT_EQ(std::get<std::string>(spec->nodes[0].params.at("other").value), "fallback");

  Diagnostics d2;
  EXPECT_FALSE(
      load("[pipeline]\n[nodes.a]\nplugin = \"x\"\nuri = \"${SLUICE_TEST_UNSET}\"\n", d2).ok());
  ASSERT_EQ(d2.size(), 1u);
  EXPECT_THAT(d2[0].to_string(),
              HasSubstr("p.toml:4:7: environment variable 'SLUICE_TEST_UNSET' is not set"));
}

TEST(PipelineSpec, OverridesSetValuesAsTomlOrText) {
  Diagnostics d;
  auto spec = load("[pipeline]\n[nodes.a]\nplugin = \"x\"\nframes = 3\n", d,
                   {{"nodes.a.frames=10"},
                    {"nodes.a.uri=media/other clip.mp4"},
                    {"nodes.a.size=[1, 2]"},
                    {"pipeline.name=renamed"}});
  ASSERT_TRUE(spec.ok()) << all(d);
  EXPECT_EQ(spec->name, "renamed");
  EXPECT_EQ(std::get<int64_t>(spec->nodes[0].params.at("frames").value), 10);
  EXPECT_EQ(std::get<std::string>(spec->nodes[0].params.at("uri").value), "media/other clip.mp4");
  EXPECT_EQ(std::get<std::vector<int64_t>>(spec->nodes[0].params.at("size").value),
            (std::vector<int64_t>{1, 2}));

  Diagnostics bad;
  EXPECT_FALSE(
      load("[pipeline]\n[nodes.abc]\nplugin = \"x\"\n", bad, {{"nodes.abd.frames=1"}, {"frames"}})
          .ok());
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_THAT(bad[0].to_string(), HasSubstr("no node 'abd' in the pipeline; did you mean 'abc'?"));
  EXPECT_THAT(bad[1].to_string(), HasSubstr("expected KEY=VALUE"));
}

TEST(PipelineSpec, MissingFileIsAnError) {
  Diagnostics d;
  EXPECT_FALSE(load_pipeline_file("/nonexistent/x.toml", {}, d).ok());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].to_string(), "/nonexistent/x.toml: cannot read the pipeline file: no such file");
  Diagnostics d2;
  EXPECT_FALSE(load_pipeline_file("/tmp", {}, d2).ok());
  ASSERT_EQ(d2.size(), 1u);
}

}  // namespace
}  // namespace sluice::runtime
