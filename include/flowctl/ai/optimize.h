// `ai optimize`: a capacity model of a running pipeline built from its
// metric history, and suggestions with a predicted effect computed from it.
// One implementation behind the CLI, the optimize_pipeline tool and the
// gRPC OptimizePipeline / SuggestImprovements.
//
// The model (docs/ai.md, "ai optimize"): per node, the measured input rate
// and busy fraction give a service rate per worker (events a worker handles
// per busy second); times its concurrency, the node's capacity. The share of
// the pipeline's input that reaches the node (measured) turns that into the
// input rate the pipeline could take through it; the smallest is the
// throughput bound and its node the bottleneck. The CPU bound is the cores
// over the measured worker-seconds per input event. AI nodes add call rate,
// cache hit rate and cost per event. Every prediction names the numbers it
// was computed from; a change whose effect the history cannot tell says so
// and has no number.
//
// Contract: pure functions over an OpsInput (ai/ops.h); thread-safe.
#ifndef FLOWCTL_AI_OPTIMIZE_H_
#define FLOWCTL_AI_OPTIMIZE_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flowctl/ai/ops.h"

namespace flowctl::ai {

struct StageModel {
  std::string node, kind, type;
  int concurrency = 1;
  double in_per_s = 0, out_per_s = 0;
  double busy = 0;  // mean fraction of its workers' time spent working
  // A node that calls a model has a node-wide limit of calls in flight
  // (max_concurrency): its parallelism is that, not its instances.
  int call_slots = 0;             // 0: no such limit
  double service_per_worker = 0;  // events/s one busy worker (call slot) handles; 0: not measured
  double capacity = 0;            // service_per_worker x concurrency (x call_slots)
  double reach = 0;               // share of the pipeline's input that reaches it
  double bound = 0;               // pipeline input/s it could take (0: no bound measured)
  double queue_depth = 0;         // mean events waiting at its input
  double p50_us = 0, p99_us = 0;
  double error_share = 0;
  double lost_per_s = 0;  // failures not kept by a dead-letter sink
  // AI nodes.
  bool ai = false;
  std::string provider, model;
  double ai_calls_per_s = 0;
  double cache_hit_rate = -1;  // hits / (hits + calls); -1: no calls nor hits
  double cost_per_h = 0, cost_per_event = 0;
  // Tokens sent and received (the run's totals, or one call's when
  // estimated): only their ratio is used, to price another model.
  double input_tokens = 0, output_tokens = 0;
};

struct PipelineModel {
  double window_s = 0;
  double input_per_s = 0;   // read by the sources
  double output_per_s = 0;  // written by the sinks
  double bound_eps = 0;     // the smallest stage bound (0: none measured)
  std::string bottleneck;
  double worker_s_per_event = 0;  // summed over the stages
  int cores = 0;
  double cpu_bound_eps = 0;
  double cost_per_h = 0;
  std::vector<StageModel> stages;
  // Before a run (EstimateModel): rates and costs are assumptions, not
  // measurements, and the predictions say so.
  bool estimated = false;
  // The input is the limit: the pipeline runs below 80% of its bound.
  bool input_bound() const { return bound_eps > 0 && input_per_s < 0.8 * bound_eps; }
};

// The model over the samples of in.points at or after from_ms (0 = all).
// cores: the host's hardware threads (0 = in.cores, else this host's).
PipelineModel BuildModel(const OpsInput& in, int64_t from_ms = 0, int cores = 0);

struct Prediction {
  std::string metric;  // throughput_bound_eps, queue_wait_ms, cost_usd_per_h, lost_events_per_h
  std::optional<double> before, after;  // after empty: not predictable from the history
  std::string how;                      // the computation, with its inputs
};

struct Suggestion {
  std::string goal;  // throughput, latency, cost, reliability
  std::string kind;  // concurrency, dead_letter, model, cache
  std::string node;
  std::string title;
  std::vector<Prediction> predicted;  // the first is the goal's metric
  std::string note;                   // what the prediction cannot tell
  std::string yaml;  // the patched document ("" when the change is not a spec change)
  double gain = 0;   // relative improvement of the goal's metric, for ranking
};

// A version made by an optimization, with its prediction and what the
// history measured since.
struct Outcome {
  int version = 0;
  int64_t applied_ms = 0;
  std::string title, node;
  Prediction predicted;
  std::optional<double> measured;  // the same metric over the samples since
  double measured_over_s = 0;
};

struct OptimizationReport {
  std::string name, goal, since;
  PipelineModel model;
  std::vector<Suggestion> suggestions;  // best first
  std::vector<Outcome> outcomes;        // earlier optimizations, newest first
  std::vector<std::string> notes;       // e.g. "the input is the limit"
};

inline const std::vector<std::string>& OptimizationGoals() {
  static const std::vector<std::string> kGoals = {"throughput", "latency", "cost", "reliability"};
  return kGoals;
}

// Before a pipeline runs (`ai create`'s menu, a plan's cost check): the
// model of `spec` at an assumed input rate, each AI node priced at list
// prices (data/pricing.tsv) for assumed tokens per call. Nothing is
// measured: stage capacities and bounds stay 0.
struct PlanAssumptions {
  double events_per_second = 10;
  double input_tokens = 250, output_tokens = 60;  // per model call
  // An ai-router asks its model only for the events no rule or upstream
  // category decides.
  double router_model_share = 0.1;
};
PipelineModel EstimateModel(const PipelineSpec& spec, const PlanAssumptions& a);

// The suggestions the estimated model supports (cost: a cheaper model of
// the same vendor), each prediction marked as estimated.
OptimizationReport OptimizePlan(const PipelineSpec& spec, const PlanAssumptions& a);

// goal "" = every goal, ranked together. Invalid goal: kInvalidArgument.
Result<OptimizationReport> OptimizePipeline(const OpsInput& in, const std::string& goal);

// The audit reason of a version applied from a suggestion: it keeps the
// prediction (so that a later report compares it with what was measured).
std::string OptimizationReason(const Suggestion& s);

nlohmann::json ToJson(const PipelineModel& m);
nlohmann::json ToJson(const Prediction& p);
nlohmann::json ToJson(const Suggestion& s);
nlohmann::json ToJson(const OptimizationReport& r);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_OPTIMIZE_H_
