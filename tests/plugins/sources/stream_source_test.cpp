// stream_source against real servers on 127.0.0.1: ffmpeg serving MPEG-TS over tcp and
// http, a socket that never answers, a server that stalls, stops and comes back, and a
// GStreamer pipeline. Every wait is bounded.
#include "stream_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/testing/node_harness.h"
#include "source_test_support.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

std::string url_param(const std::string& url) { return "url = \"" + url + "\"\n"; }

TEST(StreamSource, NothingListeningIsAClearErrorAtOpen) {
  const std::string url = "tcp://127.0.0.1:" + std::to_string(test::free_port());
  const auto t0 = std::chrono::steady_clock::now();
  auto h = NodeHarness::try_load("stream_source", url_param(url) + "open_timeout_ms = 3000");
  ASSERT_FALSE(h.ok());
  EXPECT_LT(test::seconds_since(t0), 3);
  EXPECT_EQ(h.status().message(),
            "open: cannot open stream '" + url +
                "': connection refused, no such stream, or a format FFMPEG cannot read");
}

TEST(StreamSource, AServerThatNeverAnswersTimesOut) {
  test::SilentServer server;
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  for (const std::string& url : {"tcp://" + host, "http://" + host + "/live", "rtsp://" + host}) {
    const auto t0 = std::chrono::steady_clock::now();
    auto h = NodeHarness::try_load("stream_source", url_param(url) + "open_timeout_ms = 1000");
    const double s = test::seconds_since(t0);
    ASSERT_FALSE(h.ok()) << url;
    EXPECT_EQ(h.status().message(),
              "open: cannot open stream '" + url + "': no answer within 1000 ms (open_timeout_ms)");
    EXPECT_GE(s, 0.9) << url;
    EXPECT_LT(s, 5) << url;
  }
}

TEST(StreamSource, PasswordsStayOutOfMessages) {
  const std::string port = std::to_string(test::free_port());
  auto h = NodeHarness::try_load("stream_source",
                                 url_param("rtsp://admin:s3cret@127.0.0.1:" + port + "/stream1"));
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("'rtsp://admin:***@127.0.0.1:" + port + "/stream1'"));
  EXPECT_THAT(h.status().message(), Not(HasSubstr("s3cret")));
}

// A finite stream: every frame arrives, then the server is gone for good.
class FiniteStream : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    port_ = test::free_port();
    url_ = GetParam() == "tcp" ? "tcp://127.0.0.1:" + std::to_string(port_) + "?listen=1"
                               : "http://127.0.0.1:" + std::to_string(port_) + "/live";
    server_ = test::ffmpeg_server(url_, 30, dir_.file("ffmpeg.log"));
    ASSERT_TRUE(test::wait_listening(port_, 10s)) << test::read_file(dir_.file("ffmpeg.log"));
    if (GetParam() == "tcp") url_ = "tcp://127.0.0.1:" + std::to_string(port_);
  }
  std::string params(const std::string& on_give_up) const {
    return url_param(url_) + "max_reconnects = 2\nreconnect_initial_ms = 50\non_give_up = \"" +
           on_give_up + "\"\n";
  }
  test::TempDir dir_;
  int port_ = 0;
  std::string url_;
  std::unique_ptr<test::Child> server_;
};

TEST_P(FiniteStream, EveryFrameThenGivesUpWithAClearError) {
  auto h = NodeHarness::load("stream_source", params("fail"));
  const auto t0 = std::chrono::steady_clock::now();
  const Status s = h.run_source();
  EXPECT_LT(test::seconds_since(t0), 20);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "stream '" + url_ +
                "' lost: 2 reconnect attempts failed; the last: connection refused, no such "
                "stream, or a format FFMPEG cannot read");
  ASSERT_EQ(h.pending(sources::StreamSource::kOut.name), 30u);
  for (int i = 0; i < 30; ++i) {
    Packet p = h.pull(sources::StreamSource::kOut);
    EXPECT_EQ(p.header().seq, i);
    EXPECT_EQ(p.get_if<Frame>()->image.size(), cv::Size(768, 576));
  }
  // After giving up, a call (on_error = "skip") ends the stream instead of retrying.
  EXPECT_TRUE(h.run_source(10).ok());
}

TEST_P(FiniteStream, OnGiveUpEndEndsTheStream) {
  auto h = NodeHarness::load("stream_source", params("end"));
  const Status s = h.run_source();
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(h.pending(sources::StreamSource::kOut.name), 30u);
}

INSTANTIATE_TEST_SUITE_P(Protocols, FiniteStream, ::testing::Values("tcp", "http"));

