// The live preview and the page: /preview/NODE streams JPEGs as MJPEG at most
// --preview-fps, a stalled viewer never holds up the run, and the page at / works in a
// real browser (headless Chromium): node names and live counts in its DOM, the preview
// painted in a screenshot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <regex>

#include "service_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A colourful test pattern (ffmpeg's testsrc): saturated colours the page never uses.
std::string test_pattern(const TempDir& dir) {
  const std::string path = dir.file("pattern.avi");
  const auto r = run_command(
      "ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=320x240:rate=10 -frames:v 30 "
      "-c:v mpeg4 -q:v 3 '" +
      path + "' 2>&1");
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + r.output);
  return path;
}

std::string pattern_pipeline(const std::string& clip) {
  return R"([pipeline]
links = ["cams -> show"]
[nodes.cams]
plugin = "uri_source"
uris = [")" +
         clip + R"("]
loop = true
[nodes.show]
plugin = "null_sink"
)";
}

// Reads /preview/NODE for `seconds`; the JPEG parts received.
std::vector<std::string> read_mjpeg(httplib::Client& c, const std::string& path, double seconds,
                                    std::string* content_type) {
  std::string body;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  auto r = c.Get(
      path,
      [&](const httplib::Response& res) {
        *content_type = res.get_header_value("Content-Type");
        return res.status == 200;
      },
      [&](const char* data, size_t n) {
        body.append(data, n);
        return std::chrono::steady_clock::now() < end;
      });
  std::vector<std::string> parts;
  const std::string marker = "Content-Length: ";
  for (std::size_t at = body.find(marker); at != std::string::npos; at = body.find(marker, at)) {
    const std::size_t length = std::stoul(body.substr(at + marker.size()));
    const std::size_t start = body.find("\r\n\r\n", at) + 4;
    if (start + length > body.size()) break;
    parts.push_back(body.substr(start, length));
    at = start + length;
  }
  return parts;
}

TEST_F(HttpService, APreviewIsAnMjpegOfDecodableFramesAtMostPreviewFps) {
  const std::string clip = test_pattern(dir_);
  start({"--preview-fps", "4"}, pattern_pipeline(clip));
  ASSERT_TRUE(get_until("/readyz", [](const httplib::Response& r) { return r.status == 200; }));
  auto c = client();
  std::string type;
  const auto parts = read_mjpeg(c, "/preview/show", 2.5, &type);
  EXPECT_EQ(type, "multipart/x-mixed-replace; boundary=sluiceframe");
  EXPECT_GE(parts.size(), 3u);
  EXPECT_LE(parts.size(), 4u * 3 + 1) << "more pictures than --preview-fps allows";
  ASSERT_FALSE(parts.empty());
  const cv::Mat picture =
      cv::imdecode(std::vector<unsigned char>(parts[0].begin(), parts[0].end()), cv::IMREAD_COLOR);
  EXPECT_EQ(picture.cols, 320);
  EXPECT_EQ(picture.rows, 240);
  auto latest = client().Get("/preview/cams/latest.jpg");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->status, 200);
  EXPECT_EQ(latest->get_header_value("Content-Type"), "image/jpeg");
  // ?width= (what the page asks for): scaled down, aspect kept; a bad width is a 400.
  const auto small = read_mjpeg(c, "/preview/show?width=160", 1.0, &type);
  ASSERT_FALSE(small.empty());
  const cv::Mat scaled =
      cv::imdecode(std::vector<unsigned char>(small[0].begin(), small[0].end()), cv::IMREAD_COLOR);
  EXPECT_EQ(scaled.cols, 160);
  EXPECT_EQ(scaled.rows, 120);
  auto latest_small = client().Get("/preview/cams/latest.jpg?width=160");
  ASSERT_TRUE(latest_small);
  ASSERT_EQ(latest_small->status, 200);
  EXPECT_EQ(
      cv::imdecode(std::vector<unsigned char>(latest_small->body.begin(), latest_small->body.end()),
                   cv::IMREAD_COLOR)
          .cols,
      160);
  for (const char* path : {"/preview/show?width=wide", "/preview/cams/latest.jpg?width=9"}) {
    auto bad = client().Get(path);
    ASSERT_TRUE(bad) << path;
    EXPECT_EQ(bad->status, 400) << path;
    EXPECT_THAT(bad->body, HasSubstr("preview width")) << path;
  }
  auto unknown = client().Get("/preview/nope");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_THAT(unknown->body, HasSubstr("no node 'nope'"));
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

