// LatencyHistogram: fixed-size log-linear histogram of durations, for p50/p99 without
// keeping samples. Each power of two from 1 ns is split into 16 buckets, so a quantile is
// exact to within about 3% of its value; memory stays constant however long the run.
//
// Live: one thread records while others may copy it or read quantiles (the service plane
// reads the figures of a run that goes on). Buckets are relaxed atomics, and a reader
// counts the buckets it sees, so a copy taken mid-record is a consistent histogram.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace sluice::runtime {

class LatencyHistogram {
 public:
  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram& other) { merge(other); }
  LatencyHistogram& operator=(const LatencyHistogram& other);

  void record(int64_t ns);
  void merge(const LatencyHistogram& other);
  int64_t count() const;
  // The q-quantile (0..1) in nanoseconds; 0 when empty.
  double quantile_ns(double q) const;
  // The sum of the recorded durations, in nanoseconds.
  int64_t sum_ns() const { return sum_ns_.load(std::memory_order_relaxed); }
  // How many recorded durations fall in each of the intervals (-inf, bounds[0]],
  // (bounds[0], bounds[1]], ..., (bounds.back(), +inf), for Prometheus' buckets: a value
  // counts where its own bucket's middle falls, so to within the bucket width (3%).
  std::vector<int64_t> counts_in(const std::vector<double>& bounds_ns) const;

 private:
  static constexpr int kSubBits = 4;
  static constexpr int kBuckets = 64 << kSubBits;
  static int bucket_of(uint64_t ns);
  static double bucket_mid(int b);
  std::array<std::atomic<int64_t>, kBuckets> buckets_{};
  std::atomic<int64_t> sum_ns_{0};
};

}  // namespace sluice::runtime
