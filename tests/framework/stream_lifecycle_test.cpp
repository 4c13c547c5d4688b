// Stream lifecycle: each stream's start and end flow down the graph in order with its
// packets, through replicas, batching, fan-out and joins; nodes hear of them in hooks; a
// source hears when every sink is done with a stream it emitted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <vector>

#include "runner_fixture.h"

namespace sluice::runtime {
namespace {

using ::testing::HasSubstr;

// A stream_log file: its lines, and per stream what they say.
struct StreamLogFile {
  std::vector<std::string> lines;
  std::size_t index_of(const std::string& line) const {
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (lines[i] == line) return i;
    return lines.size();
  }
  // Checks that stream `id` starts once before its frames, has frames 0..n-1 in order,
  // and ends once after them with `reason`.
  void expect_stream(uint32_t id, int n, const std::string& reason, const std::string& log) const {
    const std::string sid = std::to_string(id);
    int starts = 0, ends = 0;
    int64_t next_seq = 0;
    for (const std::string& l : lines) {
      std::istringstream in(l);
      std::string what, stream;
      in >> what >> stream;
      if (stream != sid) continue;
      if (what == "start") {
        ++starts;
        EXPECT_EQ(next_seq, 0) << log << ": stream " << id << " starts after a frame";
      } else if (what == "frame") {
        int64_t seq = -1;
        in >> seq;
        EXPECT_EQ(starts, 1) << log << ": frame before the start of stream " << id;
        EXPECT_EQ(ends, 0) << log << ": frame " << seq << " after the end of stream " << id;
        EXPECT_EQ(seq, next_seq) << log << ": stream " << id << " out of order";
        next_seq = seq + 1;
      } else if (what == "end") {
        ++ends;
        std::string why;
        std::getline(in >> std::ws, why);
        EXPECT_EQ(why, reason) << log << ": stream " << id;
      }
    }
    EXPECT_EQ(starts, 1) << log << ": starts of stream " << id;
    EXPECT_EQ(ends, 1) << log << ": ends of stream " << id;
    EXPECT_EQ(next_seq, n) << log << ": frames of stream " << id;
  }
};

class StreamLifecycleTest : public RunnerTest {
 protected:
  StreamLogFile log(const std::string& name) {
    StreamLogFile f;
    std::istringstream in(test::read_file(dir_.file(name)));
    for (std::string line; std::getline(in, line);) f.lines.push_back(line);
    return f;
  }
};

TEST_F(StreamLifecycleTest, AStreamEndsWhileThreeOthersGoOnThroughReplicasBatchesFanOutAndJoins) {
  // Stream 0 ends after 3 frames; the others wait until every sink is done with it, then
  // go on to 40. Streams 2 and 3 are not declared: the source adds them as it goes.
  const RunReport r = run(R"([pipeline]
links = ["src -> pass -> model -> a", "src -> zip.a", "model -> zip.b", "zip -> b", "src -> c"]
[nodes.src]
plugin = "streams_source"
lengths = [3, 40, 40, 40]
declared = 2
hold = true
[nodes.pass]
plugin = "passthrough"
replicas = 3
[nodes.model]
plugin = "batcher"
max_batch = 8
max_delay_ms = 2
[nodes.zip]
plugin = "zip_check"
[nodes.a]
plugin = "stream_log"
path = "a.log"
[nodes.b]
plugin = "stream_log"
path = "b.log"
[nodes.c]
plugin = "stream_log"
path = "c.log"
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  for (const char* name : {"a.log", "b.log", "c.log"}) {
    const StreamLogFile f = log(name);
    f.expect_stream(0, 3, "end", name);
    for (uint32_t s : {1u, 2u, 3u}) {
      f.expect_stream(s, 40, "end", name);
      // Stream 0's end reached this sink before the others went past their third frame.
      EXPECT_LT(f.index_of("end 0 end"), f.index_of("frame " + std::to_string(s) + " 3")) << name;
    }
  }
  const NodeReport& src = node(r, "src");
  for (const char* c : {"done_0", "done_1", "done_2", "done_3"})
    EXPECT_EQ(src.counters.at(c), 1) << c;
  EXPECT_EQ(src.counters.at("done_while_others_open"), 1);
  EXPECT_EQ(src.emitted, 123);  // stream events are not counted as packets
  EXPECT_EQ(node(r, "zip").errors, 0);
  EXPECT_EQ(node(r, "model").processed, 123);
}

TEST_F(StreamLifecycleTest, ABatchNeverWaitsOnAStreamThatHasEnded) {
  // Two frames, then stream 0 ends and the source holds until every sink is done with it.
  // A batch of 8 waiting its full 20 s for more would hold that up; the end sends it now.
  const RunReport r = run(R"([pipeline]
links = ["src -> model -> log"]
[nodes.src]
plugin = "streams_source"
lengths = [1, 2]
hold = true
[nodes.model]
plugin = "batcher"
max_batch = 8
max_delay_ms = 20000
[nodes.log]
plugin = "stream_log"
path = "log.log"
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_LT(r.run_s, 10.0) << "the batch waited for its deadline after stream 0 ended";
  const StreamLogFile f = log("log.log");
  f.expect_stream(0, 1, "end", "log");
  f.expect_stream(1, 2, "end", "log");
}

TEST_F(StreamLifecycleTest, AStopEndsEveryOpenStreamAsStoppedAndDrains) {
  const RunReport r = run(R"([pipeline]
links = ["src -> work -> log"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
streams = 3
[nodes.work]
plugin = "delay"
ms = 0.1
replicas = 2
[nodes.log]
plugin = "stream_log"
path = "log.log"
)",
                          [](Runner& runner) {
                            while (runner.progress().frames < 50)
                              std::this_thread::sleep_for(std::chrono::milliseconds(1));
                            runner.request_stop();
                          });
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const StreamLogFile f = log("log.log");
  for (uint32_t s : {0u, 1u, 2u}) {
    const std::string start = "start " + std::to_string(s);
    const std::string end = "end " + std::to_string(s) + " stopped";
    EXPECT_LT(f.index_of(start), f.index_of(end)) << "stream " << s;
    EXPECT_EQ(f.index_of(end) + 0 < f.lines.size(), true) << "stream " << s << " has no end";
  }
}

TEST_F(StreamLifecycleTest, AnErrorInStreamEndedFailsTheRunNamingNodeAndStream) {
  const RunReport r = run(R"([pipeline]
links = ["src -> log"]
[nodes.src]
plugin = "streams_source"
lengths = [2, 50]
[nodes.log]
plugin = "stream_log"
path = "log.log"
fail_on_end = 0
)");
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(),
              HasSubstr("node 'log' (stream_log) failed on stream 0: stream_ended: cannot"));
}

TEST_F(StreamLifecycleTest, WithSkipAnErrorInStreamEndedIsCountedAndTheRunGoesOn) {
  const RunReport r = run(R"([pipeline]
links = ["src -> log"]
[nodes.src]
plugin = "streams_source"
lengths = [2, 5]
[nodes.log]
plugin = "stream_log"
path = "log.log"
fail_on_end = 0
on_error = "skip"
)");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(node(r, "log").errors, 1);
  log("log.log").expect_stream(1, 5, "end", "log");
  // The failed stream still reached the sink, so its source heard it is done.
  EXPECT_EQ(node(r, "src").counters.at("done_0"), 1);
}

}  // namespace
}  // namespace sluice::runtime
