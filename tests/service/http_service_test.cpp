// `sluice run --http`: the service plane of a running pipeline, through real HTTP (a
// cpp-httplib client), Prometheus' own promtool and a real Prometheus server scraping it,
// all on 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "service_fixture.h"

namespace sluice::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST_F(HttpService, HealthReadinessAndThePipelineAsJson) {
  start();
  auto health = client().Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = get_until("/readyz", [](const auto& r) { return r.status == 200; });
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;

  auto api = get_until("/api/pipeline", [](const auto& r) {
    const json j = json::parse(r.body, nullptr, false);
    return !j.is_discarded() && j["stats"]["nodes"].size() == 3 &&
           j["stats"]["nodes"][2]["processed"].get<int>() > 0;
  });
  ASSERT_TRUE(api);
  const json j = json::parse(api->body);
  EXPECT_EQ(j["nodes"][0]["name"], "src");
  EXPECT_EQ(j["nodes"][0]["params"]["fps"], "200.0");
  EXPECT_EQ(j["links"].size(), 2u);
  EXPECT_GT(j["stats"]["nodes"][2]["processed"].get<int>(), 0) << api->body;
  // Live queue depth, which the page shows beside the capacity.
  EXPECT_TRUE(j["stats"]["nodes"][1]["queues"][0].contains("depth")) << api->body;

