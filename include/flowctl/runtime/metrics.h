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
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flowctl/data/event.h"
#include "flowctl/data/schema_profile.h"

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

// "invalid JSON at byte 17: 'x'" -> "invalid JSON at byte N: '…'".
std::string MessageTemplate(std::string_view message);

// A node's failures grouped by the template of their message (numbers and
// quoted values blanked), with the first few failing events of each: what
// `ai debug` shows as error clusters. Bounded: at most kMaxClusters
// templates (later ones count under "(other messages)"), kMaxExamples
// examples of kMaxExampleBytes each.
struct ErrorCluster {
  std::string message_template;
  std::string example_message;  // one message as it was
  uint64_t count = 0;
  int64_t first_ms = 0, last_ms = 0;  // Unix ms
  std::vector<std::string> examples;  // the failing events, as JSON or raw text
};

class ErrorSampler {
 public:
  static constexpr size_t kMaxClusters = 16;
  static constexpr size_t kMaxExamples = 3;
  static constexpr size_t kMaxExampleBytes = 512;
  // The failures of one batch, messages[i] for its i-th event; example(i)
  // is called only while that event's cluster still wants an example. A
  // batch usually fails for one reason: its template is made once per run
  // of equal messages, and the lock taken once.
  template <typename ExampleFn>
  void Record(const std::vector<std::string>& messages, int64_t now_ms, ExampleFn&& example) {
    std::vector<std::string> templates;  // one per run of equal messages
    for (size_t i = 0; i < messages.size(); ++i)
      if (i == 0 || messages[i] != messages[i - 1])
        templates.push_back(MessageTemplate(messages[i]));
    std::lock_guard<std::mutex> lk(mu_);
    ErrorCluster* c = nullptr;
    for (size_t i = 0, run = 0; i < messages.size(); ++i) {
      if (i == 0 || messages[i] != messages[i - 1])
        c = FindOrAdd(templates[run++], messages[i], now_ms);
      ++c->count;
      c->last_ms = now_ms;
      if (c->examples.size() < kMaxExamples) {
        std::string ex = example(i);
        if (ex.size() > kMaxExampleBytes) ex.resize(kMaxExampleBytes);
        c->examples.push_back(std::move(ex));
      }
    }
  }
  std::vector<ErrorCluster> Clusters() const;

 private:
  ErrorCluster* FindOrAdd(const std::string& tmpl, std::string_view message, int64_t now_ms);
  mutable std::mutex mu_;
  std::vector<ErrorCluster> clusters_;  // guarded by mu_
};

// The shape of what a source emits (data/schema_profile.h), from a sample:
// every kEvery-th event of a batch, the first included, so that a lazy
// event is decoded for it at most that often.
class SchemaSampler {
 public:
  static constexpr size_t kEvery = 256;
  void Record(const std::vector<Event>& events);
  SchemaProfile Read() const;

 private:
  mutable std::mutex mu_;
  SchemaProfile profile_;  // guarded by mu_
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
  ErrorSampler error_sample;
  SchemaSampler schema;  // sources only
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
  std::vector<ErrorCluster> error_clusters;
  SchemaProfile schema;  // what a source emitted, sampled, since the run began
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
