#include "latency_histogram.h"

#include <bit>
#include <cmath>

namespace sluice::runtime {

int LatencyHistogram::bucket_of(uint64_t ns) {
  if (ns < (1u << kSubBits)) return static_cast<int>(ns);
  const int exponent = 63 - std::countl_zero(ns);  // ns in [2^e, 2^(e+1))
  const int sub = static_cast<int>((ns >> (exponent - kSubBits)) & ((1u << kSubBits) - 1));
  return ((exponent - kSubBits + 1) << kSubBits) + sub;
}

double LatencyHistogram::bucket_mid(int b) {
  if (b < (1 << kSubBits)) return b;
  const int exponent = (b >> kSubBits) + kSubBits - 1;
  const int sub = b & ((1 << kSubBits) - 1);
  const double width = std::ldexp(1.0, exponent - kSubBits);
  return std::ldexp(1.0, exponent) + (sub + 0.5) * width;
}

LatencyHistogram& LatencyHistogram::operator=(const LatencyHistogram& other) {
  if (this == &other) return *this;
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  sum_ns_.store(0, std::memory_order_relaxed);
  merge(other);
  return *this;
}

void LatencyHistogram::record(int64_t ns) {
  if (ns < 0) ns = 0;
  buckets_[bucket_of(static_cast<uint64_t>(ns))].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  for (int i = 0; i < kBuckets; ++i)
    buckets_[i].fetch_add(o.buckets_[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
  sum_ns_.fetch_add(o.sum_ns(), std::memory_order_relaxed);
}

std::vector<int64_t> LatencyHistogram::counts_in(const std::vector<double>& bounds_ns) const {
  std::vector<int64_t> counts(bounds_ns.size() + 1, 0);
  std::size_t k = 0;
  for (int i = 0; i < kBuckets; ++i) {
    const int64_t n = buckets_[i].load(std::memory_order_relaxed);
    if (n == 0) continue;
    const double mid = bucket_mid(i);
    while (k < bounds_ns.size() && mid > bounds_ns[k]) ++k;
    counts[k] += n;
  }
  return counts;
}

int64_t LatencyHistogram::count() const {
  int64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

double LatencyHistogram::quantile_ns(double q) const {
  // One read of every bucket: the rank and the walk see the same counts.
  std::array<int64_t, kBuckets> counts;
  int64_t total = 0;
  for (int i = 0; i < kBuckets; ++i)
    total += counts[i] = buckets_[i].load(std::memory_order_relaxed);
  if (total == 0) return 0;
  const int64_t rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(total)));
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    if (seen >= rank && counts[i] > 0) return bucket_mid(i);
  }
  return bucket_mid(kBuckets - 1);
}

}  // namespace sluice::runtime
