// embedding and embedding_match through the NodeHarness: vectors and galleries worked out by
// hand, and every way a gallery file can be wrong.
#include "embedding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "embedding_match.h"
#include "sluice/testing/node_harness.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

using postprocessors::EmbeddingMatch;
using postprocessors::EmbeddingNode;
using ::testing::HasSubstr;

Tensor values(std::vector<float> v) {
  Tensor t = Tensor::zeros(DType::kFloat32, {1, static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.as<float>());
  return t;
}

TEST(Embedding, ASamplesValuesBecomeOneUnitVector) {
  auto h = NodeHarness::load("embedding");
  ASSERT_TRUE(h.push(EmbeddingNode::kIn, values({3.f, 0.f, -4.f})).ok());
  const Packet p = h.pull(EmbeddingNode::kOut);
  EXPECT_THAT(p.get_if<Embedding>()->values, ::testing::ElementsAre(0.6f, 0.f, -0.8f));
  // As they are, with normalize = false; any shape is one vector.
  auto raw = NodeHarness::load("embedding", "normalize = false\nsize = 4");
  Tensor t = Tensor::zeros(DType::kFloat32, {1, 2, 2});
  t.as<float>()[3] = 5;
  ASSERT_TRUE(raw.push(EmbeddingNode::kIn, t).ok());
  const Packet q = raw.pull(EmbeddingNode::kOut);
  EXPECT_THAT(q.get_if<Embedding>()->values, ::testing::ElementsAre(0.f, 0.f, 0.f, 5.f));
}

TEST(Embedding, BadOutputsAreErrorsThatSayWhatIsWrong) {
  auto h = NodeHarness::load("embedding", "size = 3");
  Status s = h.push(EmbeddingNode::kIn, values({1.f, 2.f}));
  EXPECT_THAT(s.message(), HasSubstr("the output [1, 2] holds 2 values, and size is 3"));
  s = h.push(EmbeddingNode::kIn, values({1.f, NAN, 2.f}));
  EXPECT_THAT(s.message(), HasSubstr("holds a non-finite value at 1"));
  s = h.push(EmbeddingNode::kIn, values({0.f, 0.f, 0.f}));
  EXPECT_THAT(s.message(), HasSubstr("is all zeros: it has no direction to normalise"));
  s = h.push(EmbeddingNode::kIn, Tensor::zeros(DType::kInt64, {3}));
  EXPECT_THAT(s.message(), HasSubstr("must be float32, not int64"));
}

class EmbeddingMatchTest : public ::testing::Test {
 protected:
  // A node reading `gallery` (JSON Lines) with `params` beside it.
  Result<NodeHarness> match(const std::string& gallery, const std::string& params) {
    const std::string path = dir_.write("gallery.jsonl", gallery);
    return NodeHarness::try_load("embedding_match", "gallery = \"" + path + "\"\n" + params);
  }
  static std::vector<Classification> top(NodeHarness& h, std::vector<float> v) {
    EXPECT_TRUE(h.push(EmbeddingMatch::kIn, Embedding{std::move(v)}).ok());
    const Packet p = h.pull(EmbeddingMatch::kOut);
    return p.get_if<Classifications>()->top;
  }
  static std::string error(const Result<NodeHarness>& r) {
    return r.ok() ? "(it opened)" : r.status().message();
  }
  sluice::test::TempDir dir_;
};

// Labels as they are, sorted (class ids: alice 0, bob 1), each with its nearest entry.
TEST_F(EmbeddingMatchTest, TheNearestLabelAboveTheThresholdMatches) {
  auto h = match(
      "{\"label\": \"bob\", \"embedding\": [0, 1, 0]}\n"
      "{\"label\": \"alice\", \"embedding\": [2, 0, 0]}\n"
      "\n"
      "{\"label\": \"alice\", \"embedding\": [0, 0, 5]}\n",
      "threshold = 0.5\ntop_k = 2");
  ASSERT_TRUE(h.ok()) << error(h);
  // cos to alice's first entry 0.8, to bob 0.6: both match, alice first.
  auto t = top(*h, {4, 3, 0});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].label, "alice");
  EXPECT_EQ(t[0].class_id, 0);
  EXPECT_NEAR(t[0].score, 0.8, 1e-6);
  EXPECT_EQ(t[1].label, "bob");
  EXPECT_EQ(t[1].class_id, 1);
  EXPECT_NEAR(t[1].score, 0.6, 1e-6);
  // alice's other entry is the nearest here (cos 0.8 against bob's 0.6); an embedding that
  // is not normalised is compared by its direction.
  t = top(*h, {0, 30, 40});
  EXPECT_EQ(t[0].label, "alice");
  EXPECT_NEAR(t[0].score, 0.8, 1e-6);
  // Below the threshold everywhere: unknown, with the best similarity there was (bob's 0.3).
  t = top(*h, {-9, 3, -9});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].label, "unknown");
  EXPECT_EQ(t[0].class_id, -1);
  EXPECT_NEAR(t[0].score, 3 / std::sqrt(171.0), 1e-6);
}

