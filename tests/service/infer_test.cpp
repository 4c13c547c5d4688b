// Serving a pipeline: POST /v1/pipelines/NAME/infer through http_request and
// http_response, over real HTTP: answers that belong to their own request under
// concurrency, 503 at once when the queue is full, 504 at the deadline, and a corpus of
// malformed requests answered 4xx while valid ones go on being served right.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "service_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// request -> delay -> answer.frame: the answer is the frame's size, so each request's
// answer shows whose it is.
std::string echo_pipeline(double delay_ms, int max_queued, const std::string& extra = "",
                          const std::string& slow_extra = "") {
  return R"([pipeline]
name = "echo"
links = ["request -> slow -> answer.frame"]
[nodes.request]
plugin = "http_request"
max_queued = )" +
         std::to_string(max_queued) + "\n" + extra + R"(
[nodes.slow]
plugin = "delay"
ms = )" + std::to_string(delay_ms) +
         "\n" + slow_extra +
         R"(
[nodes.answer]
plugin = "http_response"
)";
}

// Encoded on the test's main thread only: OpenCV's encoders are not safe to call from
// several threads at once (ThreadSanitizer reports a race inside libopencv_imgcodecs).
std::string jpeg_of(int width, int height) {
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(40, 120, 200));
  std::vector<unsigned char> bytes;
  cv::imencode(".jpg", image, bytes);
  return {bytes.begin(), bytes.end()};
}

std::string png_of(int width, int height) {
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(10, 20, 30));
  std::vector<unsigned char> bytes;
  cv::imencode(".png", image, bytes);
  return {bytes.begin(), bytes.end()};
}

class Serving : public HttpService {
 protected:
  void serve(const std::string& pipeline) {
    start({}, pipeline);
    ASSERT_TRUE(get_until("/readyz", [](const httplib::Response& r) { return r.status == 200; }))
        << read_file(dir_.file("sluice.log"));
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& type,
                       const httplib::Headers& headers = {}) {
    auto c = client();
    return c.Post(path, headers, body, type);
  }
  // A counter of a node's own, 0 when it has none yet.
  int64_t counter(const std::string& node, const std::string& name) {
    auto r = client().Get("/api/pipeline");
    if (!r) return -1;
    const json pipeline = json::parse(r->body);
    for (const json& n : pipeline["stats"]["nodes"])
      if (n["name"] == node && n["counters"].is_object()) return n["counters"].value(name, 0);
    return 0;
  }
  // Counters are live but not instant (a node counts after it answers): waits up to 5 s
  // for `name` to reach `value`, and returns what it was then.
  int64_t counter_when(const std::string& node, const std::string& name, int64_t value) {
    int64_t seen = counter(node, name);
    for (int i = 0; i < 50 && seen != value; ++i) {
      std::this_thread::sleep_for(100ms);
      seen = counter(node, name);
    }
    return seen;
  }
};

