// validate()'s phases one at a time (validation_phases.h), on node types made here, so each
// phase is checked without the phases before it or a plugin. validation_test.cpp checks the
// whole of validate() on real plugins.
#include "validation_phases.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework_keys.h"
#include "param_check.h"

namespace sluice::runtime {
namespace {

using ::testing::HasSubstr;

PortSpec port(std::string name, std::string type, bool required = true,
              std::string same_type_as = "") {
  PortSpec p;
  p.name = std::move(name);
  p.type = std::move(type);
  p.required = required;
  p.same_type_as = std::move(same_type_as);
  return p;
}

NodeType node_type(std::string name, std::vector<PortSpec> inputs, std::vector<PortSpec> outputs) {
  NodeType t;
  t.contract.type = std::move(name);
  t.contract.inputs = std::move(inputs);
  t.contract.outputs = std::move(outputs);
  return t;
}

// A pipeline of named nodes of the given types, as resolve_nodes would leave it.
class Phases : public ::testing::Test {
 protected:
  const NodeType source = node_type("src", {}, {port("out", "Frame")});
  const NodeType pass = node_type("pass", {port("in", "Any")}, {port("out", "Any", true, "in")});
  const NodeType detections = node_type("dets", {port("in", "Detections")}, {});
  const NodeType zip =
      node_type("zip", {port("a", "Frame"), port("b", "Frame"), port("c", "Frame", false)}, {});

  ValidationState& with_nodes(const std::vector<std::pair<std::string, const NodeType*>>& nodes) {
    for (const auto& [name, type] : nodes) {
      NodeSpec ns;
      ns.name = name;
      ns.where = {"p.toml", static_cast<int>(spec_.nodes.size()) + 1, 1};
      spec_.nodes.push_back(ns);
      PipelineNode n;
      n.name = name;
      n.type = type;
      n.input_connected.assign(type->contract.inputs.size(), false);
      for (const auto& o : type->contract.outputs) n.output_types.push_back(o.type);
      state_.index_of[name] = static_cast<int>(state_.nodes.size());
      state_.nodes.push_back(std::move(n));
    }
    return state_;
  }
  void link(const std::string& from, const std::string& to) {
    Diagnostics d;
    for (auto& l : parse_link_chain(from + " -> " + to, {"p.toml", 99, 1}, d))
      spec_.links.push_back(l);
  }
  std::string messages() const {
    std::string out;
    for (const auto& d : diagnostics_) out += d.to_string() + "\n";
    return out;
  }

  PipelineSpec spec_;
  Diagnostics diagnostics_;
  ValidationState state_{spec_, diagnostics_};
};

TEST_F(Phases, LinksTakeTheDefaultPortAndNameWhatIsWrong) {
  auto& v = with_nodes({{"cam", &source}, {"z", &zip}, {"d", &detections}});
  link("cam", "z.a");
  link("cam", "z.b");
  link("cam", "z");  // two required inputs: no default
  link("cam", "z.x");
  link("cam", "z.a");  // again
  link("cam", "nowhere");
  EXPECT_FALSE(resolve_links(v));
  EXPECT_EQ(v.edges.size(), 2u);
  EXPECT_TRUE(v.nodes[1].input_connected[0] && v.nodes[1].input_connected[1]);
  EXPECT_THAT(messages(), HasSubstr("node 'z' (zip) has inputs a, b, c: name one, as z.a"));
  EXPECT_THAT(messages(), HasSubstr("node 'z' (zip) has no input 'x'"));
  EXPECT_THAT(messages(), HasSubstr("link cam -> z is given twice"));
  EXPECT_THAT(messages(), HasSubstr("link names unknown node 'nowhere'"));
}

TEST_F(Phases, ConnectionsNeedEveryRequiredInputAndEveryNodeLinked) {
  auto& v = with_nodes({{"cam", &source}, {"z", &zip}, {"alone", &detections}});
  link("cam", "z.a");
  ASSERT_TRUE(resolve_links(v));
  check_connections(v);
  EXPECT_THAT(messages(), HasSubstr("p.toml:2:1: input 'b' of node 'z' (zip) is not connected"));
  EXPECT_THAT(messages(), ::testing::Not(HasSubstr("input 'c'")));  // optional
  EXPECT_THAT(messages(), HasSubstr("p.toml:3:1: node 'alone' is not linked to anything"));
}

TEST_F(Phases, OrderIsTopologicalWithFileOrderAmongEquals) {
  auto& v = with_nodes({{"p2", &pass}, {"p1", &pass}, {"cam", &source}, {"d", &detections}});
  link("cam", "p1");
  link("p1", "p2");
  link("p2", "d");
  ASSERT_TRUE(resolve_links(v));
  ASSERT_TRUE(order_nodes(v));
  EXPECT_EQ(v.order, (std::vector<int>{2, 1, 0, 3}));
  const Pipeline p = renumbered(v);
  ASSERT_EQ(p.nodes.size(), 4u);
  EXPECT_EQ(p.nodes[0].name, "cam");
  EXPECT_EQ(p.nodes[3].name, "d");
  for (const Edge& e : p.edges) EXPECT_LT(e.from_node, e.to_node) << "producers first";
}

TEST_F(Phases, ACycleIsNamed) {
  auto& v = with_nodes({{"cam", &source}, {"a", &pass}, {"b", &pass}});
  link("cam", "a");
  link("a", "b");
  link("b", "a");  // a's input is then linked twice: allowed, and a cycle
  ASSERT_TRUE(resolve_links(v));
  EXPECT_FALSE(order_nodes(v));
  EXPECT_THAT(messages(), HasSubstr("links form a cycle through nodes a, b"));
}

TEST_F(Phases, AnyOutputsTakeTheirInputsTypeAndLinksAreTypeChecked) {
  auto& v = with_nodes({{"cam", &source}, {"p", &pass}, {"d", &detections}});
  link("cam", "p");
  link("p", "d");
  ASSERT_TRUE(resolve_links(v));
  ASSERT_TRUE(order_nodes(v));
  check_types(v);
  EXPECT_EQ(v.nodes[1].output_types[0], "Frame");
  EXPECT_THAT(messages(), HasSubstr("p.toml:99:1: link p.out -> d.in: p sends Frame but d takes "
                                    "Detections"));
}

TEST(FrameworkKeys, TheFileReaderTakesEveryOneAndTheParamCheckSuggestsThem) {
  for (const FrameworkKey& key : kFrameworkKeys) {
    Diagnostics d;
    const std::string plugin = key.name == "plugin" ? "" : "plugin = \"x\"\n";
    auto spec = load_pipeline_text(
        "[pipeline]\nlinks = []\n[nodes.a]\n" + plugin + std::string(key.example) + "\n", "p.toml",
        "/", {}, d);
    ASSERT_TRUE(spec.ok()) << key.name << ": " << (d.empty() ? "" : d[0].to_string());
    EXPECT_EQ(spec->nodes[0].params.count(std::string(key.name)), 0u)
        << key.name << " was read as a param, not as a framework key";
  }
  Contract c;
  c.type = "t";
  std::map<std::string, ParamSetting> settings{{"replica", {int64_t{2}, "integer", {}}}};
  Diagnostics d;
  EXPECT_FALSE(check_params("a", c, settings, "/", {}, d).ok());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_THAT(d[0].message, HasSubstr("has no param 'replica'; did you mean 'replicas'?"));
}

}  // namespace
}  // namespace sluice::runtime
