// The bounded queues, at capacities 1, 2 and 64, with each overflow policy, under real
// threads, every test bounded by a timeout.
#include "inbox.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace sluice::runtime {
namespace {

constexpr auto kTimeout = std::chrono::seconds(30);

Packet packet(uint32_t stream, int64_t seq) {
  PacketHeader h;
  h.stream_id = stream;
  h.seq = seq;
  return Packet::make(std::move(h), Frame{});
}

// Runs f on a thread and fails the test (instead of hanging) when it does not finish.
template <class F>
void within_timeout(F f) {
  auto done = std::async(std::launch::async, std::move(f));
  ASSERT_EQ(done.wait_for(kTimeout), std::future_status::ready) << "timed out: probable deadlock";
  done.get();
}

// Pops until the inbox ends; returns the first packet of every set.
std::vector<Packet> drain(Inbox& inbox, std::size_t batch, int port = 0) {
  std::vector<Packet> out;
  std::vector<std::vector<Packet>> sets;
  int64_t ticket = 0, expected_ticket = 0;
  while (std::size_t n = inbox.pop(sets, batch, &ticket)) {
    EXPECT_EQ(ticket, expected_ticket);
    expected_ticket += static_cast<int64_t>(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(std::move(sets[i][port]));
  }
  return out;
}

struct QueueCase {
  int64_t capacity;
  std::size_t batch;
};

class BlockingQueue : public ::testing::TestWithParam<QueueCase> {};

TEST_P(BlockingQueue, LosesNothingAndKeepsOrderWithOneProducer) {
  const auto [capacity, batch] = GetParam();
  within_timeout([capacity = capacity, batch = batch] {
    Inbox inbox({QueueSpec{capacity, Overflow::kBlock}}, {1});
    constexpr int kN = 20000;
    std::thread producer([&] {
      for (int i = 0; i < kN; ++i) inbox.push(0, packet(0, i));
      inbox.producer_done(0);
    });
    const auto got = drain(inbox, batch);
    producer.join();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(kN));
    for (int i = 0; i < kN; ++i) ASSERT_EQ(got[i].header().seq, i);
    const auto c = inbox.counters()[0];
    EXPECT_EQ(c.pushed, kN);
    EXPECT_EQ(c.dropped, 0);
    EXPECT_LE(c.high_water, capacity);
    EXPECT_GE(c.high_water, 1);
  });
}

TEST_P(BlockingQueue, MergesSeveralProducersKeepingEachStreamInOrder) {
  const auto [capacity, batch] = GetParam();
  within_timeout([capacity = capacity, batch = batch] {
    constexpr int kProducers = 3, kN = 5000;
    Inbox inbox({QueueSpec{capacity, Overflow::kBlock}}, {kProducers});
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p)
      producers.emplace_back([&, p] {
        std::vector<Packet> chunk;
        for (int i = 0; i < kN; ++i) {
          chunk.push_back(packet(p, i));
          if (chunk.size() == 7 || i == kN - 1) inbox.push_many(0, chunk, false), chunk.clear();
        }
        inbox.producer_done(0);
      });
    const auto got = drain(inbox, batch);
    for (auto& t : producers) t.join();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(kProducers * kN));
    std::vector<int64_t> next(kProducers, 0);
    for (const auto& p : got) ASSERT_EQ(p.header().seq, next[p.header().stream_id]++);
    EXPECT_LE(inbox.counters()[0].high_water, capacity);
  });
}

INSTANTIATE_TEST_SUITE_P(Capacities, BlockingQueue,
                         ::testing::Values(QueueCase{1, 1}, QueueCase{1, 16}, QueueCase{2, 1},
                                           QueueCase{2, 16}, QueueCase{64, 1}, QueueCase{64, 16}),
                         [](const auto& info) {
                           return "capacity" + std::to_string(info.param.capacity) + "_batch" +
                                  std::to_string(info.param.batch);
                         });

class DropQueue : public ::testing::TestWithParam<int64_t> {};

