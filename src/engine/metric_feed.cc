#include "flowctl/engine/metric_feed.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace flowctl::engine {

namespace {

using store::MetricPoint;

int64_t Counter(const NodeSnapshot& n, const char* name) {
  for (const auto& [k, v] : n.counters)
    if (k == name) return v;
  return 0;
}

// Upper bound (us) of the bucket holding the p-quantile of the batches in
// the interval: bucket k counts batches under 2^k us (LatencyHistogram).
double IntervalQuantile(const NodeSnapshot& cur, const NodeSnapshot& prev, double p) {
  uint64_t total = 0;
  std::array<uint64_t, LatencyHistogram::kBuckets> d{};
  for (size_t k = 0; k < d.size(); ++k) {
    d[k] = cur.latency_buckets[k] - std::min(cur.latency_buckets[k], prev.latency_buckets[k]);
    total += d[k];
  }
  if (total == 0) return 0;
  uint64_t want = static_cast<uint64_t>(std::ceil(p * static_cast<double>(total)));
  uint64_t seen = 0;
  for (size_t k = 0; k < d.size(); ++k) {
    seen += d[k];
    if (seen >= want) return std::ldexp(1.0, static_cast<int>(k));
  }
  return std::ldexp(1.0, LatencyHistogram::kBuckets - 1);
}

}  // namespace

void MetricFeed::DiffErrors(const RunSnapshot& snap, bool restarted) {
  new_errors_.clear();
  if (restarted) error_counts_.clear();
  for (const auto& n : snap.nodes)
    for (const auto& c : n.error_clusters) {
      uint64_t& seen = error_counts_[n.id + '\n' + c.message_template];
      if (c.count <= seen) continue;
      store::ErrorGroup g;
      g.node = n.id;
      g.message_template = c.message_template;
      g.example_message = c.example_message;
      g.count = static_cast<int64_t>(c.count - seen);
      g.first_ms = c.first_ms;
      g.last_ms = c.last_ms;
      g.examples = c.examples;
      seen = c.count;
      new_errors_.push_back(std::move(g));
    }
}

Status MetricFeed::RecordInto(store::MetricHistory& history, const std::string& pipeline,
                              const RunSnapshot& snap, int64_t now_ms, bool last) {
  auto points = Observe(snap, now_ms, last);
  FLOWCTL_RETURN_IF_ERROR(history.AddErrors(pipeline, new_errors_));
  for (const auto& [node, profile] : new_schemas_)
    FLOWCTL_RETURN_IF_ERROR(
        history.AddSchema(pipeline, node, profile, schemas_from_ms_, now_ms, last));
  if (points.empty()) return Status::OK();
  return history.Add(pipeline, points, now_ms);
}

double ProcessRssMb() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (!(in >> pages_total >> pages_resident)) return 0;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