TEST_F(Serving, AnImageIsAnsweredWithItsRecordByPipelineOrNodeName) {
  serve(echo_pipeline(0, 8));
  for (const char* path : {"/v1/pipelines/echo/infer", "/v1/pipelines/request/infer"}) {
    auto r = post(path, jpeg_of(64, 48), "image/jpeg");
    ASSERT_TRUE(r) << path;
    ASSERT_EQ(r->status, 200) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    const json answer = json::parse(r->body);
    EXPECT_EQ(answer["frame_size"], json::array({64, 48}));
    EXPECT_EQ(answer["seq"], 0);
    const json& t = answer["timings"];
    EXPECT_GE(t["total_ms"].get<double>(), t["pipeline_ms"].get<double>());
    EXPECT_GE(t["queued_ms"].get<double>(), 0);
  }
  // A PNG, and a multipart form (part "image"), as curl -F image=@x.png sends it.
  auto r = post("/v1/pipelines/echo/infer", png_of(30, 20), "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["frame_size"], json::array({30, 20}));
  httplib::MultipartFormDataItems form{{"note", "hello", "", ""},
                                       {"image", png_of(12, 34), "x.png", "image/png"}};
  auto c = client();
  auto m = c.Post("/v1/pipelines/echo/infer", form);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200) << m->body;
  EXPECT_EQ(json::parse(m->body)["frame_size"], json::array({12, 34}));
  EXPECT_EQ(counter_when("answer", "answered", 4), 4);
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

TEST_F(Serving, ConcurrentRequestsEachGetTheirOwnAnswer) {
  serve(echo_pipeline(2, 64));
  constexpr int kClients = 16, kEach = 5;
  std::atomic<int> right{0}, wrong{0};
  std::map<std::pair<int, int>, std::string> images;  // by size: whose answer it is
  for (int i = 0; i < kClients; ++i)
    for (int k = 0; k < kEach; ++k)
      images[{16 + 8 * i, 16 + 4 * k}] = jpeg_of(16 + 8 * i, 16 + 4 * k);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] {
      auto c = client();
      for (int k = 0; k < kEach; ++k) {
        const int width = 16 + 8 * i, height = 16 + 4 * k;
        auto r = c.Post("/v1/pipelines/echo/infer", images.at({width, height}), "image/jpeg");
        const bool ok = r && r->status == 200 &&
                        json::parse(r->body)["frame_size"] == json::array({width, height});
        (ok ? right : wrong)++;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(right.load(), kClients * kEach);
  EXPECT_EQ(wrong.load(), 0);
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

TEST_F(Serving, AFullQueueAnswers503AtOnceAndTheAcceptedAreServed) {
  // One request at a time in the delay (its queue holds 1), one waiting in the source.
  serve(echo_pipeline(600, 1, "", "queue = { capacity = 1 }\n"));
  const std::string image = jpeg_of(32, 32);
  constexpr int kClients = 12;
  std::vector<int> status(kClients, 0);
  std::vector<std::string> retry(kClients);
  std::vector<double> seconds(kClients, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] {
      auto c = client();
      const auto t0 = std::chrono::steady_clock::now();
      auto r = c.Post("/v1/pipelines/echo/infer", image, "image/jpeg");
      seconds[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r) {
        status[i] = r->status;
        retry[i] = r->get_header_value("Retry-After");
      }
    });
  for (auto& t : clients) t.join();
  int served = 0, refused = 0;
  double slowest_refusal = 0, fastest_served = 1e9;
  for (int i = 0; i < kClients; ++i) {
    if (status[i] == 200) {
      ++served;
      fastest_served = std::min(fastest_served, seconds[i]);
    } else {
      ASSERT_EQ(status[i], 503) << "client " << i;
      EXPECT_EQ(retry[i], "1");
      ++refused;
      slowest_refusal = std::max(slowest_refusal, seconds[i]);
    }
  }
  // How many are taken depends on how the clients' arrivals interleave with the source
  // taking the queued one (a place is held from before the image is decoded): at least
  // the first is, and with 12 at once into a queue of 1, not all.
  EXPECT_GE(served, 1);
  EXPECT_GE(refused, 1);
  // "At once": a refusal never waits for the pipeline, whose every answer takes 600 ms.
  if (refused > 0) {
    EXPECT_LT(slowest_refusal, fastest_served);
  }
  EXPECT_EQ(counter_when("request", "refused_full", refused), refused);
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

TEST_F(Serving, ARequestPastItsDeadlineGets504AndTheServerGoesOn) {
  serve(echo_pipeline(400, 8));
  auto r = post("/v1/pipelines/echo/infer", jpeg_of(32, 32), "image/jpeg",
                {{"X-Request-Timeout-Ms", "100"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_THAT(r->body, HasSubstr("no answer within 100 ms"));
  auto next = post("/v1/pipelines/echo/infer", jpeg_of(40, 30), "image/jpeg");
  ASSERT_TRUE(next);
  ASSERT_EQ(next->status, 200);
  EXPECT_EQ(json::parse(next->body)["frame_size"], json::array({40, 30}));
  // The late one reached the answer node after its 504, and was not answered twice.
  EXPECT_EQ(counter_when("answer", "late", 1), 1);
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

TEST_F(Serving, AClientThatLeavesCostsNoAnswerAndNoThread) {
  serve(echo_pipeline(300, 8));
  // A raw request whose client closes at once, behind one that holds the delay.
  const std::string held = jpeg_of(20, 20);
  std::thread holder([&] { post("/v1/pipelines/echo/infer", held, "image/jpeg"); });
  std::this_thread::sleep_for(50ms);
  const std::string image = jpeg_of(24, 24);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string head =
      "POST /v1/pipelines/echo/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: image/jpeg\r\nContent-Length: " +
      std::to_string(image.size()) + "\r\n\r\n";
  ASSERT_GT(write(fd, head.data(), head.size()), 0);
  ASSERT_GT(write(fd, image.data(), image.size()), 0);
  std::this_thread::sleep_for(50ms);
  close(fd);
  holder.join();
  // Noticed within 100 ms: answered for no one, then dropped before the pipeline, or
  // arriving late at the answer node; either way answered once, never twice.
  int64_t dropped = 0;
  for (int i = 0; i < 50 && dropped != 1; ++i) {
    dropped = counter("request", "abandoned") + counter("answer", "late");
    if (dropped != 1) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(dropped, 1) << "abandoned " << counter("request", "abandoned") << ", late "
                        << counter("answer", "late");
  EXPECT_EQ(counter_when("answer", "answered", 1), 1) << "the holder's answer only";
  auto next = post("/v1/pipelines/echo/infer", jpeg_of(28, 28), "image/jpeg");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

TEST_F(Serving, MalformedRequestsGetA4xxSayingWhyWhileValidOnesAreServed) {
  serve(echo_pipeline(1, 64, "max_body_mb = 1\n"));
  const std::string jpeg = jpeg_of(50, 40), png = png_of(50, 40);
  struct Bad {
    std::string method, path, body, type;
    httplib::Headers headers;
    int status;
    std::string says;
  };
  const std::string infer = "/v1/pipelines/echo/infer";
  const std::vector<Bad> corpus = {
      {"POST", infer, "", "image/jpeg", {}, 400, "no body"},
      {"POST", infer, "hello", "image/jpeg", {}, 400, "not a JPEG or PNG image"},
      {"POST", infer, jpeg.substr(0, jpeg.size() / 2), "image/jpeg", {}, 400, "truncated"},
      {"POST", infer, jpeg.substr(0, 200), "image/jpeg", {}, 400, "truncated"},
      {"POST", infer, png.substr(0, png.size() - 30), "image/png", {}, 400, "truncated"},
      {"POST", infer, png, "image/jpeg", {}, 400, "a PNG image, sent as image/jpeg"},
      {"POST", infer, jpeg, "image/png", {}, 400, "a JPEG image, sent as image/png"},
      {"POST", infer, jpeg, "text/plain", {}, 415, "is not taken"},
      {"POST", infer, jpeg, "application/json", {}, 415, "is not taken"},
      {"POST", infer, "{\"image\": 1}", "application/json", {}, 415, "is not taken"},
      {"POST", infer, std::string(1 << 20, 'x') + "y", "image/jpeg", {}, 413, "over"},
      {"POST",
       infer,
       jpeg,
       "image/jpeg",
       {{"X-Request-Timeout-Ms", "soon"}},
       400,
       "X-Request-Timeout-Ms 'soon'"},
      {"POST",
       infer,
       jpeg,
       "image/jpeg",
       {{"X-Request-Timeout-Ms", "-5"}},
       400,
       "X-Request-Timeout-Ms '-5'"},
      {"POST",
       "/v1/pipelines/nope/infer",
       jpeg,
       "image/jpeg",
       {},
       404,
       "no pipeline 'nope' here: it serves 'echo' or 'request'"},
      {"POST", "/v1/pipelines/slow/infer", jpeg, "image/jpeg", {}, 404, "no pipeline 'slow'"},
      {"GET", infer, "", "", {}, 405, "GET is not allowed"},
      {"PUT", infer, jpeg, "image/jpeg", {}, 405, "PUT is not allowed"},
      {"DELETE", infer, "", "", {}, 405, "DELETE is not allowed"},
      {"POST", "/v1/pipelines/echo", jpeg, "image/jpeg", {}, 404, "no endpoint"},
      {"POST", "/v1/pipelines/echo/infer/more", jpeg, "image/jpeg", {}, 404, "no endpoint"},
      {"POST",
       infer,
       std::string("\xFF\xD8\xFF") + std::string(300, '\0') + "\xFF\xD9",
       "image/jpeg",
       {},
       400,
       "does not decode"},
      {"POST",
       infer,
       std::string(64, '\x89'),
       "application/octet-stream",
       {},
       400,
       "not a JPEG or PNG image"},
      {"POST",
       infer,
       "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nabc\r\n--b--\r\n",
       "multipart/form-data; boundary=b",
       {},
       400,
       "not a JPEG or PNG image"},
      {"POST", infer, "--b\r\n\r\n--b--", "multipart/form-data; boundary=b", {}, 400, ""},
  };
  ASSERT_GE(corpus.size(), 20u);
  // Valid requests from two clients the whole time.
  std::atomic<bool> done{false};
  std::atomic<int> valid_right{0}, valid_wrong{0};
  std::vector<std::thread> valid;
  std::map<int, std::string> widths;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 7; ++k) widths[20 + i * 10 + k] = jpeg_of(20 + i * 10 + k, 20);
  for (int i = 0; i < 2; ++i)
    valid.emplace_back([&, i] {
      auto c = client();
      for (int k = 0; !done.load() || k < 5; ++k) {
        const int width = 20 + i * 10 + k % 7;
        auto r = c.Post(infer, widths.at(width), "image/jpeg");
        const bool ok =
            r && r->status == 200 && json::parse(r->body)["frame_size"] == json::array({width, 20});
        (ok ? valid_right : valid_wrong)++;
      }
    });
  for (const Bad& b : corpus) {
    auto c = client();
    httplib::Result r = b.method == "GET"      ? c.Get(b.path)
                        : b.method == "PUT"    ? c.Put(b.path, b.body, b.type)
                        : b.method == "DELETE" ? c.Delete(b.path)
                                               : c.Post(b.path, b.headers, b.body, b.type);
    ASSERT_TRUE(r) << b.method << " " << b.path << " (" << b.says << "): no answer";
    EXPECT_EQ(r->status, b.status) << b.says << ": " << r->body;
    ASSERT_EQ(r->get_header_value("Content-Type"), "application/json") << b.says;
    const json error = json::parse(r->body);
    EXPECT_THAT(error.value("error", ""), HasSubstr(b.says)) << r->body;
  }
  done.store(true);
  for (auto& t : valid) t.join();
  EXPECT_GE(valid_right.load(), 10);
  EXPECT_EQ(valid_wrong.load(), 0);
  ASSERT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

TEST_F(Serving, WithoutHttpAPipelineThatTakesRequestsFailsSayingHow) {
  const std::string file = dir_.write("echo.toml", echo_pipeline(0, 8));
  const auto r = run_command(sluice_cli() + " run -q '" + file + "' 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("sluice run --http HOST:PORT"));
}

}  // namespace
}  // namespace sluice::test