TEST_P(DropQueue, DropNewestKeepsTheFirstAndCountsExactly) {
  const int64_t capacity = GetParam();
  Inbox inbox({QueueSpec{capacity, Overflow::kDropNewest}}, {1});
  const int64_t n = capacity + 37;
  for (int64_t i = 0; i < n; ++i) inbox.push(0, packet(0, i));  // nobody pops: never blocks
  inbox.producer_done(0);
  const auto got = drain(inbox, 16);
  ASSERT_EQ(static_cast<int64_t>(got.size()), capacity);
  for (int64_t i = 0; i < capacity; ++i) EXPECT_EQ(got[i].header().seq, i);
  EXPECT_EQ(inbox.counters()[0].dropped, 37);
}

TEST_P(DropQueue, DropOldestKeepsTheNewestAndCountsExactly) {
  const int64_t capacity = GetParam();
  Inbox inbox({QueueSpec{capacity, Overflow::kDropOldest}}, {1});
  const int64_t n = capacity + 37;
  for (int64_t i = 0; i < n; ++i) inbox.push(0, packet(0, i));
  inbox.producer_done(0);
  const auto got = drain(inbox, 16);
  ASSERT_EQ(static_cast<int64_t>(got.size()), capacity);
  for (int64_t i = 0; i < capacity; ++i) EXPECT_EQ(got[i].header().seq, 37 + i);
  EXPECT_EQ(inbox.counters()[0].dropped, 37);
}

TEST_P(DropQueue, UnderConcurrencyReceivedPlusDroppedIsEverythingPushed) {
  const int64_t capacity = GetParam();
  for (Overflow policy : {Overflow::kDropOldest, Overflow::kDropNewest}) {
    within_timeout([&] {
      Inbox inbox({QueueSpec{capacity, policy}}, {1});
      constexpr int kN = 20000;
      std::thread producer([&] {
        for (int i = 0; i < kN; ++i) inbox.push(0, packet(0, i));
        inbox.producer_done(0);
      });
      std::vector<Packet> got;
      std::vector<std::vector<Packet>> sets;
      while (inbox.pop(sets, 1, nullptr)) {
        got.push_back(std::move(sets[0][0]));
        if (got.size() % 64 == 0)
          std::this_thread::sleep_for(std::chrono::microseconds(200));  // a slow consumer
      }
      producer.join();
      const auto c = inbox.counters()[0];
      EXPECT_EQ(static_cast<int64_t>(got.size()) + c.dropped, kN);
      for (std::size_t i = 1; i < got.size(); ++i)
        ASSERT_LT(got[i - 1].header().seq, got[i].header().seq);
    });
  }
}

INSTANTIATE_TEST_SUITE_P(Capacities, DropQueue, ::testing::Values(1, 2, 64),
                         [](const auto& info) { return "capacity" + std::to_string(info.param); });

TEST(InboxMatching, SetsAreMatchedByStreamAndSeq) {
  within_timeout([] {
    Inbox inbox({QueueSpec{64, Overflow::kBlock}, QueueSpec{64, Overflow::kBlock}}, {1, 1});
    // Port 0 gets streams 0 and 1 interleaved; port 1 gets them in the other interleaving.
    for (int i = 0; i < 10; ++i) {
      inbox.push(0, packet(0, i));
      inbox.push(0, packet(1, i));
    }
    for (int i = 0; i < 10; ++i) inbox.push(1, packet(1, i));
    for (int i = 0; i < 10; ++i) inbox.push(1, packet(0, i));
    inbox.producer_done(0);
    inbox.producer_done(1);
    std::vector<std::vector<Packet>> sets;
    int matched = 0;
    while (inbox.pop(sets, 1, nullptr)) {
      ASSERT_EQ(sets[0][0].header().stream_id, sets[0][1].header().stream_id);
      ASSERT_EQ(sets[0][0].header().seq, sets[0][1].header().seq);
      ++matched;
    }
    EXPECT_EQ(matched, 20);
  });
}

TEST(InboxMatching, PacketsWithoutPartnersAreDroppedAndCounted) {
  within_timeout([] {
    Inbox inbox({QueueSpec{64, Overflow::kBlock}, QueueSpec{64, Overflow::kBlock}}, {1, 1});
    for (int i = 0; i < 10; ++i) inbox.push(0, packet(0, i));
    for (int i = 0; i < 10; ++i)
      if (i != 3 && i != 7) inbox.push(1, packet(0, i));  // frames 3 and 7 were lost upstream
    inbox.push(1, packet(0, 10));                         // no partner ever
    inbox.producer_done(0);
    inbox.producer_done(1);
    std::vector<std::vector<Packet>> sets;
    int64_t matched = 0;
    while (std::size_t n = inbox.pop(sets, 4, nullptr)) matched += static_cast<int64_t>(n);
    EXPECT_EQ(matched, 8);
    const auto c = inbox.counters();
    EXPECT_EQ(c[0].unmatched, 2);  // 3 and 7
    EXPECT_EQ(c[1].unmatched, 1);  // 10
  });
}

