// LatencyHistogram: fixed-size log-linear histogram of durations, for p50/p99 without
// keeping samples. Each power of two from 1 ns is split into 16 buckets, so a quantile is
// exact to within about 3% of its value; memory stays constant however long the run.
#pragma once

#include <array>
#include <cstdint>

namespace sluice::runtime {

class LatencyHistogram {
 public:
  void record(int64_t ns);
  void merge(const LatencyHistogram& other);
  int64_t count() const { return count_; }
  // The q-quantile (0..1) in nanoseconds; 0 when empty.
  double quantile_ns(double q) const;

 private:
  static constexpr int kSubBits = 4;
  static constexpr int kBuckets = 64 << kSubBits;
  static int bucket_of(uint64_t ns);
  static double bucket_mid(int b);
  std::array<int64_t, kBuckets> buckets_{};
  int64_t count_ = 0;
};

}  // namespace sluice::runtime
