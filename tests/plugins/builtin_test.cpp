// The built-in plugins, each through the NodeHarness (real loader, real contract check).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "count_sink.h"
#include "delay.h"
#include "fail.h"
#include "null_sink.h"
#include "packet_support.h"
#include "passthrough.h"
#include "sluice/testing/node_harness.h"
#include "synthetic_source.h"
#include "test_support.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

using test::at;

TEST(SyntheticSource, EmitsInterleavedStreamsWithPatternAndEnds) {
  auto h = NodeHarness::load("synthetic_source", "frames = 3\nstreams = 2\nwidth = 8\nheight = 4");
  ASSERT_TRUE(h.run_source().ok());
  ASSERT_EQ(h.pending(builtin::SyntheticSource::kOut.name), 6u);
  for (int i = 0; i < 6; ++i) {
    Packet p = h.pull(builtin::SyntheticSource::kOut);
    const Frame* f = p.get_if<Frame>();
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(p.header().stream_id, static_cast<uint32_t>(i % 2));
    EXPECT_EQ(p.header().seq, i / 2);
    EXPECT_EQ(f->image.cols, 8);
    EXPECT_EQ(f->image.rows, 4);
    EXPECT_EQ(f->image.at<cv::Vec3b>(0, 0)[0],
              (p.header().seq * 7 + p.header().stream_id * 50) % 256);
    EXPECT_GT(p.header().created_ns, 0);
    // A source's frame is its own source frame (later stages draw on it).
    EXPECT_EQ(p.header().source_frame.get(), f);
  }
}

TEST(SyntheticSource, EmptyFramesAndPacing) {
  auto h = NodeHarness::load("synthetic_source", "frames = 5\nwidth = 0\nfps = 100");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(h.run_source().ok());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(s, 0.035);  // frames 0..4 at 100 fps: the last is due at 40 ms
  Packet p = h.pull(builtin::SyntheticSource::kOut);
  EXPECT_TRUE(p.get_if<Frame>()->image.empty());
  EXPECT_EQ(h.pull(builtin::SyntheticSource::kOut).header().pts_us, 10000);
}

TEST(Passthrough, ForwardsTheSamePayload) {
  auto h = NodeHarness::load("passthrough");
  Packet in = Packet::make(at(3, 9), Frame{});
  const void* payload = in.payload().get();
  ASSERT_TRUE(h.push(builtin::Passthrough::kIn.name, in).ok());
  Packet out = h.pull(builtin::Passthrough::kOut);
  EXPECT_EQ(out.payload().get(), payload);  // zero-copy
  EXPECT_EQ(out.header().stream_id, 3u);
  EXPECT_EQ(out.header().seq, 9);
}

TEST(Delay, SleepsAndForwards) {
  auto h = NodeHarness::load("delay", "ms = 20");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(h.push(builtin::Delay::kIn.name, Packet::make(at(0, 0), Frame{})).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));
  EXPECT_EQ(h.pending(builtin::Delay::kOut.name), 1u);
}

TEST(Fail, FailsWhereToldAndOnlyThere) {
  auto h = NodeHarness::load("fail", "at_frames = [1]\nmessage = \"bad frame\"");
  EXPECT_TRUE(h.push(builtin::Fail::kIn.name, Packet::make(at(0, 0), Frame{})).ok());
  const Status s = h.push(builtin::Fail::kIn.name, Packet::make(at(0, 1), Frame{}));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "bad frame");
  EXPECT_TRUE(h.push(builtin::Fail::kIn.name, Packet::make(at(0, 2), Frame{})).ok());
  EXPECT_EQ(h.pending(builtin::Fail::kOut.name), 2u);

  auto in_open = NodeHarness::try_load("fail", "stage = \"open\"");
  ASSERT_FALSE(in_open.ok());
  EXPECT_THAT(in_open.status().message(), HasSubstr("failure injected"));

  auto in_close = NodeHarness::load("fail", "stage = \"close\"\nhow = \"throw\"");
  EXPECT_THAT(in_close.close().message(), HasSubstr("close threw: failure injected"));
}

TEST(CountSink, CountsPerStreamChecksOrderAndWritesJson) {
  test::TempDir dir;
  const std::string path = dir.file("counts.json");
  auto h =
      NodeHarness::load("count_sink", "print = false\nrecord_seqs = true\npath = \"" + path + "\"");
  for (int64_t seq : {0, 1, 2})
    ASSERT_TRUE(h.push(builtin::CountSink::kIn.name, Packet::make(at(0, seq), Frame{})).ok());
  for (int64_t seq : {5, 4})
    ASSERT_TRUE(h.push(builtin::CountSink::kIn.name, Packet::make(at(7, seq), Detections{})).ok());
  ASSERT_TRUE(h.close().ok());
  const auto j = nlohmann::json::parse(test::read_file(path));
  EXPECT_EQ(j["total"], 5);
  EXPECT_EQ(j["streams"]["0"]["count"], 3);
  EXPECT_EQ(j["streams"]["0"]["in_order"], true);
  EXPECT_EQ(j["streams"]["7"]["in_order"], false);
  EXPECT_EQ(j["streams"]["7"]["seqs"], nlohmann::json::array({5, 4}));
}

TEST(CountSink, UnwritablePathIsAnErrorAtClose) {
  auto h = NodeHarness::load("count_sink", "print = false\npath = \"/nonexistent/dir/c.json\"");
  const Status s = h.close();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent/dir/c.json"));
}

TEST(NullSink, AcceptsAnything) {
  auto h = NodeHarness::load("null_sink");
  EXPECT_TRUE(h.push(builtin::NullSink::kIn.name, Packet::make(at(0, 0), Frame{})).ok());
  EXPECT_TRUE(h.push(builtin::NullSink::kIn.name, Packet::make(at(0, 1), Tensor{})).ok());
}

}  // namespace
}  // namespace sluice::testing
