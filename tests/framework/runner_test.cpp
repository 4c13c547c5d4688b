// Whole pipelines run in-process: end of stream, fan-out, merge, matched inputs,
// replicas, errors, skips, drops, stop-and-drain, statistics.
#include "runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "keep_freed_memory.h"
#include "runner_fixture.h"
#include "test_support.h"

namespace sluice::runtime {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST_F(RunnerTest, ChainRunsToEndOfStreamAndCountsEverything) {
  const RunReport r = run(R"([pipeline]
links = ["src -> a -> b -> c -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 500
streams = 3
[nodes.a]
plugin = "passthrough"
[nodes.b]
plugin = "passthrough"
[nodes.c]
plugin = "passthrough"
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_FALSE(r.interrupted);
  const json c = counts();
  EXPECT_EQ(c["total"], 1500);
  for (const char* s : {"0", "1", "2"}) {
    EXPECT_EQ(c["streams"][s]["count"], 500);
    EXPECT_EQ(c["streams"][s]["in_order"], true);
  }
  EXPECT_EQ(node(r, "src").emitted, 1500);
  EXPECT_EQ(node(r, "b").processed, 1500);
  EXPECT_EQ(node(r, "count").processed, 1500);
  EXPECT_EQ(node(r, "count").end_to_end.count(), 1500);
  EXPECT_LE(node(r, "b").queues[0].high_water, 8);
  EXPECT_EQ(node(r, "b").dropped(), 0);
}

TEST_F(RunnerTest, FanOutGivesEveryConsumerEveryPacket) {
  const RunReport r = run(R"([pipeline]
links = ["src -> a", "src -> slow -> b"]
[nodes.src]
plugin = "synthetic_source"
frames = 200
[nodes.slow]
plugin = "delay"
ms = 0.1
[nodes.a]
plugin = "count_sink"
path = "a.json"
print = false
[nodes.b]
plugin = "count_sink"
path = "b.json"
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(counts("a.json")["total"], 200);
  EXPECT_EQ(counts("b.json")["total"], 200);
}

TEST_F(RunnerTest, MergeGivesEachSourceItsOwnStreamIds) {
  const RunReport r = run(R"([pipeline]
links = ["cam1 -> count", "cam2 -> count"]
[nodes.cam1]
plugin = "synthetic_source"
frames = 100
streams = 2
[nodes.cam2]
plugin = "synthetic_source"
frames = 50
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const json c = counts();
  EXPECT_EQ(c["total"], 250);
  EXPECT_EQ(c["streams"]["0"]["count"], 100);
  EXPECT_EQ(c["streams"]["1"]["count"], 100);
  EXPECT_EQ(c["streams"]["2"]["count"], 50);
  EXPECT_EQ(c["streams"]["2"]["in_order"], true);
}

TEST_F(RunnerTest, SeveralRequiredInputsAreMatchedByStreamAndFrame) {
  const RunReport r = run(R"([pipeline]
links = ["src -> slow -> zip.a", "src -> zip.b", "src -> pass -> zip.c", "zip -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 300
streams = 2
[nodes.slow]
plugin = "delay"
ms = 0.05
jitter_ms = 0.2
[nodes.pass]
plugin = "passthrough"
[nodes.zip]
plugin = "zip_check"
queue = { capacity = 4 }
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(counts()["total"], 600);
  EXPECT_EQ(node(r, "zip").errors, 0);
}

TEST_F(RunnerTest, SubPacketsAreMatchedPerPartAndGatheredByUnmatchedInputs) {
  const RunReport r = run(R"([pipeline]
links = ["src -> split -> slow -> zip.a", "split -> zip.b", "zip -> gather.parts",
         "src -> gather.whole", "gather -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 60
streams = 2
[nodes.split]
plugin = "split"
parts = 3
[nodes.slow]
plugin = "delay"
ms = 0.05
jitter_ms = 0.3
replicas = 3
[nodes.zip]
plugin = "zip_check"
[nodes.gather]
plugin = "gather"
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(node(r, "zip").processed, 360);  // each part matched with its own twin
  EXPECT_EQ(node(r, "gather").processed, 480);
  const json c = counts();
  EXPECT_EQ(c["total"], 120);  // every frame gathered all three parts
  EXPECT_EQ(c["streams"]["0"]["in_order"], true);
}

TEST_F(RunnerTest, ReplicasRunInParallelAndKeepPerStreamOrder) {
  const RunReport r = run(R"([pipeline]
links = ["src -> work -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 150
streams = 3
[nodes.work]
plugin = "delay"
ms = 2
jitter_ms = 2
replicas = 4
[nodes.count]
plugin = "count_sink"
path = "counts.json"
record_seqs = true
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const json c = counts();
  EXPECT_EQ(c["total"], 450);
  for (const char* s : {"0", "1", "2"}) {
    EXPECT_EQ(c["streams"][s]["in_order"], true) << "stream " << s;
    EXPECT_EQ(c["streams"][s]["count"], 150);
  }
  EXPECT_EQ(node(r, "work").replicas, 4);
  EXPECT_EQ(node(r, "work").processed, 450);
  // The replicas overlap: the node's span is well under its packets' own time end to end
  // (about a quarter with 4 replicas; one at a time would be about 1). Relative to the
  // measured time inside process(), so a loaded machine or a sanitizer slows both sides.
  // Each packet sleeps 2 to 4 ms: long beside what the source and the queues cost, which a
  // loaded machine slows too (with 0.2 to 2.2 ms this failed now and then under load).
  const NodeReport& work = node(r, "work");
  const double one_at_a_time_s =
      static_cast<double>(work.processed) * work.latency.quantile_ns(0.5) / 1e9;
  EXPECT_LT(work.active_s, 0.6 * one_at_a_time_s)
      << "one at a time would take about " << one_at_a_time_s << " s";
}

TEST_F(RunnerTest, AFailingNodeStopsTheRunNamingNodeStreamAndFrame) {
  for (const char* how : {"status", "throw"}) {
    const RunReport r = run(std::string(R"([pipeline]
links = ["src -> boom -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
[nodes.boom]
plugin = "fail"
at_frames = [17]
how = ")") + how + R"("
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
    ASSERT_FALSE(r.status.ok()) << how;
    EXPECT_THAT(r.status.message(), HasSubstr("node 'boom' (fail) failed on stream 0 frame 17"));
    EXPECT_THAT(r.status.message(), HasSubstr("failure injected by the fail node"));
    if (std::string(how) == "throw") {
      EXPECT_THAT(r.status.message(), HasSubstr("process threw"));
    }
    EXPECT_FALSE(r.interrupted);
    EXPECT_EQ(node(r, "boom").errors, 1);
    // The sink was still closed: its file exists, holding at most the frames before 17.
    EXPECT_LE(counts()["total"].get<int>(), 17);
  }
}

TEST_F(RunnerTest, SkipDropsTheFailingPacketCountsItAndGoesOn) {
  const RunReport r = run(R"([pipeline]
links = ["src -> boom -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 100
[nodes.boom]
plugin = "fail"
at_frames = [3, 50, 99]
on_error = "skip"
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(counts()["total"], 97);
  EXPECT_EQ(node(r, "boom").errors, 3);
  EXPECT_EQ(node(r, "boom").processed, 97);
}

TEST_F(RunnerTest, OpenProcessAndCloseOfAnInstanceRunOnItsOwnThread) {
  const RunReport r = run(R"([pipeline]
links = ["src -> check -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 40
[nodes.check]
plugin = "same_thread"
replicas = 2
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(node(r, "check").processed, 40);
  EXPECT_EQ(counts()["total"], 40);
}

TEST_F(RunnerTest, FailingOpenEndsTheRunBeforeAnyPacketFlows) {
  const RunReport r = run(R"([pipeline]
links = ["src -> boom -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
[nodes.boom]
plugin = "fail"
stage = "open"
how = "throw"
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(),
              HasSubstr("node 'boom' (fail) failed: open threw: failure injected"));
  EXPECT_EQ(node(r, "src").emitted, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("counts.json")));  // count was never opened
}

TEST_F(RunnerTest, FailingCloseIsReported) {
  const RunReport r = run(R"([pipeline]
links = ["src -> boom -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 10
[nodes.boom]
plugin = "fail"
stage = "close"
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("node 'boom' (fail) failed: close: failure injected"));
  // After a failure, what is still queued is discarded, but the sink is closed properly.
  EXPECT_LE(counts()["total"].get<int>(), 10);
}

TEST_F(RunnerTest, FailingSourceAndThrowingConstructorAreErrors) {
  RunReport r = run(R"([pipeline]
links = ["src -> count"]
[nodes.src]
plugin = "failing_source"
throw = true
[nodes.count]
plugin = "null_sink"
)");
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("node 'src' (failing_source) failed"));
  EXPECT_THAT(r.status.message(), HasSubstr("source exploded"));

  r = run(R"([pipeline]
links = ["src -> c"]
[nodes.src]
plugin = "synthetic_source"
[nodes.c]
plugin = "ctor_throws"
)");
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("constructor refused"));
}

TEST_F(RunnerTest, SourceErrorsCanBeSkipped) {
  const RunReport r = run(R"([pipeline]
links = ["src -> count"]
[nodes.src]
plugin = "failing_source"
at_frame = 4
frames = 10
on_error = "skip"
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(counts()["total"], 9);
  EXPECT_EQ(node(r, "src").errors, 1);
}

TEST_F(RunnerTest, BatchingNodesGetSeveralSetsAcrossStreamsAndSplitResultsBack) {
  const RunReport r = run(R"([pipeline]
links = ["cams -> model -> count"]
[nodes.cams]
plugin = "synthetic_source"
frames = 100
streams = 4
[nodes.model]
plugin = "batcher"
max_batch = 8
max_delay_ms = 20
queue = { capacity = 16 }
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const NodeReport& model = node(r, "model");
  EXPECT_EQ(model.processed, 400);
  EXPECT_EQ(model.counters.at("largest_batch"), 8);
  EXPECT_LT(model.counters.at("calls"), 400 / 2);  // mostly full batches
  const json c = counts();
  EXPECT_EQ(c["total"], 400);
  for (const char* s : {"0", "1", "2", "3"}) EXPECT_EQ(c["streams"][s]["in_order"], true);
}

TEST_F(RunnerTest, ABatchWaitsNoLongerThanMaxDelay) {
  // 20 frames/s: a batch of 8 would take 400 ms to fill; max_delay_ms = 5 sends each alone.
  const RunReport r = run(R"([pipeline]
links = ["cam -> model -> sink"]
[nodes.cam]
plugin = "synthetic_source"
frames = 6
fps = 20
[nodes.model]
plugin = "batcher"
max_batch = 8
max_delay_ms = 5
[nodes.sink]
plugin = "null_sink"
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(node(r, "model").counters.at("largest_batch"), 1);
  EXPECT_EQ(node(r, "model").counters.at("calls"), 6);
  EXPECT_LT(node(r, "sink").end_to_end.quantile_ns(0.99), 100e6);
}

TEST_F(RunnerTest, NodeCountersAreReported) {
  const RunReport r = run(R"([pipeline]
links = ["src -> sub"]
[nodes.src]
plugin = "synthetic_source"
frames = 12
[nodes.sub]
plugin = "counting_sink"
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(node(r, "sub").counters.at("even_frames"), 6);
  EXPECT_THAT(format_table(r), HasSubstr("sub: even_frames = 6"));
  EXPECT_EQ(nlohmann::json::parse(to_json(r))["nodes"][1]["counters"]["even_frames"], 6);
}

TEST_F(RunnerTest, StopDrainsInFlightPacketsAndClosesSinks) {
  const RunReport r = run(R"([pipeline]
links = ["src -> slow -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
[nodes.slow]
plugin = "delay"
ms = 1
queue = { capacity = 16 }
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)",
                          [](Runner& runner) {
                            std::this_thread::sleep_for(std::chrono::milliseconds(300));
                            runner.request_stop();
                          });
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_TRUE(r.interrupted);
  const int64_t emitted = node(r, "src").emitted;
  EXPECT_GT(emitted, 10);
  // Everything the source emitted went through the slow stage into the sink's file.
  EXPECT_EQ(counts()["total"].get<int64_t>(), emitted);
  EXPECT_EQ(node(r, "slow").dropped(), 0);
}

TEST_F(RunnerTest, DropPoliciesCountExactlyWhatTheyDrop) {
  for (const char* policy : {"drop_oldest", "drop_newest"}) {
    const RunReport r = run(std::string(R"([pipeline]
links = ["src -> slow -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 3000
[nodes.slow]
plugin = "delay"
ms = 0.02
queue = { capacity = 2, overflow = ")") +
                            policy + R"(" }
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
)");
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const int64_t received = counts()["total"];
    const NodeReport& slow = node(r, "slow");
    EXPECT_GT(slow.dropped(), 0) << policy;
    EXPECT_EQ(received + slow.queues[0].dropped, 3000) << policy;
    EXPECT_EQ(slow.processed, received);
    EXPECT_LE(slow.queues[0].high_water, 2);
    EXPECT_EQ(counts()["streams"]["0"]["in_order"], true);
  }
}

class RunnerCapacity : public RunnerTest, public ::testing::WithParamInterface<int> {};

TEST_P(RunnerCapacity, BlockLosesNothingAtAnyCapacity) {
  const std::string cap = std::to_string(GetParam());
  const RunReport r = run(R"([pipeline]
links = ["src -> a -> b -> slow -> c -> count", "b -> count2"]
[nodes.src]
plugin = "synthetic_source"
frames = 400
streams = 2
[nodes.a]
plugin = "passthrough"
queue = { capacity = )" + cap +
                          R"( }
[nodes.b]
plugin = "passthrough"
queue = { capacity = )" + cap +
                          R"( }
[nodes.slow]
plugin = "delay"
ms = 0.01
replicas = 2
queue = { capacity = )" + cap +
                          R"( }
[nodes.c]
plugin = "passthrough"
queue = { capacity = )" + cap +
                          R"( }
[nodes.count]
plugin = "count_sink"
path = "counts.json"
print = false
queue = { capacity = )" + cap +
                          R"( }
[nodes.count2]
plugin = "count_sink"
path = "counts2.json"
print = false
queue = { capacity = )" + cap +
                          R"( }
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(counts()["total"], 800);
  EXPECT_EQ(counts("counts2.json")["total"], 800);
  EXPECT_EQ(counts()["streams"]["0"]["in_order"], true);
  EXPECT_EQ(counts()["streams"]["1"]["in_order"], true);
  for (const auto& n : r.nodes)
    for (const auto& q : n.queues) EXPECT_LE(q.high_water, GetParam()) << n.name;
}

INSTANTIATE_TEST_SUITE_P(Capacities, RunnerCapacity, ::testing::Values(1, 2, 64),
                         [](const auto& info) { return "capacity" + std::to_string(info.param); });

TEST_F(RunnerTest, ProgressKnowsTheExpectedLength) {
  Pipeline p = build(R"([pipeline]
links = ["src -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 20
streams = 2
fps = 100
[nodes.sink]
plugin = "null_sink"
)");
  Runner runner(p);
  auto result = std::async(std::launch::async, [&] { return runner.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const Progress progress = runner.progress();
  EXPECT_EQ(progress.expected, 40);
  EXPECT_GT(progress.frames, 0);
  ASSERT_EQ(result.wait_for(kTimeout), std::future_status::ready);
  EXPECT_EQ(runner.progress().frames, 40);
  EXPECT_TRUE(result.get().status.ok());
}

// Memory stays flat wherever the runtime runs, not only under the `sluice` command: a run
// asks malloc to keep freed memory (once per process; this test process has no opt-out).
TEST_F(RunnerTest, ARunKeepsFreedMemoryForReuse) {
  ASSERT_EQ(std::getenv("SLUICE_KEEP_FREED_MEMORY"), nullptr);
  ASSERT_EQ(std::getenv("GLIBC_TUNABLES"), nullptr);
  const RunReport r = run(R"([pipeline]
links = ["src -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 3
[nodes.sink]
plugin = "null_sink"
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_TRUE(keeping_freed_memory()) << "no run asked malloc to keep freed memory";
}

// Resident memory of this process, in bytes (/proc/self/statm).
int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

TEST_F(RunnerTest, FreedMemoryIsGivenBackWhenAStreamHasEndedEverywhere) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer has its own malloc: glibc's trim does not apply to it";
#endif
  keep_freed_memory();
  ASSERT_TRUE(keeping_freed_memory());
  // 64 MB written and freed, but kept by malloc (its trim threshold is 1 GB now); the first
  // block stays, so that the heap's top cannot simply shrink.
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 64; ++i) {
    blocks.emplace_back(new char[1 << 20]);
    std::memset(blocks.back().get(), 1, 1 << 20);
  }
  std::unique_ptr<char[]> pinned = std::move(blocks.back());
  blocks.clear();
  const int64_t before = resident_bytes();
  // A run whose stream ends everywhere: the runtime gives the kept memory back.
  const RunReport r = run(R"([pipeline]
links = ["src -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 3
width = 16
height = 16
[nodes.sink]
plugin = "null_sink"
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_LT(resident_bytes(), before - (40 << 20)) << "the freed 64 MB are still resident";
}

TEST_F(RunnerTest, ReportFormatsAsTableAndJson) {
  const RunReport r = run(R"([pipeline]
name = "tiny"
links = ["src -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 10
[nodes.sink]
plugin = "null_sink"
)");
  const std::string table = format_table(r);
  EXPECT_THAT(table, HasSubstr("processed"));
  EXPECT_THAT(table, HasSubstr("synthetic_source"));
  const json j = json::parse(to_json(r));
  EXPECT_EQ(j["pipeline"], "tiny");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_GT(j["run_s"].get<double>(), 0);
  EXPECT_LE(j["run_s"].get<double>(), j["wall_s"].get<double>());
  EXPECT_EQ(j["nodes"][1]["name"], "sink");
  EXPECT_EQ(j["nodes"][1]["processed"], 10);
  EXPECT_EQ(j["nodes"][1]["queues"][0]["capacity"], 8);
  EXPECT_TRUE(j["nodes"][1]["end_to_end_ms"].is_object());
}

// The figures are live: a snapshot taken while the run goes on already holds what the
// nodes have done so far (processed, latency, the nodes' own counters, queues), and the
// final report holds at least as much.
TEST_F(RunnerTest, SnapshotsReadTheFiguresWhileTheRunGoesOn) {
  RunReport live;
  const RunReport r = run(R"([pipeline]
links = ["src -> model -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
fps = 400
width = 8
height = 8
[nodes.model]
plugin = "batcher"
max_batch = 1
[nodes.sink]
plugin = "null_sink"
)",
                          [&](Runner& runner) {
                            // Bounded: 20 s at most, on a loaded machine.
                            for (int i = 0; i < 2000; ++i) {
                              live = runner.snapshot();
                              if (live.nodes.size() == 3 && live.nodes[2].processed >= 20) break;
                              std::this_thread::sleep_for(std::chrono::milliseconds(10));
                            }
                            runner.request_stop();
                          });
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(live.nodes.size(), 3u);
  const NodeReport& model = node(live, "model");
  EXPECT_GE(node(live, "sink").processed, 20);
  EXPECT_GE(model.processed, node(live, "sink").processed);
  EXPECT_GE(model.latency.count(), model.processed);
  EXPECT_GT(model.counters.at("calls"), 0);
  ASSERT_EQ(model.queues.size(), 1u);
  EXPECT_GT(live.run_s, 0);
  EXPECT_GE(node(r, "sink").processed, node(live, "sink").processed);
  EXPECT_GE(node(r, "model").counters.at("calls"), model.counters.at("calls"));
}

// Before every node has opened, a snapshot has no node figures to read.
TEST_F(RunnerTest, ASnapshotBeforeTheRunHasNoNodes) {
  Pipeline p = build(R"([pipeline]
links = ["src -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 1
[nodes.sink]
plugin = "null_sink"
)");
  Runner runner(p);
  EXPECT_TRUE(runner.snapshot().nodes.empty());
  const RunReport r = runner.run();
  EXPECT_EQ(runner.snapshot().nodes.size(), 2u);
  EXPECT_EQ(node(r, "sink").processed, 1);
}

}  // namespace
}  // namespace sluice::runtime
