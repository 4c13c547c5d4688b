#include "sluice/testing/node_harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "packet_support.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

using test::at;

TEST(NodeHarness, LoadsByNameChecksParamsAndRuns) {
  auto h = NodeHarness::load("frame_to_detections", "", {test::test_plugin_dir()});
  EXPECT_EQ(h.contract().type, "frame_to_detections");
  ASSERT_TRUE(h.push(Input<Frame>{"in", ""}, Frame{}, at(0, 250)).ok());
  Packet out = h.pull(Output<Detections>{"out", ""});
  ASSERT_FALSE(out.empty());
  ASSERT_NE(out.get_if<Detections>(), nullptr);
  EXPECT_FLOAT_EQ(out.get_if<Detections>()->items.at(0).score, 0.25f);
  EXPECT_EQ(out.header().seq, 250);
  EXPECT_TRUE(h.pull("out").empty());
}

TEST(NodeHarness, BadParamsAndUnknownTypesAreClearErrors) {
  auto bad = NodeHarness::try_load("synthetic_source", "frames = -1");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("param 'frames' = -1 is out of range"));
  auto unknown = NodeHarness::try_load("pasthrough");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("did you mean 'passthrough'?"));
  EXPECT_THROW(NodeHarness::load("synthetic_source", "nope = 1"), std::runtime_error);
}

TEST(NodeHarness, MatchesSeveralInputsBeforeProcessing) {
  auto h = NodeHarness::load("zip_check", "", {test::test_plugin_dir()});
  ASSERT_TRUE(h.push("a", Packet::make(at(1, 5), Frame{})).ok());
  EXPECT_EQ(h.pending("out"), 0u);  // waits for b
  ASSERT_TRUE(h.push("b", Packet::make(at(1, 5), Frame{})).ok());
  EXPECT_EQ(h.pending("out"), 1u);
  EXPECT_FALSE(h.push("d", Packet::make(at(1, 5), Frame{})).ok());
}

// The harness queues inputs in the runner's Inbox: a packet whose frame another input has
// moved past is dropped and counted, as in a run, not an error.
TEST(NodeHarness, OutOfStepPacketsAreCountedDropsAsInARun) {
  auto h = NodeHarness::load("zip_check", "", {test::test_plugin_dir()});
  ASSERT_TRUE(h.push("a", Packet::make(at(1, 5), Frame{})).ok());
  ASSERT_TRUE(h.push("b", Packet::make(at(1, 6), Frame{})).ok());  // b is past frame 5
  EXPECT_EQ(h.pending("out"), 0u);
  EXPECT_EQ(h.unmatched(), 1);
  ASSERT_TRUE(h.push("a", Packet::make(at(1, 6), Frame{})).ok());
  EXPECT_EQ(h.pending("out"), 1u);
  // At close, what can never match is dropped too.
  ASSERT_TRUE(h.push("a", Packet::make(at(1, 7), Frame{})).ok());
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(h.unmatched(), 2);
}

// push_batch gives a batching node its sets in calls of up to max_batch, as a run does.
TEST(NodeHarness, PushBatchFeedsABatchingNodeUpToItsMaxBatch) {
  auto h = NodeHarness::load("batcher", "max_batch = 3", {test::test_plugin_dir()});
  std::vector<NodeHarness::InputSet> sets;
  for (int64_t seq = 0; seq < 7; ++seq)
    sets.push_back({{"in", Packet::make(at(static_cast<uint32_t>(seq % 2), seq), Frame{})}});
  ASSERT_TRUE(h.push_batch(sets).ok());
  EXPECT_EQ(h.counters().at("calls"), 3);  // 3 + 3 + 1
  EXPECT_EQ(h.counters().at("largest_batch"), 3);
  ASSERT_EQ(h.pending("out"), 7u);
  for (int64_t seq = 0; seq < 7; ++seq) EXPECT_EQ(h.pull("out").header().seq, seq);
}

TEST(NodeHarness, ASourcesStreamsStartAndEndAsInARunAndItHearsWhenTheyAreDone) {
  // Stream 0 is declared (it starts with the run); stream 1 starts with its first packet.
  auto h = NodeHarness::load("streams_source", "lengths = [2, 1]\ndeclared = 1",
                             {test::test_plugin_dir()});
  ASSERT_TRUE(h.run_source().ok());
  const auto& e = h.stream_events();
  ASSERT_EQ(e.size(), 4u);
  EXPECT_TRUE(e[0].started);
  EXPECT_EQ(e[0].stream.stream_id, 0u);
  EXPECT_TRUE(e[1].started);
  EXPECT_EQ(e[1].stream.stream_id, 1u);
  EXPECT_FALSE(e[2].started);  // stream 1 ended after its one frame
  EXPECT_EQ(e[2].stream.stream_id, 1u);
  EXPECT_EQ(e[2].stream.local_stream, 1u);
  EXPECT_EQ(e[2].stream.reason, "end");
  EXPECT_FALSE(e[3].started);
  EXPECT_EQ(e[3].stream.stream_id, 0u);
  EXPECT_EQ(h.pending("out"), 3u);  // the events are not packets
  ASSERT_TRUE(h.stream_done(e[2].stream).ok());
  EXPECT_EQ(h.counters().at("done_1"), 1);
}

TEST(NodeHarness, AStreamsEndReachesTheNodeAfterItsPackets) {
  test::TempDir dir;
  auto h = NodeHarness::load("stream_log", "path = \"" + dir.file("log") + "\"",
                             {test::test_plugin_dir()});
  ASSERT_TRUE(h.start_stream(4).ok());
  PacketHeader header;
  header.stream_id = 4;
  ASSERT_TRUE(h.push("in", Packet::make(header, Frame{})).ok());
  ASSERT_TRUE(h.end_stream(4, "removed").ok());
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(test::read_file(dir.file("log")), "start 4\nframe 4 0\nend 4 removed\n");
}

TEST(NodeHarness, ReportsWhatTheNodeThrows) {
  auto h = NodeHarness::load("fail", "at_frames = [2]\nhow = \"throw\"");
  EXPECT_TRUE(h.push("in", Packet::make(at(0, 1), Frame{})).ok());
  const Status s = h.push("in", Packet::make(at(0, 2), Frame{}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("process threw: failure injected"));
  EXPECT_EQ(h.pending("out"), 1u);
}

TEST(NodeHarness, PulledPacketsOutliveTheHarnessAndItsLibrary) {
  Packet kept;
  {
    auto h = NodeHarness::load("frame_to_detections", "", {test::test_plugin_dir()});
    ASSERT_TRUE(h.push("in", Packet::make(at(0, 1), Frame{})).ok());
    kept = h.pull("out");
  }
  // The payload's destructor is code of the plugin: the packet keeps that library loaded.
  ASSERT_NE(kept.get_if<Detections>(), nullptr);
  EXPECT_EQ(kept.get_if<Detections>()->items.size(), 1u);
  kept = Packet();
}

}  // namespace
}  // namespace sluice::testing