TEST_F(EmbeddingMatchTest, TopKAndTheUnknownLabelAreParams) {
  auto h = match(
      "{\"label\": \"a\", \"embedding\": [1, 0]}\n{\"label\": \"b\", \"embedding\": "
      "[0.8, 0.6]}\n",
      "threshold = 0.1\nunknown_label = \"stranger\"");
  ASSERT_TRUE(h.ok()) << error(h);
  EXPECT_EQ(top(*h, {1, 0}).size(), 1u);  // top_k = 1: b matches too, but only a is given
  EXPECT_EQ(top(*h, {-1, 0})[0].label, "stranger");
  // Equal similarities: the label that sorts first.
  auto tie = match(
      "{\"label\": \"z\", \"embedding\": [1, 1]}\n{\"label\": \"y\", \"embedding\": "
      "[1, -1]}\n",
      "threshold = 0");
  ASSERT_TRUE(tie.ok()) << error(tie);
  EXPECT_EQ(top(*tie, {1, 0})[0].label, "y");
}

// Centroid: a label scores with its entries' mean direction, not its nearest entry.
TEST_F(EmbeddingMatchTest, CentroidScoresALabelByItsEntriesMeanDirection) {
  const std::string gallery =
      "{\"label\": \"a\", \"embedding\": [1, 0, 0]}\n{\"label\": \"a\", \"embedding\": [0, 1, "
      "0]}\n{\"label\": \"b\", \"embedding\": [0.9, 0, 0.436]}\n";
  auto nearest = match(gallery, "threshold = 0");
  ASSERT_TRUE(nearest.ok()) << error(nearest);
  EXPECT_EQ(top(*nearest, {1, 0, 0})[0].label, "a");  // a's first entry is the query
  auto centroid = match(gallery, "threshold = 0\nreduce = \"centroid\"");
  ASSERT_TRUE(centroid.ok()) << error(centroid);
  const auto t = top(*centroid, {1, 0, 0});
  EXPECT_EQ(t[0].label, "b");  // b's 0.9 beats a's mean direction (0.707)
  // Entries that cancel out have no mean direction: an error only for centroid.
  const std::string opposite =
      "{\"label\": \"a\", \"embedding\": [1, 0]}\n{\"label\": \"a\", \"embedding\": [-1, 0]}\n";
  EXPECT_TRUE(match(opposite, "threshold = 0").ok());
  EXPECT_THAT(error(match(opposite, "threshold = 0\nreduce = \"centroid\"")),
              HasSubstr("the entries of 'a' cancel out"));
}

// What jsonl_sink writes over a folder of labelled images: labels from the image's path, the
// embedding from the line or from its one detection that has one; stream records left out.
TEST_F(EmbeddingMatchTest, AGalleryWrittenByJsonlSinkTakesLabelsFromTheImagePaths) {
  const std::string lines =
      "{\"stream\":0,\"event\":\"start\"}\n"
      "{\"stream\":0,\"seq\":0,\"source\":\"/g/alice/1.jpg\",\"detections\":[{\"box\":{},"
      "\"embedding\":[1,0]},{\"box\":{}}]}\n"
      "{\"stream\":0,\"seq\":1,\"source\":\"/g/bob/carol.png\",\"embedding\":[0,1]}\n"
      "{\"stream\":0,\"event\":\"end\",\"reason\":\"end\",\"lines\":2}\n";
  auto folder = match(lines, "threshold = 0.5");
  ASSERT_TRUE(folder.ok()) << error(folder);
  EXPECT_EQ(top(*folder, {1, 0})[0].label, "alice");
  EXPECT_EQ(top(*folder, {0, 1})[0].label, "bob");
  auto file = match(lines, "threshold = 0.5\nlabel_from = \"file\"");
  ASSERT_TRUE(file.ok()) << error(file);
  EXPECT_EQ(top(*file, {1, 0})[0].label, "1");
  EXPECT_EQ(top(*file, {0, 1})[0].label, "carol");
}

