// The planner: a goal in plain language (+ constraints) -> a pipeline spec
// that validates against the real registry, with an explanation of every
// node, the assumptions made and the parts of the goal that could not be
// expressed (each with the nearest thing that can).
//
// Two ways to draft, one way to check:
// - embedded (the default; no network, no key): heuristic intent extraction
//   (source, format, conditions, enrichments, AI tasks, routes, outputs,
//   constraints), retrieval over the registry's keywords and descriptions,
//   composition into a DAG, config filled from the goal's words;
// - a model provider (openai, anthropic, ollama): the model drafts the
//   document against a JSON schema built from the registry, and validation
//   errors go back to it in a capped repair loop.
// Either way the result is loaded and validated locally (BuildGraph) before
// it is returned; an invalid pipeline is never returned.
//
// Contract: Plan() is a pure function of its inputs (plus the provider's
// answers on the model path); thread-safe; it may block for as long as a
// remote model takes (a ModelClient with retries). The registry must outlive
// the call. Errors:
//   kInvalidArgument     the goal is empty or names nothing a pipeline does
//   kFailedPrecondition  the model's drafts were still invalid at the cap
//                        (the message names the last errors)
//   kUnavailable         the model provider failed (network, key, answer)
//   kCancelled           request.cancelled() said so between steps
// The goal with its context is capped at kMaxGoalBytes (kInvalidArgument):
// a goal is a paragraph, and a cap bounds the work one request can cause.
#ifndef FLOWCTL_AI_PLANNER_H_
#define FLOWCTL_AI_PLANNER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowctl/ai/provider.h"
#include "flowctl/base/status.h"
#include "flowctl/component/registry.h"
#include "flowctl/spec/diagnostic.h"
#include "flowctl/spec/spec.h"

namespace flowctl::ai {

// The largest goal (description plus context) the planner takes.
inline constexpr size_t kMaxGoalBytes = 16 * 1024;

// The seed's create_pipeline constraints; 0 / negative = not given.
struct PlanConstraints {
  int max_latency_ms = 0;
  double max_cost_per_hour = -1;
  int required_throughput = 0;  // events per second
};

struct PlanRequest {
  std::string goal;
  std::string name;  // "" = derived from the goal
  PlanConstraints constraints;
  // Extra facts (gRPC PipelineGoal.context): each "key: value" is read as
  // part of the goal, so {source: orders.jsonl} works like writing it.
  std::map<std::string, std::string> context;
  // "" or embedded: the heuristic planner. openai | anthropic | ollama: the
  // model drafts (model "" = a small default of that vendor).
  std::string provider;
  std::string model;
  int max_repairs = 3;  // model path: repair rounds after the first draft
  EnvLookup env;        // keys and base URLs; empty = the process environment
  // Called with a line of progress while a remote model works (may be empty).
  std::function<void(const std::string&)> progress;
  // Asked between planning steps and model calls; true stops the plan with
  // kCancelled (a gRPC caller that left or whose deadline passed). May be empty.
  std::function<bool()> cancelled;
};

// The size of a goal as the planner counts it against kMaxGoalBytes, and
// the error for one over it (the caller's size and the cap).
size_t GoalBytes(const PlanRequest& request);
Status GoalTooLarge(size_t bytes);

struct NodeExplanation {
  std::string id;
  std::string type;
  std::string kind;  // source, processor, sink
  std::string why;   // what it does here and which words of the goal asked for it
};

struct Plan {
  PipelineSpec spec;
  std::string yaml;  // config::ToYaml(spec), validated
  std::vector<NodeExplanation> nodes;
  // Parts of the goal that could not be expressed, each with the nearest
  // alternative used or offered.
  std::vector<std::string> warnings;
  // Defaults chosen where the goal did not say (field names, paths, ...).
  std::vector<std::string> assumptions;
  std::vector<Diagnostic> diagnostics;  // validation warnings and notes
  std::string planner;                  // "embedded" or "openai:gpt-4o-mini"
  int attempts = 1;                     // model drafts made (1 on the embedded path)

  std::string Explanation() const;  // human-readable: nodes, warnings, assumptions
  nlohmann::json ToJson() const;    // {name, yaml, nodes, warnings, assumptions, ...}
};

Result<Plan> PlanPipeline(const PlanRequest& request, const Registry& registry);

// JSON schema of a Pipeline document: kinds, node fields, and each
// component's config schema (what the model path drafts against).
nlohmann::json PipelineDocumentSchema(const Registry& registry);

// Follow-ups offered after a plan (flowctl ai create's menu, --output json).
std::vector<std::string> SuggestOptimizations(const Plan& plan);
struct CostEstimate {
  double events_per_second = 0;  // what the estimate assumes
  double usd_per_hour = 0;
  std::vector<std::string> lines;  // one per AI node, plus the assumptions
};
CostEstimate EstimateCost(const Plan& plan, double events_per_second);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_PLANNER_H_
