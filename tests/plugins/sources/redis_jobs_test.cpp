// redis_source and redis_sink against a real redis-server on 127.0.0.1: jobs read through
// a consumer group, a stream each, acknowledged only once every sink is done; jobs left by
// a worker that stopped are claimed by another, and go to the dead-letter stream after
// max_deliveries; results are written a record per frame plus a final record per job.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <thread>

#include "job.h"
#include "redis_source.h"
#include "redis_support.h"
#include "sluice/testing/node_harness.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A short clip made by ffmpeg's test source (no assets needed): `frames` frames, 64x48.
std::string test_clip(const test::TempDir& dir, const std::string& name, int frames) {
  const std::string path = dir.file(name);
  const auto r = test::run_command(
      "ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=64x48:rate=10 "
      "-frames:v " +
      std::to_string(frames) + " -c:v mjpeg '" + path + "'");
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + r.output);
  return path;
}

std::string jpeg_bytes() {
  std::vector<unsigned char> bytes;
  cv::Mat image(24, 32, CV_8UC3, cv::Scalar(10, 200, 30));
  cv::imencode(".jpg", image, bytes);
  return std::string(bytes.begin(), bytes.end());
}

class RedisJobs : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::RedisServer server{dir.path().string()};
  std::unique_ptr<sources::RedisClient> redis = server.client();

  std::string submit(const json& job, const std::string& image = "") {
    std::vector<std::string> args = {"XADD", "sluice:jobs", "*", "job", job.dump()};
    if (!image.empty()) args.insert(args.end(), {"image", image});
    return test::redis_do(*redis, args).view().text();
  }
  std::string params(const std::string& extra = "") const {
    return "port = " + std::to_string(server.port()) + "\n" + extra;
  }
  int64_t pending() {
    return test::redis_do(*redis, {"XPENDING", "sluice:jobs", "sluice"}).view()[0].integer();
  }
  // The deliveries and owner of pending entry `id`.
  std::pair<int64_t, std::string> pending_entry(const std::string& id) {
    const auto r = test::redis_do(*redis, {"XPENDING", "sluice:jobs", "sluice", id, id, "1"});
    return {r.view()[0][3].integer(), r.view()[0][1].text()};
  }
  // The dead-letter stream's entries, as field maps.
  std::vector<std::map<std::string, std::string>> dead_letters() {
    const auto r = test::redis_do(*redis, {"XRANGE", "sluice:jobs:dead", "-", "+"});
    std::vector<std::map<std::string, std::string>> out;
    for (std::size_t i = 0; i < r.view().size(); ++i) {
      std::map<std::string, std::string> fields;
      const auto f = r.view()[i][1];
      for (std::size_t j = 0; j + 1 < f.size(); j += 2) fields[f[j].text()] = f[j + 1].text();
      out.push_back(fields);
    }
    return out;
  }
};

// Calls process() until `done`, at most `limit`.
template <class F>
bool run_until(NodeHarness& h, F done, std::chrono::milliseconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    if (!h.run_source(1).ok()) return false;
  }
  return true;
}

std::vector<StreamEnd> ends_of(const NodeHarness& h) {
  std::vector<StreamEnd> ends;
  for (const auto& e : h.stream_events())
    if (!e.started) ends.push_back(e.stream);
  return ends;
}

// Frames pulled so far, counted per stream id.
std::map<uint32_t, int> drain(NodeHarness& h, std::map<uint32_t, int>& counts) {
  while (h.pending(sources::RedisSource::kOut.name) > 0)
    ++counts[h.pull(sources::RedisSource::kOut).header().stream_id];
  return counts;
}

