// uri_source through the NodeHarness: several files and network streams in one source,
// each its own stream decoded on its own thread; a stream lost for good ends alone (or
// fails the run, as configured); streams added and removed while it runs.
#include "uri_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "image_file.h"
#include "sluice/testing/node_harness.h"
#include "source_test_support.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::string short_clip(test::TempDir& dir, const std::string& name, int frames) {
  return test::video_clip(dir.file(name), frames);
}

std::string uris_param(const std::vector<std::string>& uris) {
  std::string text = "uris = [";
  for (std::size_t i = 0; i < uris.size(); ++i) text += (i ? ", \"" : "\"") + uris[i] + "\"";
  return text + "]\n";
}

// Frames pulled so far, per stream id, as seqs.
std::map<uint32_t, std::vector<int64_t>> drain(NodeHarness& h) {
  std::map<uint32_t, std::vector<int64_t>> out;
  while (h.pending(sources::UriSource::kOut.name) > 0) {
    const Packet p = h.pull(sources::UriSource::kOut);
    out[p.header().stream_id].push_back(p.header().seq);
  }
  return out;
}

std::vector<int64_t> iota(int n) {
  std::vector<int64_t> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

// Calls process() until `done` or the time limit.
template <class F>
bool run_until(NodeHarness& h, F done, std::chrono::seconds limit = 30s) {
  const auto t0 = std::chrono::steady_clock::now();
  while (!done()) {
    if (std::chrono::steady_clock::now() - t0 > limit) return false;
    if (!h.run_source(1).ok()) return false;
  }
  return true;
}

TEST(UriSource, FilesAreStreamsOfTheirOwnEachWholeAndInOrder) {
  test::TempDir dir;
  const std::string a = short_clip(dir, "a.avi", 12), b = short_clip(dir, "b.avi", 30);
  auto h = NodeHarness::load("uri_source", uris_param({a, b}) + "realtime = false");
  ASSERT_TRUE(h.run_source().ok());
  const auto frames = drain(h);
  EXPECT_EQ(frames.at(0), iota(12));
  EXPECT_EQ(frames.at(1), iota(30));
  // Each stream started, and ended with its file, the short one first.
  const auto& events = h.stream_events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_TRUE(events[0].started && events[1].started);
  EXPECT_FALSE(events[2].started);
  EXPECT_EQ(events[2].stream.stream_id, 0u);
  EXPECT_EQ(events[2].stream.reason, "end");
  EXPECT_EQ(events[3].stream.stream_id, 1u);
  ASSERT_TRUE(h.close().ok());
}

TEST(UriSource, AnImageFileIsAStreamOfOneFrameWithImageSourcesPixels) {
  test::TempDir dir;
  cv::Mat image(30, 40, CV_8UC3);
  cv::randu(image, 0, 255);
  const std::string path = dir.file("still.png");
  ASSERT_TRUE(cv::imwrite(path, image));
  const std::string clip = short_clip(dir, "a.avi", 3);
  auto h = NodeHarness::load("uri_source", uris_param({path, clip}) + "realtime = false\n");
  ASSERT_TRUE(h.run_source().ok());
  const auto frames = drain(h);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames.begin()->second, (std::vector<int64_t>{0}));
  EXPECT_EQ(std::next(frames.begin())->second, iota(3));
  // The PNG's own pixels, as image_source reads them (not a video decoder's).
  auto h2 = NodeHarness::load("uri_source", uris_param({path}));
  ASSERT_TRUE(h2.run_source().ok());
  const auto expected = sources::read_image(path);
  ASSERT_TRUE(expected.ok());
  const Packet frame = h2.pull(sources::UriSource::kOut);
  const cv::Mat& got = frame.get_if<Frame>()->image;
  ASSERT_EQ(got.size(), expected->size());
  EXPECT_EQ(cv::norm(got, *expected, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(got, image, cv::NORM_INF), 0.0);
}

TEST(UriSource, AUriThatDoesNotOpenFailsAtOpenNamingIt) {
  test::TempDir dir;
  const std::string a = short_clip(dir, "a.avi", 3);
  auto missing = NodeHarness::try_load("uri_source", uris_param({a, dir.file("none.mp4")}));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("uris[1]: '" + dir.file("none.mp4") + "': no such file"));
  const int port = test::free_port();
  auto refused =
      NodeHarness::try_load("uri_source", uris_param({"tcp://127.0.0.1:" + std::to_string(port)}) +
                                              "open_timeout_ms = 2000");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("uris[0]: cannot open stream"));
}