TEST_F(HttpService, AStalledViewerNeverHoldsUpTheRunOrItsStop) {
  start({"--preview-fps", "60"}, R"([pipeline]
links = ["src -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
fps = 200
width = 640
height = 480
[nodes.sink]
plugin = "null_sink"
)");
  ASSERT_TRUE(get_until("/readyz", [](const httplib::Response& r) { return r.status == 200; }));
  // A viewer that asks for the preview and never reads a byte.
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  const int small = 4096;
  ::setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string request = "GET /preview/src HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(::send(sock, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  // The source keeps its pace while the viewer's socket is full: 200 frames a second.
  auto processed = [&] {
    auto r = client().Get("/api/pipeline");
    return r ? json::parse(r->body)["stats"]["nodes"][1]["processed"].get<int64_t>() : -1;
  };
  std::this_thread::sleep_for(1s);
  const int64_t before = processed();
  std::this_thread::sleep_for(3s);
  const int64_t after = processed();
  EXPECT_GT(after - before, 200) << "the sink processed too little while a viewer stalled";
  // And the run still stops at once (the stalled write gives up; the pipeline drains).
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  ::close(sock);
}

// Headless Chromium, run as root in CI: no sandbox, its own profile folder.
std::string chromium(const TempDir& dir, const std::string& args, const std::string& url) {
  return "chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir='" +
         dir.file("chromium-profile") + "' --virtual-time-budget=6000 " + args + " '" + url +
         "' 2>" + dir.file("chromium.log");
}

TEST_F(HttpService, ThePageShowsTheGraphLiveFiguresAndThePreviewInARealBrowser) {
  const std::string clip = test_pattern(dir_);
  start({}, pattern_pipeline(clip));
  ASSERT_TRUE(get_until("/readyz", [](const httplib::Response& r) { return r.status == 200; }));
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/";
  auto page = client().Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->body.find("https://"), std::string::npos) << "the page fetches from outside";

  const auto dom = run_command(chromium(dir_, "--dump-dom", url), 90);
  ASSERT_EQ(dom.exit_code, 0) << read_file(dir_.file("chromium.log"));
  for (const char* node : {"cams", "show"}) {
    const std::regex row(std::string("<tr id=\"node-") + node +
                         "\"[^>]*>.*?<td class=\"processed[^\"]*\">([0-9]+)</td>");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(dom.output, m, row)) << node << " missing from the DOM";
    EXPECT_GT(std::stoll(m[1]), 0) << node << " shows nothing processed";
  }
  const auto shot = run_command(
      chromium(dir_, "--window-size=1280,1000 --screenshot=" + dir_.file("page.png"), url), 90);
  ASSERT_EQ(shot.exit_code, 0) << read_file(dir_.file("chromium.log"));
  const cv::Mat png = cv::imread(dir_.file("page.png"), cv::IMREAD_COLOR);
  ASSERT_FALSE(png.empty()) << "no screenshot";
  // The test pattern's saturated colours: only a painted preview has thousands of them.
  int saturated = 0;
  for (int y = 0; y < png.rows; ++y)
    for (int x = 0; x < png.cols; ++x) {
      const cv::Vec3b p = png.at<cv::Vec3b>(y, x);
      const int hi = std::max({p[0], p[1], p[2]}), lo = std::min({p[0], p[1], p[2]});
      if (hi - lo > 150) ++saturated;
    }
  EXPECT_GT(saturated, 10000) << "the preview area is blank; see " << dir_.file("page.png");
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

}  // namespace
}  // namespace sluice::test