TEST(StreamSource, AStalledServerIsADropNotAHang) {
  test::TempDir dir;
  const int port = test::free_port();
  const std::string url = "tcp://127.0.0.1:" + std::to_string(port);
  auto server = test::ffmpeg_server(url + "?listen=1", 0, dir.file("ffmpeg.log"));
  ASSERT_TRUE(test::wait_listening(port, 10s)) << test::read_file(dir.file("ffmpeg.log"));
  auto h = NodeHarness::load("stream_source", url_param(url) +
                                                  "read_timeout_ms = 1000\nmax_reconnects = 1\n"
                                                  "reconnect_initial_ms = 50");
  // The server freezes mid-stream (SIGSTOP): its connection stays open, silent.
  std::thread freezer([&] {
    std::this_thread::sleep_for(1500ms);
    server->signal(SIGSTOP);
  });
  const auto t0 = std::chrono::steady_clock::now();
  const Status s = h.run_source();
  const double took = test::seconds_since(t0);
  freezer.join();
  server->kill();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("stream '" + url + "' lost: 1 reconnect attempt failed"));
  EXPECT_GT(h.pending(sources::StreamSource::kOut.name), 5u);
  EXPECT_GE(took, 2.0);  // 1.5 s of frames (and what was in transit), then 1 s without one
  EXPECT_LT(took, 10);
}

TEST(StreamSource, ResumesAfterTheServerRestarts) {
  // The whole pipeline, through the command: a live server (-re, 10 fps) that dies
  // mid-run and comes back on the same port a second later.
  test::TempDir dir;
  const int port = test::free_port();
  const std::string listen = "tcp://127.0.0.1:" + std::to_string(port) + "?listen=1";
  const std::string pipeline = dir.write("p.toml", R"([pipeline]
links = ["cam -> count"]
[nodes.cam]
plugin = "stream_source"
url = "tcp://127.0.0.1:)" + std::to_string(port) + R"("
frames = 40
read_timeout_ms = 2000
reconnect_initial_ms = 100
reconnect_max_ms = 400
max_reconnects = 30
[nodes.count]
plugin = "count_sink"
path = "counts.json"
record_seqs = true
)");
  auto server = test::ffmpeg_server(listen, 0, dir.file("ffmpeg.log"));
  ASSERT_TRUE(test::wait_listening(port, 10s)) << test::read_file(dir.file("ffmpeg.log"));
  test::CommandResult run;
  std::thread runner([&] {
    run = test::run_sluice("run -q " + pipeline + " --stats-json " + dir.file("stats.json"),
                           {.timeout_s = 60});
  });
  // Some 15 of the 40 frames once the command has connected, then the server dies.
  const bool connected = test::wait_connected(port, 20s);
  std::this_thread::sleep_for(1500ms);
  server->kill();
  std::this_thread::sleep_for(1000ms);
  server = test::ffmpeg_server(listen, 0, dir.file("ffmpeg.log"));
  runner.join();
  server->kill();

  ASSERT_TRUE(connected) << "the command never connected";
  ASSERT_EQ(run.exit_code, 0) << run.output << test::read_file(dir.file("ffmpeg.log"));
  const auto counts = nlohmann::json::parse(test::read_file(dir.file("counts.json")));
  EXPECT_EQ(counts["total"], 40);
  EXPECT_EQ(counts["streams"]["0"]["in_order"], true);
  const auto stats = nlohmann::json::parse(test::read_file(dir.file("stats.json")));
  const auto& cam = stats["nodes"][0];
  EXPECT_EQ(cam["name"], "cam");
  EXPECT_GE(cam["counters"]["drops"].get<int>(), 1) << cam.dump();
  EXPECT_GE(cam["counters"]["reconnects"].get<int>(), 1) << cam.dump();
  EXPECT_EQ(cam["errors"], 0);
}

TEST(StreamSource, GStreamerPipeline) {
  auto h = NodeHarness::load(
      "stream_source",
      url_param("videotestsrc num-buffers=12 ! video/x-raw,width=64,height=48 ! videoconvert "
                "! appsink") +
          "backend = \"gstreamer\"\nmax_reconnects = 0\non_give_up = \"end\"");
  const Status s = h.run_source();
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(h.pending(sources::StreamSource::kOut.name), 12u);
  const Packet first = h.pull(sources::StreamSource::kOut);
  const cv::Mat& image = first.get_if<Frame>()->image;
  EXPECT_EQ(image.type(), CV_8UC3);
  EXPECT_EQ(image.size(), cv::Size(64, 48));

  auto bad = NodeHarness::try_load(
      "stream_source", url_param("nosuchelement ! appsink") + "backend = \"gstreamer\"");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "open: cannot open stream 'nosuchelement ! appsink': the GStreamer pipeline does "
            "not start (try it with gst-launch-1.0)");
}

}  // namespace
}  // namespace sluice::testing
