// `ai debug`: findings from the metric history (ai/ops.h). Each detector
// reads measured series and says what it saw, where and when; thresholds are
// the named constants below.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "flowctl/ai/ops.h"
#include "flowctl/base/clock.h"
#include "flowctl/config/loader.h"

namespace flowctl::ai {

using nlohmann::json;

namespace {

// A node whose failures are at least this share of its input is reported.
constexpr double kErrorShareWarning = 0.01;
constexpr double kErrorShareCritical = 0.10;
// A bottleneck: workers busy at least this share of the time, on average.
constexpr double kBusyBottleneck = 0.85;
// A latency spike: an interval's p99 this many times the node's median p99,
// and at least this long in absolute terms (tiny batches jitter).
constexpr double kSpikeFactor = 5.0;
constexpr double kSpikeMinUs = 1000.0;
constexpr size_t kSpikeMinSamples = 10;
// Memory growth: a least-squares slope over the window of at least this
// share of the mean per hour, seen over at least this many samples.
constexpr double kRssGrowthPerHour = 0.25;
constexpr size_t kRssMinSamples = 30;
// An idle source: no output for this many seconds at the end of the window.
constexpr int64_t kIdleSeconds = 30;

using Series = std::vector<const store::MetricPoint*>;

// The count behind a rate: rate x the seconds each sample covers.
double Sum(const Series& s, store::Metric m) {
  double total = 0;
  for (const auto* p : s) total += p->v[m] * p->v[store::kIntervalS];
  return total;
}

double Seconds(const Series& s) {
  double total = 0;
  for (const auto* p : s) total += p->v[store::kIntervalS];
  return total;
}

std::string Pct(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, f < 0.1 ? "%.1f%%" : "%.0f%%", f * 100);
  return buf;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 100 ? "%.0f" : "%.2f", v);
  return buf;
}

const NodeSpec* FindNode(const PipelineSpec& spec, const std::string& id) {
  for (const NodeSpec* n : spec.AllNodes())
    if (n->id == id) return n;
  return nullptr;
}

NodeSpec* FindNode(PipelineSpec& spec, const std::string& id) {
  for (auto* list : {&spec.sources, &spec.processors, &spec.sinks})
    for (auto& n : *list)
      if (n.id == id) return &n;
  return nullptr;
}

// The document as a spec, when there is one and it loads.
std::optional<PipelineSpec> LoadSpec(const std::string& yaml) {
  if (yaml.empty()) return std::nullopt;
  config::LoadOptions lo;
  lo.template_files = false;
  auto r = config::LoadString(yaml, "<running>", lo);
  if (!r.ok() || r.documents.size() != 1) return std::nullopt;
  return r.documents[0].pipeline;
}

// Fix: failures of node go to a dead-letter sink (added when the pipeline
// has none) instead of stopping the run or vanishing.
std::string DeadLetterFix(PipelineSpec spec, const std::string& node) {
  NodeSpec* n = FindNode(spec, node);
  if (n == nullptr) return "";
  std::string dlq;
  for (const auto& s : spec.sinks)
    if (s.type == "dead-letter") dlq = s.id;
  if (dlq.empty()) {
    // Beside the pipeline's first file output, where its operator looks.
    std::string dir;
    for (const auto& s : spec.sinks)
      if (dir.empty() && s.config.contains("path") && s.config["path"].is_string())
        dir = std::filesystem::path(s.config["path"].get<std::string>()).parent_path().string();
    NodeSpec d;
    d.kind = NodeKind::kSink;
    d.type = "dead-letter";
    d.id = FindNode(spec, "dlq") == nullptr ? "dlq" : "dead-letters";
    d.config = {{"path", (dir.empty() ? "" : dir + "/") + spec.metadata.name + "-dead.jsonl"}};
    dlq = d.id;
    spec.sinks.push_back(std::move(d));
    n = FindNode(spec, node);  // the push may have moved the sinks
  }
  n->has_on_error = true;
  n->on_error = ErrorPolicy{};
  n->on_error.kind = ErrorPolicy::Kind::kDeadLetter;
  n->on_error.dead_letter_to = dlq;
  return config::ToYaml(spec);
}

