// `ai debug`: findings from the metric history (ai/ops.h). Each detector
// reads measured series and says what it saw, where and when; thresholds are
// the named constants below.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "flowctl/ai/forecast.h"
#include "flowctl/ai/ops.h"
#include "flowctl/base/clock.h"
#include "flowctl/config/loader.h"
#include "internal.h"

namespace flowctl::ai {

using nlohmann::json;
using namespace ops_internal;

namespace {

// A node whose failures are at least this share of its input is reported.
constexpr double kErrorShareWarning = 0.01;
constexpr double kErrorShareCritical = 0.10;
// A bottleneck: workers busy at least this share of the time, on average.
constexpr double kBusyBottleneck = 0.85;
// A latency spike: an interval's p99 this many times the node's median p99,
// and at least this long in absolute terms (tiny batches jitter). A single
// interval must be longer still: one descheduled batch on a loaded machine
// moves a fast node's p99 from 64 us to 1 ms for one second.
constexpr double kSpikeFactor = 5.0;
constexpr double kSpikeMinUs = 1000.0;
constexpr double kSpikeMinUsOneInterval = 10000.0;
constexpr size_t kSpikeMinSamples = 10;
// Memory growth: a least-squares slope over the window of at least this
// share of the mean per hour, seen over at least this many samples.
constexpr double kRssGrowthPerHour = 0.25;
constexpr size_t kRssMinSamples = 30;
// AI cost: an interval's cost per event this many times the node's median
// and this robust z-score above the window.
constexpr double kCostFactor = 3.0;
constexpr double kCostZ = 5.0;
// An idle source: no output for this many seconds at the end of the window.
constexpr int64_t kIdleSeconds = 30;

int SeverityRank(const std::string& s) { return s == "critical" ? 0 : s == "warning" ? 1 : 2; }

}  // namespace

int64_t VersionSince(const std::vector<store::AuditRecord>& audit, int version) {
  // Newest first: the last time this version was made the running one.
  for (const auto& a : audit) {
    if (a.result != "ok" || (a.action != "apply" && a.action != "rollback")) continue;
    nlohmann::json args = nlohmann::json::parse(a.arguments, nullptr, false);
    if (args.is_object() && args.value("version", 0) == version) return a.time_ms;
  }
  return 0;
}

Result<OpsInput> GatherOpsInput(EngineApi& engine, const std::string& name,
                                const std::string& since) {
  auto span = store::ParseSpan(since);
  if (!span.ok()) return span.status();
  auto info = engine.Get(name);
  if (!info.ok()) return info.status();
  auto points = engine.Metrics(name, "", span.value());
  if (!points.ok()) return points.status();
  auto errors = engine.Errors(name, "", span.value());
  if (!errors.ok()) return errors.status();
  auto schemas = engine.Schemas(name, "", span.value());
  if (!schemas.ok()) return schemas.status();
  OpsInput in;
  in.name = name;
  in.since = since;
  in.now_ms = UnixMs();
  in.yaml = info->yaml;
  in.snapshot = info->snapshot;
  in.points = std::move(points).value();
  in.errors = std::move(errors).value();
  in.schemas = std::move(schemas).value();
  // Earlier optimizations and their predictions (ai/optimize.h).
  if (auto audit = engine.AuditLog(name, 200); audit.ok()) in.audit = std::move(audit).value();
  in.version = info->version;
  in.version_since_ms = VersionSince(in.audit, info->version);
  in.registry = &engine.registry();
  return in;
}

namespace {

// What every detector of one node sees.
struct NodeView {
  const std::string& node;
  const Series& s;
  std::string kind;      // source, processor, sink ("" when unknown)
  const NodeSpec* spec;  // null without the document
  const OpsInput& in;
  const DebugReport& r;  // the window
};

Finding Make(const char* kind, const char* severity, const std::string& node, int64_t from_ms,
             int64_t to_ms) {
  Finding f;
  f.kind = kind;
  f.severity = severity;
  f.node = node;
  f.from_ms = from_ms;
  f.to_ms = to_ms;
  return f;
}

void DetectFailures(const NodeView& v, const std::optional<PipelineSpec>& spec,
                    std::vector<Finding>* out) {
  double in_events = Sum(v.s, store::kInPerS);
  double errors = Sum(v.s, store::kErrorsPerS);
  // A source's "in" is what it read; its failures are lines it could not read.
  bool source = v.kind == "source";
  double base = source ? Sum(v.s, store::kOutPerS) + errors : in_events;
  if (errors < 1 || base <= 0 || errors / base < kErrorShareWarning) return;
  double share = errors / base;
  const store::MetricPoint* first = nullptr;
  for (const auto* p : v.s)
    if (p->v[store::kErrorsPerS] > 0 && first == nullptr) first = p;
  Finding f = Make(source ? "malformed_input" : "errors",
                   share >= kErrorShareCritical ? "critical" : "warning", v.node,
                   first ? first->ts_ms : v.r.from_ms, v.r.to_ms);
  f.title = source ? v.node + ": " + Pct(share) + " of the input is malformed (" + Num(errors) +
                         " of " + Num(base) + " events)"
                   : v.node + ": " + Pct(share) + " of its events fail (" + Num(errors) + " of " +
                         Num(base) + ")";
  f.evidence = {{"failed", std::llround(errors)},
                {"seen", std::llround(base)},
                {"share", share},
                {"since_ms", f.from_ms},
                {"clusters", Clusters(v.in.errors, v.node)}};
  const NodeSpec* ns = v.spec;
  bool dead_letters = ns && ns->has_on_error &&
                      (ns->on_error.kind == ErrorPolicy::Kind::kDeadLetter ||
                       ns->on_error.then == ErrorPolicy::Kind::kDeadLetter);
  if (dead_letters) {
    f.fix = "the failed events are in the dead-letter sink '" + ns->on_error.dead_letter_to +
            "' with the reason: fix the cause shown in the clusters (the data or the node's "
            "config), then replay them";
  } else {
    f.fix =
        "send failed events to a dead-letter sink (on_error: dead_letter) so that they "
        "are kept with their reason instead of " +
        std::string(ns && ns->has_on_error ? "being dropped" : "being dropped or stopping the run");
    if (spec) f.fix_yaml = DeadLetterFix(*spec, v.node);
  }
  out->push_back(std::move(f));
}

void DetectDeadLetters(const NodeView& v, std::vector<Finding>* out) {
  double dlq = Sum(v.s, store::kDeadLetteredPerS);
  if (dlq < 1) return;
  Finding f = Make("dead_letters", "info", v.node, v.r.from_ms, v.r.to_ms);
  // Growth: the second half of the window against the first.
  size_t half = v.s.size() / 2;
  double early = 0, late = 0;
  for (size_t i = 0; i < v.s.size(); ++i)
    (i < half ? early : late) += v.s[i]->v[store::kDeadLetteredPerS] * v.s[i]->v[store::kIntervalS];
  f.title = v.node + ": " + Num(dlq) + " event(s) sent to the dead-letter sink";
  f.evidence = {{"dead_lettered", std::llround(dlq)},
                {"first_half", std::llround(early)},
                {"second_half", std::llround(late)}};
  if (late > 2 * early && late >= 10) {
    f.severity = "warning";
    f.title += ", growing (" + Num(early) + " then " + Num(late) + ")";
  }
  f.fix =
      "look at the reasons in the dead-letter file; the errors finding of this node "
      "shows them grouped";
  out->push_back(std::move(f));
}

void DetectBottleneck(const NodeView& v, const std::optional<PipelineSpec>& spec,
                      std::vector<Finding>* out) {
  if (v.kind == "source") return;
  double busy = 0, queue_max = 0;
  for (const auto* p : v.s) {
    busy += p->v[store::kBusy];
    queue_max = std::max(queue_max, p->v[store::kQueueDepth]);
  }
  busy /= static_cast<double>(v.s.size());
  if (busy < kBusyBottleneck) return;
  int concurrency = 1;
  size_t capacity = 0;
  for (const auto& n : v.in.snapshot.nodes)
    if (n.id == v.node) {
      concurrency = n.concurrency;
      capacity = n.queue_capacity;
    }
  Finding f = Make("bottleneck", "warning", v.node, v.r.from_ms, v.r.to_ms);
  f.title = v.node + " is the bottleneck: its workers are busy " + Pct(busy) +
            " of the time and its input queue reached " + Num(queue_max) +
            (capacity ? " of " + std::to_string(capacity) : std::string());
  f.evidence = {{"busy", busy},
                {"queue_depth_max", queue_max},
                {"queue_capacity", capacity},
                {"concurrency", concurrency},
                {"in_per_s", Sum(v.s, store::kInPerS) / std::max(1e-9, Seconds(v.s))}};
  if (v.kind == "sink") {
    f.fix = "the destination is slower than the input: speed it up, or batch writes";
  } else {
    f.fix = "run more instances of it: concurrency " + std::to_string(concurrency) + " -> " +
            std::to_string(std::max(2, concurrency * 2));
    if (spec) f.fix_yaml = ConcurrencyFix(*spec, v.node, std::max(2, concurrency * 2));
  }
  out->push_back(std::move(f));
}

void DetectLatencySpike(const NodeView& v, std::vector<Finding>* out) {
  const Series& s = v.s;
  std::vector<double> p99;
  for (const auto* p : s)
    if (p->v[store::kP99Us] > 0) p99.push_back(p->v[store::kP99Us]);
  if (s.size() < kSpikeMinSamples || p99.size() < kSpikeMinSamples) return;
  std::nth_element(p99.begin(), p99.begin() + p99.size() / 2, p99.end());
  double median = p99[p99.size() / 2];
  size_t at = 0;
  for (size_t i = 1; i < s.size(); ++i)
    if (s[i]->v[store::kP99Us] > s[at]->v[store::kP99Us]) at = i;
  double peak = s[at]->v[store::kP99Us];
  if (median <= 0 || peak < kSpikeFactor * median || peak < kSpikeMinUs) return;
  // The spike's extent: the run of intervals above half its height.
  size_t lo = at, hi = at;
  while (lo > 0 && s[lo - 1]->v[store::kP99Us] >= peak / 2) --lo;
  while (hi + 1 < s.size() && s[hi + 1]->v[store::kP99Us] >= peak / 2) ++hi;
  if (hi == lo && peak < kSpikeMinUsOneInterval) return;
  Finding f = Make("latency_spike", "warning", v.node, s[lo]->ts_ms,
                   s[hi]->ts_ms + int64_t{s[hi]->resolution_s} * 1000);
  f.title = v.node + ": batch p99 rose to " + Num(peak) + " us, " + Num(peak / median) +
            "x its usual " + Num(median) + " us";
  f.evidence = {{"p99_us_peak", peak},
                {"p99_us_median", median},
                {"factor", peak / median},
                {"intervals", hi - lo + 1}};
  f.fix =
      "look at what this node waits on in that window (a model provider, a "
      "destination, a lookup); a cache or retries with backoff smooth short ones";
  out->push_back(std::move(f));
}

void DetectIdleSource(const NodeView& v, std::vector<Finding>* out) {
  if (v.kind != "source") return;
  int64_t idle_since = -1;
  for (const auto* p : v.s) {
    if (p->v[store::kOutPerS] > 0)
      idle_since = -1;
    else if (idle_since < 0)
      idle_since = p->ts_ms;
  }
  bool running = v.in.snapshot.nodes.empty() || v.in.snapshot.state == "running";
  if (!running || idle_since < 0 || v.r.to_ms - idle_since < kIdleSeconds * 1000) return;
  double produced = Sum(v.s, store::kOutPerS);
  Finding f = Make("idle_source", "warning", v.node, idle_since, v.r.to_ms);
  f.title = produced > 0 ? v.node + " stopped producing " +
                               std::to_string((v.r.to_ms - idle_since) / 1000) + " s ago"
                         : v.node + " produced nothing in the window";
  f.evidence = {{"idle_s", (v.r.to_ms - idle_since) / 1000}, {"produced", produced}};
  f.fix = "check what feeds it (the file is still written? the topic has data?)";
  out->push_back(std::move(f));
}

// An AI node whose model cost per event jumped: an interval's cost per
// event at least kCostFactor times the node's median, and a robust outlier
// against the window (prompts grew, the cache stopped hitting, a pricier
// model).
void DetectAiCost(const NodeView& v, std::vector<Finding>* out) {
  std::vector<double> per_event;
  std::vector<const store::MetricPoint*> at;
  for (const auto* p : v.s)
    if (p->v[store::kInPerS] > 0 && p->v[store::kAiCostUsdPerH] > 0) {
      per_event.push_back(p->v[store::kAiCostUsdPerH] / 3600 / p->v[store::kInPerS]);
      at.push_back(p);
    }
  if (per_event.size() < kSpikeMinSamples) return;
  size_t peak = 0;
  for (size_t i = 1; i < per_event.size(); ++i)
    if (per_event[i] > per_event[peak]) peak = i;
  std::vector<double> sorted = per_event;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  double median = sorted[sorted.size() / 2];
  auto z = forecast::RobustZ(per_event, per_event[peak]);
  if (median <= 0 || per_event[peak] < kCostFactor * median || !z || *z < kCostZ) return;
  const auto* p = at[peak];
  Finding f =
      Make("ai_cost", "warning", v.node, p->ts_ms, p->ts_ms + int64_t{p->resolution_s} * 1000);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f USD", per_event[peak]);
  std::string peak_text = buf;
  std::snprintf(buf, sizeof buf, "%.6f USD", median);
  f.title = v.node + ": model cost per event rose to " + peak_text + ", " +
            Num(per_event[peak] / median) + "x its usual " + buf;
  double hits = p->v[store::kAiCacheHitsPerS], calls = p->v[store::kAiCallsPerS];
  f.evidence = {{"cost_per_event_usd", per_event[peak]},
                {"median_cost_per_event_usd", median},
                {"robust_z", *z},
                {"tokens_per_s", p->v[store::kAiTokensPerS]},
                {"calls_per_s", calls},
                {"cache_hit_rate", hits + calls > 0 ? hits / (hits + calls) : 0.0}};
  f.fix =
      "look at what the node sent then (longer inputs, a cache that stopped hitting); "
      "`flowctl ai optimize --goal cost` prices a cheaper model";
  out->push_back(std::move(f));
}

// A least-squares slope of the process memory over the window.
void DetectMemoryGrowth(const Series& s, const DebugReport& r, std::vector<Finding>* out) {
  if (s.size() < kRssMinSamples) return;
  double n = static_cast<double>(s.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto* p : s) {
    double x = static_cast<double>(p->ts_ms - s.front()->ts_ms) / 3.6e6;  // hours
    double y = p->v[store::kRssMb];
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  double denom = n * sxx - sx * sx;
  double slope = denom > 0 ? (n * sxy - sx * sy) / denom : 0;  // MB per hour
  double mean = sy / n;
  if (mean <= 0 || slope < kRssGrowthPerHour * mean) return;
  Finding f = Make("memory_growth", "warning", "", s.front()->ts_ms, r.to_ms);
  f.title = "process memory grows " + Num(slope) + " MB/h (mean " + Num(mean) + " MB)";
  f.evidence = {{"slope_mb_per_h", slope},
                {"mean_mb", mean},
                {"first_mb", s.front()->v[store::kRssMb]},
                {"last_mb", s.back()->v[store::kRssMb]}};
  f.fix = "a stateful node (dedupe window, cache) may hold more than it should: bound it";
  out->push_back(std::move(f));
}

}  // namespace

DebugReport DebugPipeline(const OpsInput& in) {
  DebugReport r;
  r.name = in.name;
  r.since = in.since;
  std::map<std::string, Series> by_node;
  r.from_ms = in.points.empty() ? in.now_ms : INT64_MAX;
  r.to_ms = in.points.empty() ? in.now_ms : 0;
  for (const auto& p : in.points) {
    by_node[p.node].push_back(&p);
    r.resolution_s = p.resolution_s;
    r.from_ms = std::min(r.from_ms, p.ts_ms);
    r.to_ms = std::max(r.to_ms, p.ts_ms + int64_t{p.resolution_s} * 1000);
  }
  for (const auto& [node, s] : by_node) r.samples = std::max(r.samples, s.size());
  std::optional<PipelineSpec> spec = LoadSpec(in.yaml);
  for (const auto& [node, s] : by_node) {
    if (node == store::kPipelineNode) continue;
    const NodeSpec* ns = spec ? FindNode(*spec, node) : nullptr;
    std::string kind = ns ? NodeKindName(ns->kind) : "";
    for (const auto& n : in.snapshot.nodes)
      if (n.id == node) kind = n.kind;
    NodeView v{node, s, kind, ns, in, r};
    DetectFailures(v, spec, &r.findings);
    DetectDeadLetters(v, &r.findings);
    DetectBottleneck(v, spec, &r.findings);
    DetectLatencySpike(v, &r.findings);
    DetectIdleSource(v, &r.findings);
    DetectAiCost(v, &r.findings);
  }
  if (auto it = by_node.find(store::kPipelineNode); it != by_node.end())
    DetectMemoryGrowth(it->second, r, &r.findings);
  DetectSchemaDrift(in, spec, by_node, &r.findings);
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) {
    return SeverityRank(a.severity) < SeverityRank(b.severity);
  });
  return r;
}

