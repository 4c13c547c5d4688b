// The streams of a running service: added, listed and removed over HTTP; each removed
// stream's outputs finished while the run goes on; bad requests answered with a 4xx that
// names what was wrong, the run going on; a run that serves keeps running without streams.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "service_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A source with no streams of its own, a video per stream, a count of every frame.
constexpr const char* kStreams = R"([pipeline]
links = ["cams -> out.frame", "cams -> count"]
[nodes.cams]
plugin = "uri_source"
loop = true
[nodes.out]
plugin = "video_writer"
path = "out/cam{stream}.mp4"
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)";

int64_t decoded_frames(const std::string& path) {
  const auto r = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
      "-of csv=p=0 '" +
      path + "'");
  try {
    return r.exit_code == 0 ? std::stoll(r.output) : -1;
  } catch (...) {
    return -1;
  }
}

class StreamApi : public HttpService {
 protected:
  // ffmpeg sending `frames` frames of vtest.avi as MPEG-TS to the first client on `port`,
  // then exiting.
  std::unique_ptr<Child> ffmpeg_server_of(int port, int frames) {
    return std::make_unique<Child>(
        std::vector<std::string>{"ffmpeg", "-nostdin", "-v", "error", "-i",
                                 std::string(SLUICE_SOURCE_DIR) + "/assets/media/vtest.avi",
                                 "-frames:v", std::to_string(frames), "-c:v", "mpeg4", "-f",
                                 "mpegts", "tcp://127.0.0.1:" + std::to_string(port) + "?listen=1"},
        dir_.file("ffmpeg.log"));
  }
  json post(const std::string& path, const std::string& body, int expect_status) {
    auto r = client().Post(path, body, "application/json");
    EXPECT_TRUE(r) << "no answer to POST " << path;
    if (!r) return {};
    EXPECT_EQ(r->status, expect_status) << path << " " << body << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  json stream_state(int64_t id) {
    auto r = client().Get("/api/nodes/cams/streams");
    if (!r) return {};
    const json list = json::parse(r->body);  // kept: the loop reads into it
    for (const auto& s : list["streams"])
      if (s["id"] == id) return s;
    return {};
  }
};

TEST_F(StreamApi, StreamsAreAddedListedAndRemovedAndEachRemovedStreamsFileIsWhole) {
  const std::string clip = video_clip(dir_.file("clip.avi"), 20);
  start({}, kStreams);
  ASSERT_TRUE(get_until("/readyz", [](const httplib::Response& r) { return r.status == 200; }));
  const json a = post("/api/nodes/cams/streams", json{{"uri", clip}}.dump(), 201);
  const json b = post("/api/nodes/cams/streams", json{{"uri", clip}}.dump(), 201);
  ASSERT_EQ(a["id"], 0);
  ASSERT_EQ(b["id"], 1);
  // Both deliver.
  ASSERT_TRUE(get_until("/api/nodes/cams/streams", [](const httplib::Response& r) {
    const json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || j["streams"].size() != 2) return false;
    for (const auto& s : j["streams"])
      if (s["state"] != "up" || s["frames"].get<int>() < 5) return false;
    return true;
  })) << "both streams up with frames";

  auto removed = client().Delete("/api/nodes/cams/streams/0");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200) << removed->body;
  // Its end flows down: the video of stream 0 is finished while stream 1 goes on.
  int64_t frames = -1;
  for (int i = 0; i < 200 && frames < 0; ++i) {
    std::this_thread::sleep_for(100ms);
    frames = decoded_frames(dir_.file("out/cam0.mp4"));
  }
  const json gone = stream_state(0);
  EXPECT_EQ(gone["state"], "ended");
  EXPECT_EQ(frames, gone["frames"].get<int64_t>()) << "every frame read is in the file";
  EXPECT_EQ(stream_state(1)["state"], "up");
  EXPECT_EQ(decoded_frames(dir_.file("out/cam1.mp4")), -1) << "stream 1 is still being written";

  // Removing it again, and streams that do not exist.
  auto again = client().Delete("/api/nodes/cams/streams/0");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404);
  EXPECT_THAT(again->body, HasSubstr("no stream 0 is running on node 'cams'"));
  auto bad_id = client().Delete("/api/nodes/cams/streams/zero");
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status, 400);

  // With every stream removed, the run serves on, waiting for new streams.
  ASSERT_TRUE(client().Delete("/api/nodes/cams/streams/1"));
  ASSERT_TRUE(get_until("/api/nodes/cams/streams", [](const httplib::Response& r) {
    const json j = json::parse(r.body, nullptr, false);
    return !j.is_discarded() && j["streams"].size() == 2 && j["streams"][1]["state"] == "ended";
  }));
  std::this_thread::sleep_for(500ms);
  ASSERT_FALSE(run_->exited()) << read_file(dir_.file("sluice.log"));
  const json c = post("/api/nodes/cams/streams", json{{"uri", clip}}.dump(), 201);
  EXPECT_EQ(c["id"], 2) << "ids are never reused";
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
  EXPECT_GT(decoded_frames(dir_.file("out/cam1.mp4")), 0);
  EXPECT_GE(decoded_frames(dir_.file("out/cam2.mp4")), 0);
}