TEST(UriSource, ALostNetworkStreamEndsAloneWhileAFileGoesOn) {
  test::TempDir dir;
  const std::string file = short_clip(dir, "file.avi", 40);
  const int port = test::free_port();
  // The server sends 10 frames as fast as it can and exits; nobody comes back on that port.
  // A live stream drops its oldest frame when its buffer is full, so the buffer holds the
  // whole burst: on a loaded machine the harness may not take a frame before the next comes.
  auto server = test::ffmpeg_server("tcp://127.0.0.1:" + std::to_string(port) + "?listen=1", 10,
                                    dir.file("ffmpeg.log"));
  ASSERT_TRUE(test::wait_listening(port, 10s)) << test::read_file(dir.file("ffmpeg.log"));
  const std::string params = uris_param({"tcp://127.0.0.1:" + std::to_string(port), file}) +
                             "read_timeout_ms = 1000\nreconnect_initial_ms = 50\n"
                             "reconnect_max_ms = 100\nmax_reconnects = 2\nbuffer = 16\n";
  auto h = NodeHarness::load("uri_source", params);
  ASSERT_TRUE(h.run_source().ok());
  const auto frames = drain(h);
  EXPECT_FALSE(h.counters().contains("dropped_frames"));
  EXPECT_EQ(frames.at(0), iota(10));
  EXPECT_EQ(frames.at(1), iota(40));
  std::map<uint32_t, std::string> reasons;
  for (const auto& e : h.stream_events())
    if (!e.started) reasons[e.stream.stream_id] = e.stream.reason;
  EXPECT_THAT(reasons[0], HasSubstr("failed: stream 'tcp://127.0.0.1:"));
  EXPECT_THAT(reasons[0], HasSubstr("2 reconnect attempts failed"));
  EXPECT_EQ(reasons[1], "end");
  const auto statuses = h.stream_control()->stream_statuses();
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[0].state, "failed");
  EXPECT_EQ(statuses[0].frames, 10);
  EXPECT_EQ(statuses[1].state, "ended");
  ASSERT_TRUE(h.close().ok());
}

TEST(UriSource, ALiveStreamThatOutrunsThePipelineDropsItsOldestFramesAndCountsThem) {
  test::TempDir dir;
  const int port = test::free_port();
  auto server = test::ffmpeg_server("tcp://127.0.0.1:" + std::to_string(port) + "?listen=1", 10,
                                    dir.file("ffmpeg.log"));
  ASSERT_TRUE(test::wait_listening(port, 10s)) << test::read_file(dir.file("ffmpeg.log"));
  auto h = NodeHarness::load("uri_source", uris_param({"tcp://127.0.0.1:" + std::to_string(port)}) +
                                               "read_timeout_ms = 1000\nmax_reconnects = 0\n"
                                               "buffer = 3\n");
  // Nobody takes a frame until the reader has read all 10 (and the stream is lost).
  const auto t0 = std::chrono::steady_clock::now();
  while (h.stream_control()->stream_statuses().at(0).state != "failed" &&
         std::chrono::steady_clock::now() - t0 < 30s)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(h.stream_control()->stream_statuses().at(0).frames, 10);
  ASSERT_TRUE(h.run_source().ok());
  const auto frames = drain(h);
  // The 3 newest stay, numbered in the order they go out; the 7 before them are counted.
  EXPECT_EQ(frames.at(0), iota(3));
  EXPECT_EQ(h.counters().at("dropped_frames"), 7);
  ASSERT_TRUE(h.close().ok());
}