TEST_F(EmbeddingMatchTest, ABadGalleryFailsAtOpenNamingItsLine) {
  const auto fails = [&](const std::string& gallery, const std::string& expected) {
    EXPECT_THAT(error(match(gallery, "threshold = 0.5")), HasSubstr(expected)) << gallery;
  };
  const std::string ok_line = "{\"label\": \"a\", \"embedding\": [1, 0]}\n";
  fails(ok_line + "{\"label\": \"b\", \"embedding\": [1, 0, 0]}\n",
        "gallery.jsonl' line 2: the embedding has 3 values, line 1's 2: one model must make them "
        "all");
  fails(ok_line + "{\"label\": \"b\", \"embed", "line 2: not JSON: ");
  fails("[1, 2]\n", "line 1: not a JSON object");
  fails("{\"embedding\": [1, 0]}\n", "line 1: no \"label\" and no \"source\"");
  fails("{\"label\": 7, \"embedding\": [1, 0]}\n", "\"label\" is not a non-empty string");
  fails("{\"source\": \"alice.jpg\", \"embedding\": [1, 0]}\n",
        "source 'alice.jpg' gives no folder name for a label");
  fails("{\"label\": \"a\"}\n", "no \"embedding\" and no \"detections\"");
  fails("{\"label\": \"a\", \"embedding\": []}\n", "\"embedding\" is not a non-empty list");
  fails("{\"label\": \"a\", \"embedding\": [1, \"x\"]}\n", "\"embedding\" value 1 is not a number");
  fails("{\"label\": \"a\", \"embedding\": [1, 1e300]}\n", "\"embedding\" value 1 is not finite");
  fails("{\"label\": \"a\", \"embedding\": [0, 0]}\n", "line 1: the embedding is all zeros");
  fails("{\"label\": \"a\", \"detections\": []}\n",
        "0 detections, none with an \"embedding\" (was nothing found in the image");
  fails("{\"label\": \"a\", \"detections\": [{\"embedding\": [1]}, {\"embedding\": [2]}]}\n",
        "2 detections have an embedding: a gallery image must show one");
  fails("\n\n", "has no entries");
  EXPECT_THAT(error(NodeHarness::try_load("embedding_match",
                                          "gallery = \"/nonexistent/g.jsonl\"\nthreshold = 0.5")),
              HasSubstr("cannot open the gallery '/nonexistent/g.jsonl': No such file"));
  EXPECT_THAT(error(match(ok_line, "threshold = 1.5")), HasSubstr("threshold"));
  EXPECT_THAT(error(match(ok_line, "")), HasSubstr("threshold"));
}

TEST_F(EmbeddingMatchTest, AnEmbeddingOfAnotherLengthIsAnError) {
  auto h = match("{\"label\": \"a\", \"embedding\": [1, 0]}\n", "threshold = 0.5");
  ASSERT_TRUE(h.ok()) << error(h);
  Status s = h->push(EmbeddingMatch::kIn, Embedding{{1, 0, 0}});
  EXPECT_THAT(s.message(), HasSubstr("the embedding has 3 values, the gallery's 2: was the "
                                     "gallery made with another model?"));
  s = h->push(EmbeddingMatch::kIn, Embedding{{0, 0}});
  EXPECT_THAT(s.message(), HasSubstr("the embedding is all zeros or not finite"));
  s = h->push(EmbeddingMatch::kIn, Embedding{{NAN, 1}});  // from a plugin of another kind
  EXPECT_THAT(s.message(), HasSubstr("the embedding is all zeros or not finite"));
}

}  // namespace
}  // namespace sluice::testing