TEST(JobEntry, TakesAUriOrAnInlineImageAndSaysWhatIsWrongWithOthers) {
  using F = std::vector<std::pair<std::string, std::string>>;
  auto job = sources::parse_job("1-0", F{{"job", R"({"id":"a","uri":"x.mp4","camera":3})"}});
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(job->id, "a");
  EXPECT_EQ(job->uri, "x.mp4");
  job = sources::parse_job("1-1", F{{"job", R"({"id":17})"}, {"image", "\xff\xd8"}});
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(job->id, "17");
  EXPECT_EQ(job->image.size(), 2u);
  const std::vector<std::pair<F, std::string>> bad = {
      {F{{"uri", "x"}}, "entry 2-0: no \"job\" field"},
      {F{{"job", "{not json"}}, "entry 2-0: the \"job\" field is not JSON"},
      {F{{"job", "[1]"}}, "not a JSON object"},
      {F{{"job", R"({"uri":"x.mp4"})"}}, "the job has no \"id\""},
      {F{{"job", R"({"id":1.5,"uri":"x"})"}}, "neither a string nor an integer"},
      {F{{"job", R"({"id":""})"}}, "\"id\" is empty"},
      {F{{"job", R"({"id":"a"})"}}, "job \"a\": neither a \"uri\" nor an \"image\" field"},
      {F{{"job", R"({"id":"a","uri":7})"}}, "\"uri\" is not a non-empty string"},
      {F{{"job", R"({"id":"a","uri":"x"})"}, {"image", "y"}}, "both a \"uri\" and an \"image\""}};
  for (const auto& [fields, message] : bad) {
    const auto r = sources::parse_job("2-0", fields);
    ASSERT_FALSE(r.ok()) << message;
    EXPECT_THAT(r.status().message(), HasSubstr(message));
  }
}

TEST_F(RedisJobs, EachJobIsAStreamOfItsOwnAcknowledgedOnlyOnceEverySinkIsDone) {
  submit({{"id", "five"}, {"uri", test_clip(dir, "a.avi", 5)}});
  submit({{"id", "three"}, {"uri", test_clip(dir, "b.avi", 3)}});
  submit({{"id", "photo"}}, jpeg_bytes());
  auto h = NodeHarness::load("redis_source", params("max_jobs = 4\nconsumer = \"w1\"\n"));
  std::map<uint32_t, int> frames;
  ASSERT_TRUE(run_until(h, [&] { return ends_of(h).size() == 3; }));
  drain(h, frames);
  std::multiset<int> counts;
  for (const auto& [stream, n] : frames) counts.insert(n);
  EXPECT_EQ(counts, (std::multiset<int>{1, 3, 5}));
  for (const auto& end : ends_of(h)) EXPECT_EQ(end.reason, "end");
  // Read, but no sink is done with them yet: still pending.
  EXPECT_EQ(pending(), 3);
  for (const auto& end : ends_of(h)) ASSERT_TRUE(h.stream_done(end).ok());
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(h.counters().at("jobs"), 3);
  EXPECT_EQ(h.counters().at("jobs_acked"), 3);
}

TEST_F(RedisJobs, AJobWhoseMediaCannotBeReadEndsFailedIsAcknowledgedAndHoldsUpNoOther) {
  submit({{"id", "missing"}, {"uri", dir.file("nope.mp4")}});
  submit({{"id", "garbage"}}, "not an image at all");
  submit({{"id", "fine"}, {"uri", test_clip(dir, "a.avi", 2)}});
  auto h = NodeHarness::load("redis_source", params("max_jobs = 1\n"));
  std::size_t done = 0;
  ASSERT_TRUE(run_until(h, [&] {
    const auto ends = ends_of(h);
    for (; done < ends.size(); ++done) (void)h.stream_done(ends[done]);  // a quick sink
    return h.counters().count("jobs_acked") && h.counters().at("jobs_acked") == 3;
  }));
  const auto ends = ends_of(h);
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_THAT(ends[0].reason, StartsWith("failed: "));
  EXPECT_THAT(ends[0].reason, HasSubstr("nope.mp4': no such file"));
  EXPECT_THAT(ends[1].reason, HasSubstr("cannot decode the job's inline image"));
  EXPECT_EQ(ends[2].reason, "end");
  EXPECT_EQ(h.counters().at("jobs_failed"), 2);
  EXPECT_EQ(pending(), 0);
  EXPECT_TRUE(dead_letters().empty());
}

