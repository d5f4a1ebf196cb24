// Per-node metrics: lock-free counters and a latency histogram, updated by
// worker threads and read by anyone (progress line, summary, control plane).
//
// Contract: all members are safe to update and read concurrently; readings
// are consistent per counter, not across counters.
#ifndef FLOWCTL_RUNTIME_METRICS_H_
#define FLOWCTL_RUNTIME_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace flowctl {

// Log-scale histogram of microseconds: bucket k holds values < 2^k us.
class LatencyHistogram {
 public:
  static constexpr int kBuckets = 40;
  void Record(uint64_t micros);
  // Upper bound (us) of the bucket holding the p-quantile (0 < p <= 1); 0 if empty.
  double Quantile(double p) const;
  uint64_t Count() const;
  uint64_t SumMicros() const { return sum_.load(std::memory_order_relaxed); }
  std::array<uint64_t, kBuckets> Buckets() const;

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> sum_{0};
};

struct NodeMetrics {
  std::atomic<uint64_t> in{0};
  std::atomic<uint64_t> out{0};
  std::atomic<uint64_t> dropped{0};        // on purpose: filtered or on_error drop
  std::atomic<uint64_t> errors{0};         // events that failed (final outcome)
  std::atomic<uint64_t> dead_lettered{0};  // sent to the dead-letter sink
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> busy_ns{0};
  std::atomic<uint64_t> batches{0};
  LatencyHistogram batch_latency;  // time to process one batch
};

struct NodeSnapshot {
  std::string id;
  std::string type;
  std::string kind;
  int concurrency = 1;
  uint64_t in = 0, out = 0, dropped = 0, errors = 0, dead_lettered = 0, retries = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0;  // per batch
  size_t queue_depth = 0, queue_capacity = 0;
  double busy_ms = 0;
  // Batch latency histogram: bucket k counts batches under 2^k us.
  std::array<uint64_t, LatencyHistogram::kBuckets> latency_buckets{};
  uint64_t latency_sum_us = 0;
  // Counters the component reports itself (ai_calls, ai_cost_micro_usd, ...).
  std::vector<std::pair<std::string, int64_t>> counters;
};

struct RunSnapshot {
  std::string pipeline;
  std::string state;  // running, succeeded, failed, cancelled
  std::string error;  // when failed
  double elapsed_s = 0;
  std::vector<NodeSnapshot> nodes;
};

}  // namespace flowctl

#endif  // FLOWCTL_RUNTIME_METRICS_H_