std::vector<MetricPoint> MetricFeed::Observe(const RunSnapshot& snap, int64_t now_ms, bool last) {
  std::vector<MetricPoint> out;
  new_schemas_.clear();
  bool restarted = !have_prev_ || snap.nodes.size() != prev_.nodes.size();
  for (size_t i = 0; !restarted && i < snap.nodes.size(); ++i)
    restarted = snap.nodes[i].id != prev_.nodes[i].id || snap.nodes[i].in < prev_.nodes[i].in ||
                snap.nodes[i].out < prev_.nodes[i].out;
  DiffErrors(snap, restarted);
  if (restarted) {
    // A run starts at zero: its first sample covers it from its start, so a
    // run shorter than the sampling period still leaves one.
    have_prev_ = true;
    int64_t ran_ms = std::llround(snap.elapsed_s * 1000);
    prev_ = snap;
    for (auto& n : prev_.nodes) {
      NodeSnapshot zero;
      zero.id = n.id;
      zero.type = n.type;
      zero.kind = n.kind;
      zero.concurrency = n.concurrency;
      n = std::move(zero);
    }
    prev_ms_ = now_ms - ran_ms;
  }
  // The last interval is a sample however short: at least 1 ms.
  if (last) prev_ms_ = std::min(prev_ms_, now_ms - 1);
  double dt = static_cast<double>(now_ms - prev_ms_) / 1000.0;
  if (!last && now_ms - prev_ms_ < kMinIntervalMs) return out;  // too short for a rate
  MetricPoint total;
  total.node = store::kPipelineNode;
  total.ts_ms = prev_ms_;
  double busy_sum = 0;
  schemas_from_ms_ = prev_ms_;
  for (size_t i = 0; i < snap.nodes.size(); ++i) {
    const NodeSnapshot& c = snap.nodes[i];
    const NodeSnapshot& p = prev_.nodes[i];
    if (c.schema.sampled > p.schema.sampled)
      new_schemas_.emplace_back(c.id, c.schema.Since(p.schema));
    auto rate = [&](uint64_t a, uint64_t b) {
      return static_cast<double>(a - std::min(a, b)) / dt;
    };
    auto crate = [&](const char* name) {
      return static_cast<double>(std::max<int64_t>(0, Counter(c, name) - Counter(p, name))) / dt;
    };
    MetricPoint m;
    m.node = c.id;
    m.ts_ms = prev_ms_;
    auto& v = m.v;
    v[store::kInPerS] = rate(c.in, p.in);
    v[store::kOutPerS] = rate(c.out, p.out);
    v[store::kErrorsPerS] = rate(c.errors, p.errors);
    v[store::kDroppedPerS] = rate(c.dropped, p.dropped);
    v[store::kDeadLetteredPerS] = rate(c.dead_lettered, p.dead_lettered);
    v[store::kRetriesPerS] = rate(c.retries, p.retries);
    v[store::kP50Us] = IntervalQuantile(c, p, 0.5);
    v[store::kP99Us] = IntervalQuantile(c, p, 0.99);
    v[store::kQueueDepth] = static_cast<double>(c.queue_depth);
    double busy_ms = std::max(0.0, c.busy_ms - p.busy_ms);
    v[store::kBusy] = std::min(1.0, busy_ms / (dt * 1000.0 * std::max(1, c.concurrency)));
    v[store::kAiCallsPerS] = crate("ai_calls");
    v[store::kAiTokensPerS] = crate("ai_input_tokens") + crate("ai_output_tokens");
    v[store::kAiCostUsdPerH] = crate("ai_cost_micro_usd") / 1e6 * 3600.0;
    v[store::kAiCacheHitsPerS] = crate("ai_cache_hits");
    v[store::kIntervalS] = dt;

    auto& t = total.v;
    if (c.kind == "source") t[store::kInPerS] += v[store::kOutPerS];
    if (c.kind == "sink") t[store::kOutPerS] += v[store::kOutPerS];
    for (auto k : {store::kErrorsPerS, store::kDroppedPerS, store::kDeadLetteredPerS,
                   store::kRetriesPerS, store::kQueueDepth, store::kAiCallsPerS,
                   store::kAiTokensPerS, store::kAiCostUsdPerH, store::kAiCacheHitsPerS})
      t[k] += v[k];
    t[store::kP50Us] = std::max(t[store::kP50Us], v[store::kP50Us]);
    t[store::kP99Us] = std::max(t[store::kP99Us], v[store::kP99Us]);
    busy_sum += v[store::kBusy];
    out.push_back(std::move(m));
  }
  total.v[store::kBusy] =
      snap.nodes.empty() ? 0 : busy_sum / static_cast<double>(snap.nodes.size());
  total.v[store::kRssMb] = ProcessRssMb();
  total.v[store::kIntervalS] = dt;
  out.push_back(std::move(total));
  prev_ = snap;
  prev_ms_ = now_ms;
  return out;
}

}  // namespace flowctl::engine