TEST_F(RedisJobs, AJobLeftByAStoppedWorkerIsClaimedByAnotherAndDoneAgain) {
  const std::string id = submit({{"id", "clip"}, {"uri", test_clip(dir, "a.avi", 4)}});
  {
    auto a = NodeHarness::load("redis_source", params("consumer = \"a\"\nclaim_idle_ms = 200\n"));
    ASSERT_TRUE(run_until(a, [&] { return a.pending("out") > 0; }));
    // The run stops before the job is finished: its stream ends "stopped", not acknowledged.
    StreamEnd stopped = a.stream_events().at(0).stream;
    stopped.reason = "stopped";
    ASSERT_TRUE(a.stream_done(stopped).ok());
    EXPECT_EQ(a.counters().at("left_pending"), 1);
    ASSERT_TRUE(a.close().ok());
  }
  EXPECT_EQ(pending_entry(id), (std::pair<int64_t, std::string>{1, "a"}));
  auto b = NodeHarness::load("redis_source", params("consumer = \"b\"\nclaim_idle_ms = 200\n"));
  std::map<uint32_t, int> frames;
  ASSERT_TRUE(run_until(b, [&] { return ends_of(b).size() == 1; }));
  drain(b, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames.begin()->second, 4);  // the whole job again, from its first frame
  EXPECT_EQ(b.counters().at("jobs_claimed"), 1);
  EXPECT_EQ(pending_entry(id), (std::pair<int64_t, std::string>{2, "b"}));
  ASSERT_TRUE(b.stream_done(ends_of(b)[0]).ok());
  EXPECT_EQ(pending(), 0);
}

TEST_F(RedisJobs, AJobHandedOutMoreThanMaxDeliveriesGoesToTheDeadLetterStream) {
  const std::string id = submit({{"id", "poison"}, {"uri", test_clip(dir, "a.avi", 2)}});
  const std::string settings = "claim_idle_ms = 100\nmax_deliveries = 2\n";
  for (const char* worker : {"a", "b"}) {  // each takes it and dies with it
    auto w =
        NodeHarness::load("redis_source", params(settings + "consumer = \"" + worker + "\"\n"));
    ASSERT_TRUE(run_until(w, [&] { return ends_of(w).size() == 1; }));
    std::this_thread::sleep_for(150ms);  // then its entry lies idle
    EXPECT_EQ(pending_entry(id).second, worker);
  }
  auto c = NodeHarness::load("redis_source", params(settings + "consumer = \"c\"\n"));
  ASSERT_TRUE(run_until(c, [&] { return pending() == 0; }));
  ASSERT_EQ(dead_letters().size(), 1u);
  EXPECT_EQ(c.counters().at("dead_letters"), 1);
  EXPECT_TRUE(ends_of(c).empty());  // not started a third time
  const auto dead = dead_letters()[0];
  EXPECT_EQ(dead.at("entry"), id);
  EXPECT_THAT(dead.at("job"), HasSubstr("\"poison\""));
  EXPECT_THAT(dead.at("error"), HasSubstr("handed out 3 times (max_deliveries = 2)"));
  EXPECT_EQ(pending(), 0);
}

TEST_F(RedisJobs, AMalformedEntryGoesToTheDeadLetterStreamAndTheOthersGoOn) {
  test::redis_do(*redis, {"XADD", "sluice:jobs", "*", "job", "{broken"});
  submit({{"id", "fine"}, {"uri", test_clip(dir, "a.avi", 2)}});
  auto h = NodeHarness::load("redis_source", params());
  ASSERT_TRUE(run_until(h, [&] { return ends_of(h).size() == 1; }));
  ASSERT_TRUE(h.stream_done(ends_of(h)[0]).ok());
  ASSERT_EQ(dead_letters().size(), 1u);
  EXPECT_THAT(dead_letters()[0].at("error"), HasSubstr("the \"job\" field is not JSON"));
  EXPECT_EQ(pending(), 0);
}