std::string FindingId(const Finding& f) { return f.node.empty() ? f.kind : f.kind + ":" + f.node; }

int FindFinding(const DebugReport& r, const std::string& ref) {
  if (!ref.empty() && ref.find_first_not_of("0123456789") == std::string::npos) {
    size_t n = ref.size() > 6 ? 0 : std::stoul(ref);
    return n >= 1 && n <= r.findings.size() ? static_cast<int>(n) - 1 : -1;
  }
  for (size_t i = 0; i < r.findings.size(); ++i)
    if (FindingId(r.findings[i]) == ref) return static_cast<int>(i);
  return -1;
}

json ToJson(const Finding& f) {
  json j = {{"id", FindingId(f)}, {"severity", f.severity}, {"kind", f.kind},
            {"node", f.node},     {"from_ms", f.from_ms},   {"to_ms", f.to_ms},
            {"title", f.title},   {"evidence", f.evidence}, {"fix", f.fix}};
  if (!f.fix_yaml.empty()) j["fix_yaml"] = f.fix_yaml;
  return j;
}

json ToJson(const DebugReport& r) {
  json findings = json::array();
  for (const auto& f : r.findings) findings.push_back(ToJson(f));
  return {{"name", r.name},      {"since", r.since},     {"from_ms", r.from_ms},
          {"to_ms", r.to_ms},    {"samples", r.samples}, {"resolution_s", r.resolution_s},
          {"findings", findings}};
}

}  // namespace flowctl::ai
