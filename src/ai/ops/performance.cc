// Performance analysis over the metric history (ai/ops.h).
#include <algorithm>
#include <cmath>
#include <map>

#include "flowctl/ai/ops.h"
#include "flowctl/engine/metric_feed.h"

namespace flowctl::ai {

using nlohmann::json;

namespace {

// The current run as one interval from its start: the same feed that
// samples the history turns its counters into rates.
std::vector<store::MetricPoint> CurrentRunPoints(const RunSnapshot& s) {
  engine::MetricFeed feed;
  return feed.Observe(s, std::llround(s.elapsed_s * 1000), true);
}

std::string Percent(double f) {
  return std::to_string(static_cast<int>(std::lround(f * 100))) + "%";
}

}  // namespace

Result<PerformanceReport> AnalyzePerformance(EngineApi& engine, const std::string& name,
                                             const std::string& time_range,
                                             const std::vector<std::string>& goals) {
  static const std::vector<std::string> kGoals = {"latency", "throughput", "cost", "reliability"};
  std::string range = time_range.empty() ? "1h" : time_range;
  const auto& ranges = TimeRanges();
  if (std::find(ranges.begin(), ranges.end(), range) == ranges.end())
    return Status::Invalid("time_range must be one of 1h, 24h, 7d, 30d, got '" + range + "'");
  for (const auto& g : goals)
    if (std::find(kGoals.begin(), kGoals.end(), g) == kGoals.end())
      return Status::Invalid("optimization_goals: '" + g +
                             "' is not one of latency, throughput, cost, reliability");
  auto info = engine.Get(name);
  if (!info.ok()) return info.status();
  auto span = store::ParseSpan(range);
  if (!span.ok()) return span.status();
  auto points = engine.Metrics(name, "", span.value());
  if (!points.ok()) return points.status();

  PerformanceReport r;
  r.name = info->name;
  r.time_range = range;
  r.source = "history";
  std::vector<store::MetricPoint> pts = std::move(points).value();
  if (pts.empty()) {
    r.source = "current run";
    pts = CurrentRunPoints(info->snapshot);
  }
  // Per node: sums over the intervals (all of one resolution).
  struct Acc {
    int n = 0;
    double in = 0, errors = 0, p50 = 0, p99 = 0, busy = 0, queue = 0;
  };
  std::map<std::string, Acc> acc;
  int64_t first = INT64_MAX, last = INT64_MIN;
  int resolution = 1;
  for (const auto& p : pts) {
    Acc& a = acc[p.node];
    ++a.n;
    a.in += p.v[store::kInPerS];
    a.errors += p.v[store::kErrorsPerS];
    a.p50 += p.v[store::kP50Us];
    a.p99 = std::max(a.p99, p.v[store::kP99Us]);
    a.busy += p.v[store::kBusy];
    a.queue = std::max(a.queue, p.v[store::kQueueDepth]);
    first = std::min(first, p.ts_ms);
    last = std::max(last, p.ts_ms);
    resolution = p.resolution_s;
  }
  r.window_s = r.source == "history" ? static_cast<double>(last - first) / 1000.0 + resolution
                                     : info->snapshot.elapsed_s;
  double worst_busy = -1;
  for (const auto& n : info->snapshot.nodes) {
    auto it = acc.find(n.id);
    if (it == acc.end() || it->second.n == 0) continue;
    const Acc& a = it->second;
    NodePerformance np;
    np.node = n.id;
    np.type = n.type;
    np.kind = n.kind;
    np.events_per_s = a.in / a.n;
    np.p50_us = a.p50 / a.n;
    np.p99_us = a.p99;
    np.error_rate = a.in > 0 ? a.errors / a.in : 0;
    np.busy = a.busy / a.n;
    np.queue_depth = a.queue;
    if (np.busy > worst_busy) {
      worst_busy = np.busy;
      r.bottleneck = np.node;
    }
    r.p50_us = std::max(r.p50_us, np.p50_us);
    r.p99_us = std::max(r.p99_us, np.p99_us);
    r.nodes.push_back(std::move(np));
  }
  if (auto it = acc.find(store::kPipelineNode); it != acc.end() && it->second.n > 0) {
    const Acc& t = it->second;
    r.throughput_eps = t.in / t.n;
    double in = 0;
    for (const auto& np : r.nodes) in += np.events_per_s;
    r.error_rate = in > 0 ? (t.errors / t.n) / in : 0;
  }

  if (r.source == "history")
    r.findings.push_back("from the metric history: " + std::to_string(pts.size()) + " samples at " +
                         std::to_string(resolution) + " s covering " +
                         std::to_string(static_cast<int64_t>(r.window_s)) + " s of the last " +
                         range);
  else
    r.findings.push_back("no history yet for the last " + range + ": the current run's " +
                         std::to_string(static_cast<int64_t>(r.window_s)) + " s of counters");
  if (!r.bottleneck.empty()) {
    const NodePerformance* b = nullptr;
    for (const auto& np : r.nodes)
      if (np.node == r.bottleneck) b = &np;
    r.findings.push_back("busiest node: " + b->node + " (busy " + Percent(b->busy) +
                         " of its workers' time, deepest input queue " +
                         std::to_string(static_cast<int64_t>(b->queue_depth)) + ")");
  }
  for (const auto& np : r.nodes)
    if (np.error_rate > 0)
      r.findings.push_back(np.node + ": " + Percent(np.error_rate) + " of its events failed");
  return r;
}

json ToJson(const PerformanceReport& r) {
  json nodes = json::array();
  for (const auto& n : r.nodes)
    nodes.push_back({{"id", n.node},
                     {"type", n.type},
                     {"kind", n.kind},
                     {"events_per_second", n.events_per_s},
                     {"p50_batch_us", n.p50_us},
                     {"p99_batch_us", n.p99_us},
                     {"error_rate", n.error_rate},
                     {"busy_fraction", n.busy},
                     {"queue_depth", n.queue_depth}});
  return {{"name", r.name},
          {"time_range", r.time_range},
          {"source", r.source},
          {"window_s", r.window_s},
          {"throughput_eps", r.throughput_eps},
          {"p50_batch_us", r.p50_us},
          {"p99_batch_us", r.p99_us},
          {"error_rate", r.error_rate},
          {"busiest_node", r.bottleneck},
          {"nodes", nodes},
          {"findings", r.findings}};
}

}  // namespace flowctl::ai