std::string ConcurrencyFix(PipelineSpec spec, const std::string& node, int now) {
  NodeSpec* n = FindNode(spec, node);
  if (n == nullptr) return "";
  n->concurrency = std::max(2, now * 2);
  return config::ToYaml(spec);
}

int SeverityRank(const std::string& s) { return s == "critical" ? 0 : s == "warning" ? 1 : 2; }

json Clusters(const std::vector<store::ErrorGroup>& errors, const std::string& node) {
  json out = json::array();
  for (const auto& g : errors)
    if (g.node == node)
      out.push_back({{"message", g.message_template},
                     {"example_message", g.example_message},
                     {"count", g.count},
                     {"first_ms", g.first_ms},
                     {"last_ms", g.last_ms},
                     {"examples", g.examples}});
  return out;
}

}  // namespace

Result<DebugInput> GatherDebugInput(EngineApi& engine, const std::string& name,
                                    const std::string& since) {
  auto span = store::ParseSpan(since);
  if (!span.ok()) return span.status();
  auto info = engine.Get(name);
  if (!info.ok()) return info.status();
  auto points = engine.Metrics(name, "", span.value());
  if (!points.ok()) return points.status();
  auto errors = engine.Errors(name, "", span.value());
  if (!errors.ok()) return errors.status();
  DebugInput in;
  in.name = name;
  in.since = since;
  in.now_ms = UnixMs();
  in.yaml = info->yaml;
  in.snapshot = info->snapshot;
  in.points = std::move(points).value();
  in.errors = std::move(errors).value();
  return in;
}

