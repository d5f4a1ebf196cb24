// AI operations: analysis of running pipelines from measurements. One
// implementation behind every surface: the analyze_pipeline_performance
// tool (MCP, OpenAI/Anthropic specs), the gRPC AIAgentService
// AnalyzePerformance, and the CLI.
//
// Numbers come from the metric history (store/metric_history.h) over the
// asked range, or, when the history holds nothing yet, from the current
// run's counters; `source` says which. Nothing is estimated.
//
// Contract: stateless functions over an EngineApi; thread-safe as the
// EngineApi is.
#ifndef FLOWCTL_AI_OPS_H_
#define FLOWCTL_AI_OPS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowctl/ai/engine_api.h"
#include "flowctl/ai/provider.h"
#include "flowctl/base/status.h"
#include "flowctl/store/metric_history.h"

namespace flowctl::ai {

struct NodePerformance {
  std::string node, type, kind;
  double events_per_s = 0;  // in
  double p50_us = 0;        // mean of the intervals' batch p50
  double p99_us = 0;        // worst interval's batch p99
  double error_rate = 0;    // errors / in
  double busy = 0;          // mean busy fraction of the node's workers
  double queue_depth = 0;   // deepest input queue seen
};

struct PerformanceReport {
  std::string name;
  std::string time_range;  // as asked: 1h, 24h, 7d, 30d
  std::string source;      // "history" or "current run"
  double window_s = 0;     // the part of the range the data covers
  double throughput_eps = 0;
  double p50_us = 0, p99_us = 0, error_rate = 0;
  std::string bottleneck;  // the busiest node
  std::vector<NodePerformance> nodes;
  std::vector<std::string> findings;
};

inline const std::vector<std::string>& TimeRanges() {
  static const std::vector<std::string> kRanges = {"1h", "24h", "7d", "30d"};
  return kRanges;
}

// goals: latency, throughput, cost, reliability (checked, not yet used:
// the findings are the same for every goal). time_range "" = 1h.
Result<PerformanceReport> AnalyzePerformance(EngineApi& engine, const std::string& name,
                                             const std::string& time_range,
                                             const std::vector<std::string>& goals);
nlohmann::json ToJson(const PerformanceReport& r);

// ---- ai debug ------------------------------------------------------------
// Findings about a pipeline from its metric history and error groups, each
// with severity, node, time window, evidence (measured numbers and example
// events) and a suggested fix; a fix that is a change of the pipeline comes
// as the whole patched document (fix_yaml) to preview and apply like any
// other (preview_apply -> plan_token -> apply_pipeline, or `ai debug
// --apply N`), so it makes a new version that can be rolled back.

struct Finding {
  std::string severity;  // critical, warning, info
  std::string kind;      // errors, malformed_input, dead_letters, bottleneck,
                         // latency_spike, memory_growth, idle_source, ai_cost,
                         // schema_drift
  std::string node;      // "" for the whole pipeline
  int64_t from_ms = 0, to_ms = 0;
  std::string title;
  nlohmann::json evidence = nlohmann::json::object();
  std::string fix;       // what to do, in words
  std::string fix_yaml;  // the patched document ("" when the fix is not a spec change)
};

struct DebugReport {
  std::string name;
  std::string since;
  int64_t from_ms = 0, to_ms = 0;
  size_t samples = 0;  // per node, at the window's resolution
  int resolution_s = 0;
  std::vector<Finding> findings;  // most severe first
};

// What the analysis reads; gathered from an engine (daemon or in-process)
// or from a foreground run's state dir.
struct OpsInput {
  std::string name;
  std::string since = "1h";
  int64_t now_ms = 0;
  std::string yaml;      // the running document ("": fixes in words only)
  RunSnapshot snapshot;  // the current run (nodes empty when unknown)
  std::vector<store::MetricPoint> points;
  std::vector<store::ErrorGroup> errors;
  std::vector<store::SchemaEpoch> schemas;  // the sources' shapes over the window
  std::vector<store::AuditRecord> audit;    // of this pipeline, newest first
  int version = 0;                          // the running version (0: unknown)
  int64_t version_since_ms = 0;             // when it was applied or rolled back to
  int cores = 0;                            // the host's hardware threads (0: this host's)
  const Registry* registry = nullptr;       // to tell parallel-safe nodes (null: unknown)
};

// When version last became the running one, from the audit log (newest
// first); 0 when it does not say.
int64_t VersionSince(const std::vector<store::AuditRecord>& audit, int version);
Result<OpsInput> GatherOpsInput(EngineApi& engine, const std::string& name,
                                const std::string& since);
DebugReport DebugPipeline(const OpsInput& in);
nlohmann::json ToJson(const Finding& f);
// A finding's name that stays the same between analyses ("schema_drift:in"),
// unlike its number, which moves when another finding comes first.
std::string FindingId(const Finding& f);
// The finding `ref` names, by its 1-based number or its id; -1 if none.
int FindFinding(const DebugReport& r, const std::string& ref);
nlohmann::json ToJson(const DebugReport& r);

// The "AI Analysis" of a debug report, by a configured model (OpenAI,
// Anthropic, Ollama): it gets the findings (titles, evidence, fixes) and is
// asked to explain them using no number that is not in them. The numbers
// of its text that are not in the findings are listed, so that a reader
// sees any it made up; the analysis itself never reaches the findings.
struct Narrative {
  std::string model;  // provider:model
  std::string text;
  std::vector<std::string> unverified_numbers;
};
Result<Narrative> NarrateDebugReport(const DebugReport& r, const std::string& provider,
                                     const std::string& model, const EnvLookup& env);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_OPS_H_
