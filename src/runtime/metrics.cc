#include "flowctl/runtime/metrics.h"

namespace flowctl {

void LatencyHistogram::Record(uint64_t micros) {
  int b = 0;
  while (b < kBuckets - 1 && (uint64_t{1} << b) <= micros) ++b;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(micros, std::memory_order_relaxed);
}

uint64_t LatencyHistogram::Count() const {
  uint64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

std::array<uint64_t, LatencyHistogram::kBuckets> LatencyHistogram::Buckets() const {
  std::array<uint64_t, kBuckets> out{};
  for (int i = 0; i < kBuckets; ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

double LatencyHistogram::Quantile(double p) const {
  auto b = Buckets();
  uint64_t total = 0;
  for (auto v : b) total += v;
  if (total == 0) return 0;
  uint64_t want = static_cast<uint64_t>(p * static_cast<double>(total));
  if (want == 0) want = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += b[i];
    if (seen >= want) return static_cast<double>(uint64_t{1} << i);
  }
  return static_cast<double>(uint64_t{1} << (kBuckets - 1));
}

}  // namespace flowctl
