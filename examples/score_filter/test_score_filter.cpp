// Unit tests of the score_filter plugin through sluice's NodeHarness: the node is loaded
// by name through the real plugin loader and contract check, as a pipeline would load it.
// SCORE_FILTER_PLUGIN_DIR (set by CMakeLists.txt) is the folder holding sluice_score_filter.so.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sluice/sluice.h"
#include "sluice/testing/node_harness.h"

namespace {

using sluice::testing::NodeHarness;

const std::vector<std::string> kPluginPath{SCORE_FILTER_PLUGIN_DIR};

// Ports by name, as the node declares them (the test does not include the node's code).
const sluice::Input<sluice::Detections> kIn{"in", ""};
const sluice::Output<sluice::Detections> kOut{"out", ""};

sluice::Detections with_scores(const std::vector<float>& scores) {
  sluice::Detections dets;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    sluice::Detection d;
    d.score = scores[i];
    d.class_id = static_cast<int>(i);
    dets.items.push_back(d);
  }
  return dets;
}

std::vector<float> scores_of(const sluice::Packet& p) {
  std::vector<float> out;
  const auto* dets = p.get_if<sluice::Detections>();
  if (!dets) {
    ADD_FAILURE() << "no Detections packet (type '" << p.type() << "')";
    return out;
  }
  for (const auto& d : dets->items) out.push_back(d.score);
  return out;
}

// Runs one packet with `scores` through a score_filter opened with `params`.
std::vector<float> filter(const std::string& params, const std::vector<float>& scores) {
  auto h = NodeHarness::load("score_filter", params, kPluginPath);
  EXPECT_TRUE(h.push(kIn, with_scores(scores)).ok());
  EXPECT_EQ(h.pending("out"), 1u);
  return scores_of(h.pull(kOut));
}

TEST(ScoreFilter, ContractIsAsDeclared) {
  auto h = NodeHarness::load("score_filter", "", kPluginPath);
  const sluice::Contract& c = h.contract();
  EXPECT_EQ(c.kind, sluice::NodeKind::kPostprocessor);
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.inputs[0].type, "Detections");
  ASSERT_EQ(c.outputs.size(), 1u);
  EXPECT_EQ(c.outputs[0].type, "Detections");
  ASSERT_NE(c.find_param("min_score"), nullptr);
  EXPECT_EQ(c.find_param("min_score")->type, sluice::ParamType::kFloat);
  ASSERT_NE(c.find_param("top_k"), nullptr);
  EXPECT_EQ(c.find_param("top_k")->type, sluice::ParamType::kInt);
}

TEST(ScoreFilter, KeepsScoresAtLeastMinScoreBestFirst) {
  EXPECT_EQ(filter("min_score = 0.5", {0.4f, 0.95f, 0.1f, 0.7f, 0.5f}),
            (std::vector<float>{0.95f, 0.7f, 0.5f}));
}

TEST(ScoreFilter, DefaultsAreMinScoreHalfTopK100) {
  std::vector<float> many(150, 0.9f);
  many.push_back(0.49f);
  EXPECT_EQ(filter("", many).size(), 100u);
}

TEST(ScoreFilter, TopKKeepsTheBest) {
  EXPECT_EQ(filter("min_score = 0.0\ntop_k = 2", {0.3f, 0.8f, 0.1f, 0.9f, 0.5f}),
            (std::vector<float>{0.9f, 0.8f}));
}

TEST(ScoreFilter, EqualScoresKeepInputOrder) {
  auto h = NodeHarness::load("score_filter", "min_score = 0.1", kPluginPath);
  ASSERT_TRUE(h.push(kIn, with_scores({0.5f, 0.9f, 0.5f, 0.5f})).ok());
  const auto out = h.pull(kOut);
  const auto* dets = out.get_if<sluice::Detections>();
  ASSERT_NE(dets, nullptr);
  std::vector<int> ids;
  for (const auto& d : dets->items) ids.push_back(d.class_id);
  EXPECT_EQ(ids, (std::vector<int>{1, 0, 2, 3}));
}

TEST(ScoreFilter, EmptyInputGivesEmptyOutput) {
  EXPECT_TRUE(filter("min_score = 0.5", {}).empty());
  EXPECT_TRUE(filter("min_score = 1.0", {0.99f}).empty());
}

TEST(ScoreFilter, KeepsTheHeader) {
  auto h = NodeHarness::load("score_filter", "", kPluginPath);
  sluice::PacketHeader header;
  header.stream_id = 3;
  header.seq = 42;
  ASSERT_TRUE(h.push(kIn, with_scores({0.9f}), header).ok());
  const auto out = h.pull(kOut);
  EXPECT_EQ(out.header().stream_id, 3u);
  EXPECT_EQ(out.header().seq, 42);
}

TEST(ScoreFilter, RejectsMinScoreOutOfRange) {
  auto h = NodeHarness::try_load("score_filter", "min_score = 2.0", kPluginPath);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), sluice::StatusCode::kInvalidArgument);
  EXPECT_NE(h.status().message().find("min_score"), std::string::npos) << h.status().message();
  EXPECT_THROW(NodeHarness::load("score_filter", "min_score = 2.0", kPluginPath),
               std::runtime_error);
}

TEST(ScoreFilter, RejectsTopKOutOfRangeAndUnknownParams) {
  auto zero = NodeHarness::try_load("score_filter", "top_k = 0", kPluginPath);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("top_k"), std::string::npos) << zero.status().message();
  auto typo = NodeHarness::try_load("score_filter", "min_scor = 0.5", kPluginPath);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("min_scor"), std::string::npos) << typo.status().message();
}

TEST(FakeDetections, EmitsFramesPacketsWithTheGivenScores) {
  auto h = NodeHarness::load("fake_detections", "frames = 3\nscores = [0.2, 0.8]", kPluginPath);
  ASSERT_TRUE(h.run_source().ok());
  ASSERT_EQ(h.pending("out"), 3u);
  for (int64_t seq = 0; seq < 3; ++seq) {
    const auto p = h.pull("out");
    EXPECT_EQ(p.header().seq, seq);
    EXPECT_EQ(scores_of(p), (std::vector<float>{0.2f, 0.8f}));
  }
}

TEST(FakeDetections, FeedsScoreFilter) {
  auto src = NodeHarness::load("fake_detections", "frames = 2", kPluginPath);  // default scores
  auto keep = NodeHarness::load("score_filter", "min_score = 0.5\ntop_k = 1", kPluginPath);
  ASSERT_TRUE(src.run_source().ok());
  while (src.pending("out") > 0) ASSERT_TRUE(keep.push("in", src.pull("out")).ok());
  ASSERT_EQ(keep.pending("out"), 2u);
  EXPECT_EQ(scores_of(keep.pull(kOut)), (std::vector<float>{0.95f}));
  EXPECT_EQ(scores_of(keep.pull(kOut)), (std::vector<float>{0.95f}));
}

}  // namespace