TEST_F(StreamApi, BadRequestsGetA4xxNamingWhatWasWrongAndTheRunGoesOn) {
  const std::string clip = video_clip(dir_.file("clip.avi"), 5);
  start({"--http-allow-uri", dir_.path().string() + "/"}, kStreams);
  ASSERT_TRUE(get_until("/readyz", [](const httplib::Response& r) { return r.status == 200; }));
  struct Case {
    std::string path, body;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"/api/nodes/nope/streams", json{{"uri", clip}}.dump(), 404, "no node 'nope'"},
      {"/api/nodes/out/streams", json{{"uri", clip}}.dump(), 400,
       "node 'out' (video_writer) does not take streams"},
      {"/api/nodes/cams/streams", R"({"uri": )", 400, "the body is not JSON"},
      {"/api/nodes/cams/streams", R"({"url": "x"})", 400, "the body needs \"uri\", a string"},
      {"/api/nodes/cams/streams", R"([1, 2])", 400, "the body needs \"uri\""},
      {"/api/nodes/cams/streams", json{{"uri", dir_.file("none.avi")}}.dump(), 422,
       "cannot add stream '" + dir_.file("none.avi") + "': '" + dir_.file("none.avi") +
           "': no such file"},
      {"/api/nodes/cams/streams", json{{"uri", "/etc/passwd"}}.dump(), 403,
       "uri '/etc/passwd' is not allowed here"},
      {"/api/nodes/cams/streams", json{{"uri", dir_.file("../../etc/passwd")}}.dump(), 403,
       "is not allowed here"},
      {"/api/nodes/cams/streams", json{{"uri", "rtsp://elsewhere/x"}}.dump(), 403,
       "is not allowed here"},
      {"/api/nodes/cams/streams", std::string(2 << 20, 'x'), 413, "over 1 MiB"},
  };
  for (const Case& c : cases) {
    const json answer = post(c.path, c.body, c.status);
    EXPECT_THAT(answer.value("error", ""), HasSubstr(c.says))
        << c.path << " " << c.body.substr(0, 40);
  }
  auto method = client().Put("/api/nodes/cams/streams", "{}", "application/json");
  ASSERT_TRUE(method);
  EXPECT_EQ(method->status, 405);
  EXPECT_EQ(method->get_header_value("Allow"), "GET, POST");
  // Nothing changed, and the run goes on: the allowed prefix still adds.
  EXPECT_TRUE(json::parse(client().Get("/api/nodes/cams/streams")->body)["streams"].empty());
  post("/api/nodes/cams/streams", json{{"uri", clip}}.dump(), 201);
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

TEST_F(StreamApi, AStreamLostForGoodMakesTheServiceNotReadyAndShowsInMetrics) {
  const int port = free_port();
  auto server = ffmpeg_server_of(port, 5);
  ASSERT_TRUE(wait_listening(port, 10s)) << read_file(dir_.file("ffmpeg.log"));
  const std::string clip = video_clip(dir_.file("clip.avi"), 10);
  start({}, std::string(R"([pipeline]
links = ["cams -> count"]
[nodes.cams]
plugin = "uri_source"
uris = ["tcp://127.0.0.1:)") +
                std::to_string(port) + R"(", ")" + clip + R"("]
loop = true
read_timeout_ms = 1000
max_reconnects = 0
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  auto ready = get_until("/readyz", [](const httplib::Response& r) {
    return r.body.find("failed for good") != std::string::npos;
  });
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_THAT(ready->body, HasSubstr("stream 0 of node 'cams' failed for good"));
  auto metrics = client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body,
              HasSubstr("sluice_stream_up{node=\"cams\",stream=\"0\",uri=\"tcp://127.0.0.1:" +
                        std::to_string(port) + "\"} 0"));
  EXPECT_THAT(metrics->body, HasSubstr("sluice_stream_frames_total{node=\"cams\",stream=\"0\""));
  EXPECT_THAT(metrics->body, HasSubstr("sluice_stream_up{node=\"cams\",stream=\"1\""));
  const std::string text = dir_.write("metrics.txt", metrics->body);
  const auto promtool = run_command("promtool check metrics < " + text);
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output;
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

}  // namespace
}  // namespace sluice::test