TEST_F(RedisJobs, ALongJobIsNeverTakenFromAWorkerThatIsStillAtIt) {
  submit({{"id", "long"}, {"uri", test_clip(dir, "a.avi", 2)}});
  const std::string settings = "claim_idle_ms = 300\n";
  auto a = NodeHarness::load("redis_source", params(settings + "consumer = \"a\"\n"));
  auto b = NodeHarness::load("redis_source", params(settings + "consumer = \"b\"\n"));
  ASSERT_TRUE(run_until(a, [&] { return ends_of(a).size() == 1; }));
  // a's sinks take long; a touches the job while b looks for abandoned ones, for 4x the idle
  // time.
  const auto end = std::chrono::steady_clock::now() + 1200ms;
  while (std::chrono::steady_clock::now() < end) {
    ASSERT_TRUE(a.run_source(1).ok());
    ASSERT_TRUE(b.run_source(1).ok());
  }
  EXPECT_FALSE(b.counters().contains("jobs_claimed"));
  EXPECT_TRUE(ends_of(b).empty());
  ASSERT_TRUE(a.stream_done(ends_of(a)[0]).ok());
  EXPECT_EQ(pending(), 0);
}

TEST_F(RedisJobs, WhenIdleEndEndsTheSourceOnceNoJobIsLeftAnywhere) {
  submit({{"id", "one"}, {"uri", test_clip(dir, "a.avi", 2)}});
  auto h = NodeHarness::load("redis_source", params("when_idle = \"end\"\nblock_ms = 100\n"));
  ASSERT_TRUE(run_until(h, [&] { return ends_of(h).size() == 1; }));
  // Still in hand (no sink is done with it): the source waits, each call blocking 100 ms.
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(h.run_source(5).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 250ms);
  ASSERT_TRUE(h.stream_done(ends_of(h)[0]).ok());
  // Done, and nothing pending anywhere: the next call ends the source (not 200 x 100 ms).
  t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(h.run_source(200).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(RedisJobs, AServerThatCannotBeReachedAtStartIsASetUpErrorNamingIt) {
  const int port = test::free_port();
  auto h = NodeHarness::try_load("redis_source", "port = " + std::to_string(port) + "\n");
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(),
              HasSubstr("redis 127.0.0.1:" + std::to_string(port) +
                        " (stream 'sluice:jobs'): cannot connect: Connection refused"));
  auto sink = NodeHarness::try_load("redis_sink", "port = " + std::to_string(port) + "\n");
  ASSERT_FALSE(sink.ok());
  EXPECT_THAT(sink.status().message(), HasSubstr("(stream 'sluice:results'): cannot connect"));
  auto env =
      NodeHarness::try_load("redis_source", params("password_env = \"SLUICE_NO_SUCH_VAR\"\n"));
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(env.status().message(), HasSubstr("SLUICE_NO_SUCH_VAR is not set"));
}

TEST(RedisJobsRestart, AWorkerGoesOnThroughARestartOfTheServerAndLosesNothing) {
  test::TempDir dir;
  test::RedisServer server(dir.path().string(), /*appendonly=*/true);
  auto redis = server.client();
  auto submit = [&](const std::string& id) {
    test::redis_do(*redis, {"XADD", "sluice:jobs", "*", "job",
                            json{{"id", id}, {"uri", test_clip(dir, id + ".avi", 3)}}.dump()});
  };
  submit("before");
  auto h = NodeHarness::load("redis_source", "port = " + std::to_string(server.port()) +
                                                 "\nreconnect_initial_ms = 50\nblock_ms = 100\n");
  ASSERT_TRUE(run_until(h, [&] { return ends_of(h).size() == 1; }));
  server.stop();
  // Away: the job's acknowledgement waits, calls return (no hang), nothing fails.
  ASSERT_TRUE(h.stream_done(ends_of(h)[0]).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(h.run_source(1).ok());
  server.start();
  redis = server.client();
  submit("after");
  ASSERT_TRUE(run_until(h, [&] { return ends_of(h).size() == 2; }));
  ASSERT_TRUE(h.stream_done(ends_of(h)[1]).ok());
  // Both acknowledged: the first once the server was back.
  EXPECT_EQ(test::redis_do(*redis, {"XPENDING", "sluice:jobs", "sluice"}).view()[0].integer(), 0);
  EXPECT_EQ(test::redis_do(*redis, {"XLEN", "sluice:jobs"}).view().integer(), 2);
  EXPECT_GE(h.counters().at("redis_reconnects"), 1);
}

TEST(RedisJobsRestart, AServerThatLostItsDataGetsTheGroupMadeAgainAndNewJobsAreDone) {
  test::TempDir dir;
  test::RedisServer server(dir.path().string(), /*appendonly=*/false);
  auto h = NodeHarness::load("redis_source", "port = " + std::to_string(server.port()) +
                                                 "\nreconnect_initial_ms = 50\nblock_ms = 100\n");
  ASSERT_TRUE(h.run_source(2).ok());
  server.stop();
  server.start();  // empty: no stream, no group
  auto redis = server.client();
  test::redis_do(*redis, {"XADD", "sluice:jobs", "*", "job",
                          json{{"id", "new"}, {"uri", test_clip(dir, "a.avi", 2)}}.dump()});
  ASSERT_TRUE(run_until(h, [&] { return ends_of(h).size() == 1; }));
  ASSERT_TRUE(h.stream_done(ends_of(h)[0]).ok());
  EXPECT_EQ(test::redis_do(*redis, {"XPENDING", "sluice:jobs", "sluice"}).view()[0].integer(), 0);
}

// Whole runs of `sluice run`: the source, a sink, the results stream.
TEST_F(RedisJobs, ARunWritesARecordPerFrameAndOneFinalRecordPerJob) {
  submit({{"id", "clip"}, {"uri", test_clip(dir, "a.avi", 3)}});
  submit({{"id", "missing"}, {"uri", dir.file("nope.avi")}});
  submit({{"id", "photo"}}, jpeg_bytes());
  const std::string pipeline = dir.write("jobs.toml", R"(
[pipeline]
name = "jobs"
links = ["jobs -> results.frame"]
[nodes.jobs]
plugin = "redis_source"
port = )" + std::to_string(server.port()) + R"(
consumer = "w1"
when_idle = "end"
[nodes.results]
plugin = "redis_sink"
port = )" + std::to_string(server.port()) + "\n");
  const auto r = test::run_sluice("run " + pipeline);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto entries = test::redis_do(*redis, {"XRANGE", "sluice:results", "-", "+"});
  std::map<std::string, std::vector<std::string>> seqs;  // per job
  std::map<std::string, json> finals;
  for (std::size_t i = 0; i < entries.view().size(); ++i) {
    std::map<std::string, std::string> f;
    const auto fields = entries.view()[i][1];
    for (std::size_t j = 0; j + 1 < fields.size(); j += 2)
      f[fields[j].text()] = fields[j + 1].text();
    const json record = json::parse(f.at("record"));
    EXPECT_EQ(record.at("job"), f.at("job"));
    if (f.at("seq") == "final")
      finals[f.at("job")] = record;
    else
      seqs[f.at("job")].push_back(f.at("seq"));
  }
  EXPECT_EQ(seqs["clip"], (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(seqs["photo"], (std::vector<std::string>{"0"}));
  EXPECT_FALSE(seqs.contains("missing"));
  ASSERT_EQ(finals.size(), 3u);
  EXPECT_EQ(finals["clip"].at("status"), "done");
  EXPECT_EQ(finals["clip"].at("frames"), 3);
  EXPECT_EQ(finals["clip"].at("worker"), "w1");
  EXPECT_EQ(finals["clip"].at("deliveries"), 1);
  EXPECT_EQ(finals["photo"].at("status"), "done");
  EXPECT_EQ(finals["missing"].at("status"), "failed");
  EXPECT_THAT(finals["missing"].at("error").get<std::string>(),
              HasSubstr("nope.avi': no such file"));
  EXPECT_EQ(pending(), 0);
}

}  // namespace
}  // namespace sluice::testing