  auto missing = client().Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(json::parse(missing->body)["error"].get<std::string>(),
              HasSubstr("no endpoint GET /nope"));
  // A body over 1 MiB is refused before it is read whole; the run goes on.
  auto big = client().Post("/api/pipeline", std::string(2 << 20, 'x'), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_THAT(big->body, HasSubstr("over 1 MiB"));
  EXPECT_EQ(client().Get("/healthz")->status, 200);
  EXPECT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

// /metrics is valid Prometheus text (promtool says so), its counters move while the run
// goes on, and a real Prometheus server scraping it reads them back through its query API.
TEST_F(HttpService, MetricsPassPromtoolAndARealPrometheusScrapesThem) {
  start();
  auto metrics = get_until("/metrics", [](const auto& r) {
    return r.body.find("sluice_node_processed_total{node=\"sink\",plugin=\"null_sink\"} 0") ==
               std::string::npos &&
           r.body.find("sluice_node_processed_total{node=\"sink\"") != std::string::npos;
  });
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* family :
       {"sluice_node_processed_total", "sluice_node_dropped_total", "sluice_node_queue_depth",
        "sluice_node_process_seconds_bucket", "sluice_node_end_to_end_seconds_count",
        "sluice_process_resident_memory_bytes", "sluice_process_threads", "sluice_process_open_fds",
        "sluice_process_heap_in_use_bytes", "sluice_process_heap_free_bytes",
        "sluice_process_uptime_seconds"})
    EXPECT_THAT(metrics->body, HasSubstr(family));
  const std::string text = dir_.write("metrics.txt", metrics->body);
  const auto promtool = run_command("promtool check metrics < " + text);
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output;

  // A Prometheus server of its own, scraping every 200 ms.
  const int prometheus_port = free_port();
  dir_.write("prometheus.yml",
             "global:\n  scrape_interval: 200ms\nscrape_configs:\n"
             "  - job_name: sluice\n    static_configs:\n"
             "      - targets: ['127.0.0.1:" +
                 std::to_string(port_) + "']\n");
  Child prometheus({"prometheus", "--config.file=" + dir_.file("prometheus.yml"),
                    "--storage.tsdb.path=" + dir_.file("tsdb"),
                    "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                   dir_.file("prometheus.log"));
  ASSERT_TRUE(wait_listening(prometheus_port, 30s)) << read_file(dir_.file("prometheus.log"));
  httplib::Client query("127.0.0.1", prometheus_port);
  double value = 0;
  for (int i = 0; i < 150 && value <= 0; ++i) {  // 30 s at most
    auto r = query.Get("/api/v1/query?query=sluice_node_processed_total%7Bnode%3D%22sink%22%7D");
    if (r && r->status == 200) {
      const json j = json::parse(r->body, nullptr, false);
      if (!j.is_discarded() && !j["data"]["result"].empty())
        value = std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
    }
    if (value <= 0) std::this_thread::sleep_for(200ms);
  }
  EXPECT_GT(value, 0) << read_file(dir_.file("prometheus.log"));
  EXPECT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

// Beyond loopback a token is required, and then every request but /healthz carries it.
TEST_F(HttpService, ATokenGuardsEverythingButHealthAndThePage) {
  const auto refused = run_sluice("run -q " + dir_.write("live.toml", kLive) +
                                  " --http 0.0.0.0:" + std::to_string(free_port()));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.output, HasSubstr("is not a loopback address: serving it needs a token"));

  start({"--http-token", "s3cret"});
  auto c = client();
  ASSERT_TRUE(c.Get("/healthz"));
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  auto bare = c.Get("/metrics");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 401);
  EXPECT_THAT(bare->body, HasSubstr("Authorization: Bearer"));
  auto wrong = c.Get("/metrics", {{"Authorization", "Bearer nope"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto right = c.Get("/metrics", {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  // The page holds nothing secret (it reads the token from its #token=... address).
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  for (const char* path :
       {"/api/pipeline", "/api/nodes/src/streams", "/preview/src", "/preview/src/latest.jpg"}) {
    auto guarded = c.Get(path);
    ASSERT_TRUE(guarded) << path;
    EXPECT_EQ(guarded->status, 401) << path;
  }
  auto post = c.Post("/api/nodes/src/streams", R"({"uri": "x"})", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 401);
  EXPECT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

TEST_F(HttpService, BadAddressesAreOneLineErrors) {
  const std::string file = dir_.write("live.toml", kLive);
  for (const std::string bad : {"127.0.0.1:99999", "127.0.0.1:http", "nowhere:"}) {
    const auto r = run_sluice("run -q " + file + " --http " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_THAT(r.output, HasSubstr("http address '" + bad + "': write HOST:PORT")) << bad;
  }
  // A port in use.
  start();
  const auto taken = run_sluice("run -q " + file + " --http 127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(taken.exit_code, 2);
  EXPECT_THAT(taken.output, HasSubstr("cannot serve http on 127.0.0.1:" + std::to_string(port_)));
  // The pipeline file may name the address too.
  EXPECT_EQ(stop(), 0);
  const auto from_file = run_sluice(
      "validate " + dir_.write("with_http.toml", std::string(kLive).replace(
                                                     0, 10, "[pipeline]\nhttp = \"127.0.0.1:0\"")));
  EXPECT_EQ(from_file.exit_code, 0) << from_file.output;
}

// Answers on a kept-alive connection come at once. cpp-httplib writes a response's head and
// its body apart; with Nagle's algorithm on (its default) the body waited for the client's
// delayed acknowledgement of the head, 40 ms on Linux, so every answer after a
// connection's first few was 40 ms late. Counted, not timed against a budget: with the
// delay nearly all of the last 20 answers take 40 ms or more; without it, a loaded
// machine may slow a few.
TEST_F(HttpService, AnswersOnAKeptAliveConnectionAreNotHeldBackByNagle) {
  start();
  auto c = client();
  c.set_keep_alive(true);
  int slow = 0;
  for (int i = 0; i < 60; ++i) {
    const auto begin = std::chrono::steady_clock::now();
    const auto r = c.Get("/healthz");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    if (i >= 40 && std::chrono::steady_clock::now() - begin >= 35ms) ++slow;
  }
  EXPECT_LE(slow, 5) << "of the last 20 answers on one connection, " << slow
                     << " took 35 ms or more";
  EXPECT_EQ(stop(), 0) << read_file(dir_.file("sluice.log"));
}

}  // namespace
}  // namespace sluice::test
