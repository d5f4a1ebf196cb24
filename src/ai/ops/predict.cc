// Predictions of ai/predict.h over the metric history.
#include "flowctl/ai/predict.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <string>

#include "flowctl/ai/forecast.h"
#include "internal.h"

namespace flowctl::ai {

using nlohmann::json;
using namespace ops_internal;

namespace {

// A trend needs this many samples before it says anything.
constexpr size_t kMinTrendSamples = 10;
// Thresholds a trend is extrapolated to.
constexpr double kErrorShareLimit = 0.10;
constexpr double kMemoryShareLimit = 0.90;
// Anomalies: the last samples tested against the ones before.
constexpr size_t kRecentSamples = 5;
constexpr size_t kMinBaseline = 20;
// Holt forecasts run over at most this many points (buckets averaged).
constexpr size_t kMaxForecastPoints = 500;

constexpr char kAlgorithms[] =
    "failures: least-squares trend to a threshold (score = r2); forecasts: Holt linear "
    "smoothing (alpha 0.5, beta 0.3), 95% interval from one-step errors; anomalies: robust "
    "z-score (median/MAD) of the last 5 samples against the window before them";

// The memory this process may use: the cgroup v2 limit when there is one,
// else the machine's physical memory.
double HostMemoryLimitMb() {
  std::ifstream cg("/sys/fs/cgroup/memory.max");
  std::string v;
  if (cg >> v && v != "max") {
    char* end = nullptr;
    double bytes = std::strtod(v.c_str(), &end);
    if (end != v.c_str() && bytes > 0) return bytes / (1024.0 * 1024.0);
  }
  std::ifstream mi("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (mi >> key >> kb >> unit)
    if (key == "MemTotal:") return kb / 1024.0;
  return 0;
}

std::vector<forecast::Point> SeriesOf(const Series& s, int64_t t0_ms,
                                      double (*value)(const store::MetricPoint&, bool*)) {
  std::vector<forecast::Point> out;
  for (const auto* p : s) {
    bool ok = true;
    double y = value(*p, &ok);
    if (ok) out.push_back({static_cast<double>(p->ts_ms - t0_ms) / 1000.0, y});
  }
  return out;
}

double QueueOf(const store::MetricPoint& p, bool*) { return p.v[store::kQueueDepth]; }
double RssOf(const store::MetricPoint& p, bool*) { return p.v[store::kRssMb]; }
double InOf(const store::MetricPoint& p, bool*) { return p.v[store::kInPerS]; }
double P99Of(const store::MetricPoint& p, bool*) { return p.v[store::kP99Us]; }
double ErrorsOf(const store::MetricPoint& p, bool*) { return p.v[store::kErrorsPerS]; }
double ErrorShareOf(const store::MetricPoint& p, bool* ok) {
  double base = p.v[store::kInPerS];
  *ok = base > 0;
  return base > 0 ? p.v[store::kErrorsPerS] / base : 0;
}

std::string Duration(double s) {
  char buf[32];
  if (s < 120)
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 7200)
    std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  else
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

// A trend of one series towards threshold, reported when it gets there
// within the horizon.
void Trend(const std::vector<forecast::Point>& pts, double threshold, const PredictOptions& o,
           PredictedFailure f, std::vector<PredictedFailure>* out) {
  if (pts.size() < kMinTrendSamples || threshold <= 0) return;
  forecast::Line line = forecast::FitLine(pts);
  double last_t = pts.back().t;
  f.current = pts.back().y;
  f.threshold = threshold;
  // Already there: the failure is now, whatever the trend.
  std::optional<double> at = f.current >= threshold ? std::optional<double>(last_t)
                                                    : forecast::Crossing(line, threshold, last_t);
  if (!at) return;
  f.score = line.r2;
  f.eta_s = *at - last_t;
  if (f.eta_s > static_cast<double>(o.horizon_s) || (f.eta_s > 0 && f.score < o.min_score)) return;
  f.evidence = {{"slope_per_s", line.slope},
                {"samples", line.n},
                {"window_s", last_t - pts.front().t},
                {"r2", line.r2},
                {"fitted_now", line.At(last_t)}};
  out->push_back(std::move(f));
}

void Failures(const std::map<std::string, Series>& by_node, int64_t t0, const OpsInput& in,
              const PredictOptions& o, std::vector<PredictedFailure>* out) {
  for (const auto& [node, s] : by_node) {
    if (node == store::kPipelineNode) continue;
    size_t capacity = 0;
    for (const auto& n : in.snapshot.nodes)
      if (n.id == node) capacity = n.queue_capacity;
    PredictedFailure q;
    q.kind = "queue_full";
    q.node = node;
    q.metric = "queue_depth";
    size_t before = out->size();
    Trend(SeriesOf(s, t0, QueueOf), static_cast<double>(capacity), o, q, out);
    if (out->size() > before) {
      auto& f = out->back();
      f.title = f.eta_s <= 0
                    ? node + "'s input queue is full: backpressure on what feeds it now"
                    : node + "'s input queue fills in about " + Duration(f.eta_s) +
                          " at its trend (" + Num(f.current) + " of " + Num(f.threshold) + ")";
    }
    PredictedFailure e;
    e.kind = "error_rate";
    e.node = node;
    e.metric = "error_share";
    before = out->size();
    Trend(SeriesOf(s, t0, ErrorShareOf), kErrorShareLimit, o, e, out);
    if (out->size() > before) {
      auto& f = out->back();
      f.title = f.eta_s <= 0 ? node + " fails " + Pct(f.current) + " of its events now"
                             : node + "'s failures reach " + Pct(kErrorShareLimit) +
                                   " of its events in about " + Duration(f.eta_s) + " (now " +
                                   Pct(f.current) + ")";
    }
  }
  auto total = by_node.find(store::kPipelineNode);
  if (total == by_node.end()) return;
  double limit = o.memory_limit_mb > 0 ? o.memory_limit_mb : HostMemoryLimitMb();
  PredictedFailure m;
  m.kind = "memory_exhaustion";
  m.metric = "rss_mb";
  size_t before = out->size();
  Trend(SeriesOf(total->second, t0, RssOf), limit * kMemoryShareLimit, o, m, out);
  if (out->size() > before) {
    auto& f = out->back();
    f.title = "process memory reaches " + Num(f.threshold) + " MB (90% of the " + Num(limit) +
              " MB limit) in about " + Duration(f.eta_s) + " (now " + Num(f.current) + " MB)";
    f.evidence["limit_mb"] = limit;
  }
}

// Bucket means, so that Holt's steps stay a fixed spacing at most
// kMaxForecastPoints long.
std::vector<forecast::Point> Thin(const std::vector<forecast::Point>& pts) {
  if (pts.size() <= kMaxForecastPoints) return pts;
  size_t per = (pts.size() + kMaxForecastPoints - 1) / kMaxForecastPoints;
  std::vector<forecast::Point> out;
  for (size_t i = 0; i < pts.size(); i += per) {
    forecast::Point p;
    size_t n = std::min(per, pts.size() - i);
    for (size_t k = 0; k < n; ++k) {
      p.t += pts[i + k].t / static_cast<double>(n);
      p.y += pts[i + k].y / static_cast<double>(n);
    }
    out.push_back(p);
  }
  return out;
}

void Forecasts(const std::map<std::string, Series>& by_node, int64_t t0, const PredictOptions& o,
               std::vector<CapacityForecast>* out) {
  auto total = by_node.find(store::kPipelineNode);
  if (o.forecast_s <= 0 || total == by_node.end()) return;
  struct M {
    const char* name;
    double (*value)(const store::MetricPoint&, bool*);
    bool non_negative_share;
  };
  for (const M& m : {M{"throughput_eps", InOf, false}, M{"p99_us", P99Of, false},
                     M{"error_share", ErrorShareOf, true}}) {
    auto all = SeriesOf(total->second, t0, m.value);
    auto pts = Thin(all);
    if (pts.size() < kMinTrendSamples) continue;
    forecast::Holt h = forecast::FitHolt(pts);
    CapacityForecast f;
    f.metric = m.name;
    f.now = all.back().y;
    f.horizon_s = static_cast<double>(o.forecast_s);
    // From the last sample, which a bucket mean may precede.
    f.at = h.At(f.horizon_s + all.back().t - pts.back().t);
    double spread = h.Spread(f.horizon_s);
    f.low = f.at - spread;
    f.high = f.at + spread;
    // Rates, latencies and shares are not negative; a share is at most 1.
    for (double* v : {&f.at, &f.low, &f.high})
      *v = std::clamp(*v, 0.0, m.non_negative_share ? 1.0 : HUGE_VAL);
    double span = pts.back().t - pts.front().t;
    if (span > 0 && f.horizon_s > 3 * span)
      f.note = "extrapolates " + Num(f.horizon_s / span) + "x the " + Duration(span) +
               " of data: a trend, not a promise";
    out->push_back(std::move(f));
  }
}

void Anomalies(const std::map<std::string, Series>& by_node, double z_limit,
               std::vector<Anomaly>* out) {
  struct M {
    const char* name;
    store::Metric metric;
  };
  for (const auto& [node, s] : by_node) {
    if (s.size() < kMinBaseline + kRecentSamples) continue;
    for (const M& m : {M{"in_per_s", store::kInPerS}, M{"p99_us", store::kP99Us},
                       M{"errors_per_s", store::kErrorsPerS}}) {
      std::vector<double> base;
      for (size_t i = 0; i + kRecentSamples < s.size(); ++i) base.push_back(s[i]->v[m.metric]);
      Anomaly best;
      bool found = false;
      for (size_t i = s.size() - kRecentSamples; i < s.size(); ++i) {
        auto z = forecast::RobustZ(base, s[i]->v[m.metric]);
        if (!z || std::fabs(*z) < z_limit || (found && std::fabs(*z) <= std::fabs(best.z)))
          continue;
        found = true;
        best.node = node;
        best.metric = m.name;
        best.ts_ms = s[i]->ts_ms;
        best.value = s[i]->v[m.metric];
        best.z = *z;
      }
      if (!found) continue;
      std::vector<double> sorted = base;
      std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
      best.baseline = sorted[sorted.size() / 2];
      out->push_back(best);
    }
  }
  std::sort(out->begin(), out->end(),
            [](const Anomaly& a, const Anomaly& b) { return std::fabs(a.z) > std::fabs(b.z); });
}

}  // namespace

Result<double> SensitivityZ(const std::string& sensitivity) {
  if (sensitivity == "high") return 3.0;
  if (sensitivity.empty() || sensitivity == "medium") return 3.5;
  if (sensitivity == "low") return 5.0;
  return Status::Invalid("sensitivity '" + sensitivity + "' is not one of high, medium, low");
}

Result<PredictOptions> ParsePredictOptions(const std::string& horizon, const std::string& forecast,
                                           const std::string& sensitivity) {
  PredictOptions o;
  if (!horizon.empty()) {
    auto h = store::ParseSpan(horizon);
    if (!h.ok()) return Status::Invalid("horizon: " + h.status().message());
    o.horizon_s = h.value();
  }
  if (!forecast.empty()) {
    auto f = store::ParseSpan(forecast);
    if (!f.ok()) return Status::Invalid("forecast window: " + f.status().message());
    o.forecast_s = f.value();
  }
  auto z = SensitivityZ(sensitivity);
  if (!z.ok()) return z.status();
  o.anomaly_z = z.value();
  return o;
}

PredictionReport PredictFailures(const OpsInput& in, const PredictOptions& o) {
  PredictionReport r;
  r.name = in.name;
  r.horizon_s = o.horizon_s;
  r.algorithms = kAlgorithms;
  // The running version's samples: a change of version is a change of trend.
  int64_t from = in.version_since_ms;
  std::map<std::string, Series> by_node;
  int64_t t0 = INT64_MAX;
  for (const auto& p : in.points)
    if (p.ts_ms >= from) {
      by_node[p.node].push_back(&p);
      t0 = std::min(t0, p.ts_ms);
    }
  if (auto it = by_node.find(store::kPipelineNode); it != by_node.end())
    r.window_s = Seconds(it->second);
  if (by_node.empty()) {
    r.notes.push_back("no samples in the last " + in.since +
                      ": a pipeline is sampled once a second while it runs");
    return r;
  }
  Failures(by_node, t0, in, o, &r.failures);
  std::sort(r.failures.begin(), r.failures.end(),
            [](const PredictedFailure& a, const PredictedFailure& b) { return a.eta_s < b.eta_s; });
  Forecasts(by_node, t0, o, &r.forecasts);
  Anomalies(by_node, o.anomaly_z, &r.anomalies);
  return r;
}

json ToJson(const PredictedFailure& f) {
  return {{"kind", f.kind},       {"node", f.node},           {"metric", f.metric},
          {"current", f.current}, {"threshold", f.threshold}, {"eta_s", f.eta_s},
          {"score", f.score},     {"title", f.title},         {"evidence", f.evidence}};
}

json ToJson(const PredictionReport& r) {
  json failures = json::array(), forecasts = json::array(), anomalies = json::array();
  for (const auto& f : r.failures) failures.push_back(ToJson(f));
  for (const auto& f : r.forecasts)
    forecasts.push_back({{"metric", f.metric},
                         {"now", f.now},
                         {"at", f.at},
                         {"low", f.low},
                         {"high", f.high},
                         {"horizon_s", f.horizon_s},
                         {"note", f.note}});
  for (const auto& a : r.anomalies)
    anomalies.push_back({{"node", a.node},
                         {"metric", a.metric},
                         {"ts_ms", a.ts_ms},
                         {"value", a.value},
                         {"baseline", a.baseline},
                         {"z", a.z}});
  return {{"name", r.name},       {"horizon_s", r.horizon_s},  {"window_s", r.window_s},
          {"failures", failures}, {"forecasts", forecasts},    {"anomalies", anomalies},
          {"notes", r.notes},     {"algorithms", r.algorithms}};
}

}  // namespace flowctl::ai