TEST(UriSource, WithOnStreamFailureFailALostStreamFailsTheRun) {
  test::TempDir dir;
  const int port = test::free_port();
  auto server = test::ffmpeg_server("tcp://127.0.0.1:" + std::to_string(port) + "?listen=1", 5,
                                    dir.file("ffmpeg.log"));
  ASSERT_TRUE(test::wait_listening(port, 10s)) << test::read_file(dir.file("ffmpeg.log"));
  auto h = NodeHarness::load("uri_source", uris_param({"tcp://127.0.0.1:" + std::to_string(port)}) +
                                               "read_timeout_ms = 1000\nmax_reconnects = 0\n"
                                               "on_stream_failure = \"fail\"");
  const Status s = h.run_source();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("stream 0 failed: stream 'tcp://127.0.0.1:"));
}

TEST(UriSource, StreamsAreAddedAndRemovedWhileItRuns) {
  test::TempDir dir;
  const std::string clip = short_clip(dir, "clip.avi", 10);
  auto h = NodeHarness::load("uri_source", "when_idle = \"wait\"\nloop = true");
  StreamControl* control = h.stream_control();
  ASSERT_NE(control, nullptr);
  EXPECT_TRUE(control->stream_statuses().empty());
  // Nothing to read yet, and waiting for streams: process() returns without ending.
  ASSERT_TRUE(h.run_source(3).ok());
  EXPECT_TRUE(h.stream_events().empty());

  auto added = control->add_stream(clip);
  ASSERT_TRUE(added.ok()) << added.status().message();
  EXPECT_EQ(*added, 0u);
  auto second = control->add_stream(clip);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 1u);
  // A looping file at 10 fps: a few frames of each within a second or so.
  std::map<uint32_t, std::vector<int64_t>> frames;
  ASSERT_TRUE(run_until(h, [&] {
    for (auto& [id, seqs] : drain(h)) frames[id].insert(frames[id].end(), seqs.begin(), seqs.end());
    return frames[0].size() >= 3 && frames[1].size() >= 3;
  }));
  auto statuses = control->stream_statuses();
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[0].state, "up");
  EXPECT_GE(statuses[0].frames, 3);
  EXPECT_EQ(statuses[0].uri, clip);

  ASSERT_TRUE(control->remove_stream(0).ok());
  ASSERT_TRUE(run_until(h, [&] {
    for (const auto& e : h.stream_events())
      if (!e.started && e.stream.stream_id == 0) return true;
    return false;
  }));
  EXPECT_EQ(h.stream_events().back().stream.reason, "removed");
  EXPECT_EQ(control->remove_stream(0).code(), StatusCode::kNotFound);
  EXPECT_EQ(control->remove_stream(7).code(), StatusCode::kNotFound);
  auto bad = control->add_stream(dir.file("none.avi"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("no such file"));
  statuses = control->stream_statuses();
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[0].state, "ended");
  EXPECT_EQ(statuses[1].state, "up");
  // Stream 1 is still going; its frames keep coming, in order, across the loop.
  ASSERT_TRUE(run_until(h, [&] {
    for (auto& [id, seqs] : drain(h)) frames[id].insert(frames[id].end(), seqs.begin(), seqs.end());
    return frames[1].size() >= 12;
  }));
  EXPECT_EQ(std::vector<int64_t>(frames[1].begin(), frames[1].begin() + 12), iota(12));
  ASSERT_TRUE(h.close().ok());
}

TEST(UriSource, WithWhenIdleEndTheSourceEndsOnceItsStreamsHave) {
  auto h = NodeHarness::load("uri_source", "when_idle = \"end\"");
  ASSERT_TRUE(h.run_source(100).ok());
  // Ended at the first call: nothing declared, nothing added.
  EXPECT_TRUE(h.stream_events().empty());
}

}  // namespace
}  // namespace sluice::testing