TEST(InboxMatching, WaitsForALatePartnerFromAnotherThread) {
  within_timeout([] {
    Inbox inbox({QueueSpec{2, Overflow::kBlock}, QueueSpec{2, Overflow::kBlock}}, {1, 1});
    constexpr int kN = 3000;
    std::thread fast([&] {
      for (int i = 0; i < kN; ++i) inbox.push(0, packet(0, i));
      inbox.producer_done(0);
    });
    std::thread slow([&] {
      for (int i = 0; i < kN; ++i) {
        if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        inbox.push(1, packet(0, i));
      }
      inbox.producer_done(1);
    });
    std::vector<std::vector<Packet>> sets;
    int64_t expected = 0;
    while (std::size_t n = inbox.pop(sets, 16, nullptr))
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(sets[i][0].header().seq, expected);
        ASSERT_EQ(sets[i][1].header().seq, expected);
        ++expected;
      }
    fast.join();
    slow.join();
    EXPECT_EQ(expected, kN);
  });
}

TEST(InboxMatching, SubPacketsMatchPartByPart) {
  Inbox inbox({QueueSpec{16, Overflow::kBlock}, QueueSpec{16, Overflow::kBlock}}, {1, 1});
  auto part = [](int64_t seq, int32_t sub) {
    PacketHeader h;
    h.seq = seq;
    h.sub_index = sub;
    h.sub_count = 3;
    return Packet::make(std::move(h), Frame{});
  };
  for (int64_t seq : {0, 1})
    for (int32_t sub : {0, 1, 2}) inbox.push(0, part(seq, sub));
  for (int64_t seq : {0, 1})
    for (int32_t sub : {0, 2}) inbox.push(1, part(seq, sub));  // part 1 of each frame was lost
  inbox.producer_done(0);
  inbox.producer_done(1);
  std::vector<std::vector<Packet>> sets;
  int matched = 0;
  while (inbox.pop(sets, 1, nullptr)) {
    EXPECT_EQ(sets[0][0].header().seq, sets[0][1].header().seq);
    EXPECT_EQ(sets[0][0].header().sub_index, sets[0][1].header().sub_index);
    ++matched;
  }
  EXPECT_EQ(matched, 4);
  EXPECT_EQ(inbox.counters()[0].unmatched, 2);
}

TEST(Inbox, UnmatchedInputsDeliverEachPacketAloneTakingPortsInTurn) {
  Inbox inbox({QueueSpec{8, Overflow::kBlock}, QueueSpec{8, Overflow::kBlock}}, {1, 1}, false);
  for (int i = 0; i < 3; ++i) inbox.push(0, packet(0, i));
  for (int i = 0; i < 3; ++i) inbox.push(1, packet(5, i));
  inbox.producer_done(0);
  inbox.producer_done(1);
  std::vector<std::vector<Packet>> sets;
  std::vector<int> ports;
  while (inbox.pop(sets, 1, nullptr)) {
    const bool first = !sets[0][0].empty();
    EXPECT_NE(first, !sets[0][1].empty());  // exactly one port filled
    ports.push_back(first ? 0 : 1);
  }
  EXPECT_EQ(ports, (std::vector<int>{0, 1, 0, 1, 0, 1}));
}

TEST(Inbox, UnconnectedPortsStayEmptyInSets) {
  Inbox inbox({QueueSpec{4, Overflow::kBlock}, QueueSpec{4, Overflow::kBlock}}, {1, 0});
  inbox.push(0, packet(0, 0));
  inbox.producer_done(0);
  std::vector<std::vector<Packet>> sets;
  ASSERT_EQ(inbox.pop(sets, 4, nullptr), 1u);
  EXPECT_FALSE(sets[0][0].empty());
  EXPECT_TRUE(sets[0][1].empty());
  EXPECT_EQ(inbox.pop(sets, 4, nullptr), 0u);
}

}  // namespace
}  // namespace sluice::runtime
