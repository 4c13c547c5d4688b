#include "latency_histogram.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

namespace sluice::runtime {
namespace {

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.quantile_ns(0.5), 0);
}

TEST(LatencyHistogram, QuantilesWithinFourPercentOfExact) {
  LatencyHistogram h;
  std::vector<int64_t> values;
  std::mt19937 rng(7);
  std::lognormal_distribution<double> dist(10.0, 2.0);  // ~ns to ~ms
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<int64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact =
        static_cast<double>(values[static_cast<std::size_t>(q * values.size()) - 1]);
    EXPECT_NEAR(h.quantile_ns(q), exact, exact * 0.04 + 1) << "q=" << q;
  }
}

TEST(LatencyHistogram, SmallValuesAreExactAndMergeAddsCounts) {
  LatencyHistogram a, b;
  for (int i = 0; i < 10; ++i) a.record(3);
  for (int i = 0; i < 30; ++i) b.record(12);
  a.merge(b);
  EXPECT_EQ(a.count(), 40);
  EXPECT_EQ(a.quantile_ns(0.2), 3);
  EXPECT_EQ(a.quantile_ns(0.9), 12);
}

// One thread records while another copies: every copy is a histogram of what was recorded
// so far (its count only grows, its quantiles are values that were recorded).
TEST(LatencyHistogram, CopiesTakenWhileRecordingAreConsistent) {
  LatencyHistogram h;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 200000; ++i) h.record(i % 2 ? 1000 : 9);
    done = true;
  });
  int64_t last = 0;
  int copies = 0;
  while (!done || copies == 0) {
    const LatencyHistogram copy = h;
    EXPECT_GE(copy.count(), last);
    last = copy.count();
    if (last > 0) {
      const double p99 = copy.quantile_ns(0.99);
      EXPECT_TRUE(p99 == 9 || (p99 > 960 && p99 < 1040)) << p99;
    }
    ++copies;
  }
  writer.join();
  EXPECT_EQ(LatencyHistogram(h).count(), 200000);
}

}  // namespace
}  // namespace sluice::runtime