DebugReport DebugPipeline(const DebugInput& in) {
  DebugReport r;
  r.name = in.name;
  r.since = in.since;
  std::map<std::string, Series> by_node;
  int res = 1;
  for (const auto& p : in.points) {
    by_node[p.node].push_back(&p);
    res = p.resolution_s;
  }
  r.resolution_s = in.points.empty() ? 0 : res;
  r.from_ms = INT64_MAX;
  r.to_ms = 0;
  for (const auto& p : in.points) {
    r.from_ms = std::min(r.from_ms, p.ts_ms);
    r.to_ms = std::max(r.to_ms, p.ts_ms + int64_t{res} * 1000);
  }
  if (in.points.empty()) r.from_ms = r.to_ms = in.now_ms;
  for (const auto& [node, s] : by_node) r.samples = std::max(r.samples, s.size());
  std::optional<PipelineSpec> spec = LoadSpec(in.yaml);
  auto kind_of = [&](const std::string& node) -> std::string {
    for (const auto& n : in.snapshot.nodes)
      if (n.id == node) return n.kind;
    if (spec)
      if (const NodeSpec* n = FindNode(*spec, node)) return NodeKindName(n->kind);
    return "";
  };

  for (const auto& [node, s] : by_node) {
    if (node == store::kPipelineNode || s.empty()) continue;
    const NodeSpec* ns = spec ? FindNode(*spec, node) : nullptr;
    std::string kind = kind_of(node);

    // ---- failures -------------------------------------------------------
    double in_events = Sum(s, store::kInPerS);
    double errors = Sum(s, store::kErrorsPerS);
    // A source's "in" is what it read; its failures are lines it could not read.
    double base = kind == "source" ? Sum(s, store::kOutPerS) + errors : in_events;
    if (errors >= 1 && base > 0 && errors / base >= kErrorShareWarning) {
      double share = errors / base;
      Finding f;
      f.kind = kind == "source" ? "malformed_input" : "errors";
      f.severity = share >= kErrorShareCritical ? "critical" : "warning";
      f.node = node;
      const store::MetricPoint* first = nullptr;
      for (const auto* p : s)
        if (p->v[store::kErrorsPerS] > 0 && first == nullptr) first = p;
      f.from_ms = first ? first->ts_ms : r.from_ms;
      f.to_ms = r.to_ms;
      f.title = kind == "source" ? node + ": " + Pct(share) + " of the input is malformed (" +
                                       Num(errors) + " of " + Num(base) + " events)"
                                 : node + ": " + Pct(share) + " of its events fail (" +
                                       Num(errors) + " of " + Num(base) + ")";
      f.evidence = {{"failed", std::llround(errors)},
                    {"seen", std::llround(base)},
                    {"share", share},
                    {"since_ms", f.from_ms},
                    {"clusters", Clusters(in.errors, node)}};
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
            std::string(ns && ns->has_on_error ? "being dropped"
                                               : "being dropped or "
                                                 "stopping the run");
        if (spec) f.fix_yaml = DeadLetterFix(*spec, node);
      }
      r.findings.push_back(std::move(f));
    }

    // ---- dead letters ---------------------------------------------------
    double dlq = Sum(s, store::kDeadLetteredPerS);
    if (dlq >= 1) {
      Finding f;
      f.kind = "dead_letters";
      f.severity = "info";
      f.node = node;
      f.from_ms = r.from_ms;
      f.to_ms = r.to_ms;
      // Growth: the second half of the window against the first.
      size_t half = s.size() / 2;
      double early = 0, late = 0;
      for (size_t i = 0; i < s.size(); ++i)
        (i < half ? early : late) += s[i]->v[store::kDeadLetteredPerS] * s[i]->v[store::kIntervalS];
      f.title = node + ": " + Num(dlq) + " event(s) sent to the dead-letter sink";
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
      r.findings.push_back(std::move(f));
    }

    // ---- bottleneck -----------------------------------------------------
    double busy = 0, queue_max = 0;
    for (const auto* p : s) {
      busy += p->v[store::kBusy];
      queue_max = std::max(queue_max, p->v[store::kQueueDepth]);
    }
    busy /= static_cast<double>(s.size());
    int concurrency = 1;
    size_t capacity = 0;
    for (const auto& n : in.snapshot.nodes)
      if (n.id == node) {
        concurrency = n.concurrency;
        capacity = n.queue_capacity;
      }
    if (busy >= kBusyBottleneck && kind != "source") {
      Finding f;
      f.kind = "bottleneck";
      f.severity = "warning";
      f.node = node;
      f.from_ms = r.from_ms;
      f.to_ms = r.to_ms;
      f.title = node + " is the bottleneck: its workers are busy " + Pct(busy) +
                " of the time and its input queue reached " + Num(queue_max) +
                (capacity ? " of " + std::to_string(capacity) : std::string());
      f.evidence = {{"busy", busy},
                    {"queue_depth_max", queue_max},
                    {"queue_capacity", capacity},
                    {"concurrency", concurrency},
                    {"in_per_s", in_events / std::max(1e-9, Seconds(s))}};
      if (kind == "sink") {
        f.fix = "the destination is slower than the input: speed it up, or batch writes";
      } else {
        f.fix = "run more instances of it: concurrency " + std::to_string(concurrency) + " -> " +
                std::to_string(std::max(2, concurrency * 2));
        if (spec) f.fix_yaml = ConcurrencyFix(*spec, node, concurrency);
      }
      r.findings.push_back(std::move(f));
    }

    // ---- latency spike --------------------------------------------------
    if (s.size() >= kSpikeMinSamples) {
      std::vector<double> p99;
      for (const auto* p : s)
        if (p->v[store::kP99Us] > 0) p99.push_back(p->v[store::kP99Us]);
      if (p99.size() >= kSpikeMinSamples) {
        std::vector<double> sorted = p99;
        std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
        double median = sorted[sorted.size() / 2];
        const store::MetricPoint* worst = nullptr;
        for (const auto* p : s)
          if (worst == nullptr || p->v[store::kP99Us] > worst->v[store::kP99Us]) worst = p;
        double peak = worst->v[store::kP99Us];
        if (median > 0 && peak >= kSpikeFactor * median && peak >= kSpikeMinUs) {
          Finding f;
          f.kind = "latency_spike";
          f.severity = "warning";
          f.node = node;
          // The spike's extent: the run of intervals above half its height.
          size_t at = 0;
          while (s[at] != worst) ++at;
          size_t lo = at, hi = at;
          while (lo > 0 && s[lo - 1]->v[store::kP99Us] >= peak / 2) --lo;
          while (hi + 1 < s.size() && s[hi + 1]->v[store::kP99Us] >= peak / 2) ++hi;
          f.from_ms = s[lo]->ts_ms;
          f.to_ms = s[hi]->ts_ms + int64_t{res} * 1000;
          f.title = node + ": batch p99 rose to " + Num(peak) + " us, " + Num(peak / median) +
                    "x its usual " + Num(median) + " us";
          f.evidence = {{"p99_us_peak", peak},
                        {"p99_us_median", median},
                        {"factor", peak / median},
                        {"intervals", hi - lo + 1}};
          f.fix =
              "look at what this node waits on in that window (a model provider, a "
              "destination, a lookup); a cache or retries with backoff smooth short ones";
          r.findings.push_back(std::move(f));
        }
      }
    }

    // ---- idle source ----------------------------------------------------
    if (kind == "source") {
      int64_t idle_since = -1;
      for (const auto* p : s) {
        if (p->v[store::kOutPerS] > 0)
          idle_since = -1;
        else if (idle_since < 0)
          idle_since = p->ts_ms;
      }
      double produced = Sum(s, store::kOutPerS);
      bool running = in.snapshot.nodes.empty() || in.snapshot.state == "running";
      if (running && idle_since >= 0 && r.to_ms - idle_since >= kIdleSeconds * 1000) {
        Finding f;
        f.kind = "idle_source";
        f.severity = "warning";
        f.node = node;
        f.from_ms = idle_since;
        f.to_ms = r.to_ms;
        f.title = produced > 0 ? node + " stopped producing " +
                                     std::to_string((r.to_ms - idle_since) / 1000) + " s ago"
                               : node + " produced nothing in the window";
        f.evidence = {{"idle_s", (r.to_ms - idle_since) / 1000}, {"produced", produced}};
        f.fix = "check what feeds it (the file is still written? the topic has data?)";
        r.findings.push_back(std::move(f));
      }
    }
  }

  // ---- memory growth ------------------------------------------------------
  if (auto it = by_node.find(store::kPipelineNode);
      it != by_node.end() && it->second.size() >= kRssMinSamples) {
    const Series& s = it->second;
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
    if (mean > 0 && slope >= kRssGrowthPerHour * mean) {
      Finding f;
      f.kind = "memory_growth";
      f.severity = "warning";
      f.from_ms = s.front()->ts_ms;
      f.to_ms = r.to_ms;
      f.title = "process memory grows " + Num(slope) + " MB/h (mean " + Num(mean) + " MB)";
      f.evidence = {{"slope_mb_per_h", slope},
                    {"mean_mb", mean},
                    {"first_mb", s.front()->v[store::kRssMb]},
                    {"last_mb", s.back()->v[store::kRssMb]}};
      f.fix = "a stateful node (dedupe window, cache) may hold more than it should: bound it";
      r.findings.push_back(std::move(f));
    }
  }
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) {
    return SeverityRank(a.severity) < SeverityRank(b.severity);
  });
  return r;
}

json ToJson(const Finding& f) {
  json j = {{"severity", f.severity}, {"kind", f.kind},   {"node", f.node},
            {"from_ms", f.from_ms},   {"to_ms", f.to_ms}, {"title", f.title},
            {"evidence", f.evidence}, {"fix", f.fix}};
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
