// The built-in agent tools. Each is defined once here; every consumer (CLI
// export, MCP, gRPC) reads the same ToolSpec.
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>

#include "flowctl/ai/ops.h"
#include "flowctl/ai/optimize.h"
#include "flowctl/ai/planner.h"
#include "flowctl/ai/predict.h"
#include "flowctl/ai/tools.h"
#include "flowctl/engine/metrics_json.h"

namespace flowctl::ai {

using nlohmann::json;

namespace {

json Obj(json props, std::vector<std::string> required = {}) {
  json s = {{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty()) s["required"] = required;
  return s;
}

json Str(const std::string& d) { return {{"type", "string"}, {"description", d}}; }

json DiagJson(const Diagnostic& d) {
  return {{"severity", d.severity == Diagnostic::Severity::kError ? "error" : "warning"},
          {"line", d.mark.line},
          {"column", d.mark.column},
          {"node", d.node_id},
          {"message", d.message},
          {"hint", d.hint}};
}

json NodesJson(const RunSnapshot& s) {
  json nodes = json::array();
  double secs = std::max(s.elapsed_s, 1e-3);
  for (const auto& n : s.nodes)
    nodes.push_back({{"id", n.id},
                     {"type", n.type},
                     {"kind", n.kind},
                     {"in", n.in},
                     {"out", n.out},
                     {"dropped", n.dropped},
                     {"errors", n.errors},
                     {"dead_lettered", n.dead_lettered},
                     {"events_per_second", static_cast<double>(n.in) / secs},
                     {"p99_batch_us", n.p99_us},
                     {"queue_depth", n.queue_depth},
                     {"busy_fraction", n.busy_ms / 1000.0 / secs / std::max(1, n.concurrency)}});
  return nodes;
}

// Plan tokens: preview_apply hands one out for exactly that document;
// apply_pipeline (a destructive tool) refuses without it.
class PlanTokens {
 public:
  std::string Issue(const std::string& yaml) {
    std::lock_guard<std::mutex> lk(mu_);
    std::string token = "plan-" + std::to_string(rng_());
    by_token_[token] = std::hash<std::string>()(yaml);
    return token;
  }
  bool Redeem(const std::string& token, const std::string& yaml) {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = by_token_.find(token);
    if (it == by_token_.end() || it->second != std::hash<std::string>()(yaml)) return false;
    by_token_.erase(it);
    return true;
  }

 private:
  std::mutex mu_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::map<std::string, size_t> by_token_;
};

Status Must(ToolRegistry& r, ToolSpec s) { return r.Register(std::move(s)); }

// Every tool names its pipeline `name` (as the gRPC API does); `pipeline_id`,
// the seed's spelling in analyze_pipeline_performance, is accepted everywhere.
Status MustNamed(ToolRegistry& r, ToolSpec s) {
  s.aliases["pipeline_id"] = "name";
  return r.Register(std::move(s));
}

// What the handlers share: the engine (an owned adapter or a borrowed
// EngineApi) and the plan tokens of previews.
struct Deps {
  std::shared_ptr<EngineApi> engine;
  std::shared_ptr<PlanTokens> tokens;
};

// stop_pipeline and rollback_pipeline are destructive: like apply_pipeline
// they act only with the plan_token of a preview of exactly that action.
constexpr const char kPreviewFirst[] =
    " Destructive: call it first with preview: true to see what it would do and get a "
    "plan_token, then again with that plan_token.";

// create_pipeline: the seed's schema, verbatim.
void CreatePipelineTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  const auto& tokens = d.tokens;
  (void)MustNamed(
      registry,
      {"create_pipeline",
       "Create pipeline",
       "Create a new data processing pipeline with AI-optimized configuration",
       Obj({{"name", {{"type", "string"}, {"description", "Pipeline name"}}},
            {"goal",
             {{"type", "string"},
              {"description", "High-level goal for the pipeline (AI will optimize for this)"}}},
            {"constraints", Obj({{"max_latency_ms", {{"type", "integer"}}},
                                 {"max_cost_per_hour", {{"type", "number"}}},
                                 {"required_throughput", {{"type", "integer"}}}})}}),
       Obj({{"name", Str("pipeline name")},
            {"yaml", Str("the generated document (validated)")},
            {"nodes", {{"type", "array"}, {"description", "each node: id, type, kind, why"}}},
            {"warnings",
             {{"type", "array"},
              {"description", "parts of the goal not expressible, with the nearest alternative"}}},
            {"assumptions", {{"type", "array"}}},
            {"plan", Str("what applying it would do (a dry run)")},
            {"plan_token", Str("pass to apply_pipeline with this yaml to start it")},
            {"next_step", Str("what to call next")}}),
       {false, false, false},
       [engine, tokens](const json& a) -> Result<json> {
         if (!a.contains("goal") || !a["goal"].is_string())
           return Status::Invalid("goal: missing required field (what the pipeline should do)");
         PlanRequest req;
         req.goal = a["goal"].get<std::string>();
         req.name = a.value("name", "");
         if (a.contains("constraints")) {
           const json& c = a["constraints"];
           req.constraints.max_latency_ms = c.value("max_latency_ms", 0);
           req.constraints.max_cost_per_hour = c.value("max_cost_per_hour", -1.0);
           req.constraints.required_throughput = c.value("required_throughput", 0);
         }
         auto plan = PlanPipeline(req, engine->registry());
         if (!plan.ok()) return plan.status();
         json out = plan->ToJson();
         out["explanation"] = plan->Explanation();
         // A preview of exactly this document, so apply_pipeline can follow.
         engine::ApplyRequest ar;
         ar.yaml = plan->yaml;
         ar.filename = "<tool>";
         ar.dry_run = true;
         std::vector<Diagnostic> diags;
         auto dry = engine->Apply(ar, &diags);
         if (dry.ok()) {
           out["plan"] = dry->plan;
           out["diff"] = dry->diff;
           out["plan_token"] = tokens->Issue(ar.yaml);
           out["next_step"] =
               "review yaml, warnings and assumptions; then apply_pipeline with this yaml "
               "and plan_token (or edit the yaml and call preview_apply again)";
         } else {
           out["next_step"] = "preview_apply with this yaml: " + dry.status().message();
         }
         return out;
       }});
}

void ValidatePipelineTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)Must(
      registry,
      {"validate_pipeline",
       "Validate pipeline",
       "Check a pipeline YAML document without running it. Returns every problem with "
       "line, column, node id and what would be valid.",
       Obj({{"yaml", Str("the pipeline document (YAML)")}}, {"yaml"}),
       Obj({{"valid", {{"type", "boolean"}}},
            {"diagnostics", {{"type", "array"}}},
            {"pipelines", {{"type", "array"}}}}),
       {true, false, true},
       [engine](const json& a) -> Result<json> {
         auto r = engine->Validate(a["yaml"].get<std::string>(), "<tool>");
         if (!r.ok()) return r.status();
         json diags = json::array();
         for (const auto& d : r->diagnostics) diags.push_back(DiagJson(d));
         return json{{"valid", r->valid}, {"diagnostics", diags}, {"pipelines", r->pipelines}};
       }});
}

void ListComponentsTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)Must(registry,
             {"list_components",
              "List components",
              "List the component types pipelines can use (sources, processors, sinks) with a "
              "one-line summary each.",
              Obj({{"kind",
                    {{"type", "string"},
                     {"enum", {"source", "processor", "sink"}},
                     {"description", "only this kind"}}}}),
              Obj({{"components", {{"type", "array"}}}}),
              {true, false, true},
              [engine](const json& a) -> Result<json> {
                auto all = engine->Components(a.value("kind", ""));
                if (!all.ok()) return all.status();
                json out = json::array();
                for (const auto& d : all.value())
                  out.push_back({{"type", d.type}, {"kind", d.kind}, {"summary", d.summary}});
                return json{{"components", out}};
              }});
}

void DescribeComponentTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)Must(registry,
             {"describe_component",
              "Describe component",
              "Full description of one component type: what it does, its config JSON schema and "
              "an example node.",
              Obj({{"type", Str("component type, e.g. filter")},
                   {"kind", {{"type", "string"}, {"enum", {"source", "processor", "sink"}}}}},
                  {"type"}),
              Obj({{"type", {{"type", "string"}}}, {"config_schema", {{"type", "object"}}}}),
              {true, false, true},
              [engine](const json& a) -> Result<json> {
                auto d =
                    engine->DescribeComponent(a["type"].get<std::string>(), a.value("kind", ""));
                if (!d.ok()) return d.status();
                return json{{"type", d->type},
                            {"kind", d->kind},
                            {"description", d->description},
                            {"keywords", d->keywords},
                            {"config_schema", d->config_schema},
                            {"example", d->example}};
              }});
}

void PreviewApplyTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  const auto& tokens = d.tokens;
  (void)Must(registry,
             {"preview_apply",
              "Preview apply",
              "Validate a pipeline document and show what applying it would change (diff against "
              "the running version and the plan). Returns a plan_token that apply_pipeline needs.",
              Obj({{"yaml", Str("the pipeline document (YAML)")}}, {"yaml"}),
              Obj({{"name", {{"type", "string"}}},
                   {"version", {{"type", "integer"}}},
                   {"diff", {{"type", "string"}}},
                   {"plan", {{"type", "string"}}},
                   {"plan_token", {{"type", "string"}}}}),
              {true, false, false},
              [engine, tokens](const json& a) -> Result<json> {
                engine::ApplyRequest req;
                req.yaml = a["yaml"].get<std::string>();
                req.filename = "<tool>";
                req.dry_run = true;
                std::vector<Diagnostic> diags;
                auto r = engine->Apply(req, &diags);
                if (!r.ok()) {
                  std::string msg = r.status().message();
                  for (const auto& d : diags)
                    if (d.severity == Diagnostic::Severity::kError) msg += "; " + d.ToString();
                  return Status(r.status().code(), msg);
                }
                return json{{"name", r->name},           {"version", r->version},
                            {"unchanged", r->unchanged}, {"diff", r->diff},
                            {"plan", r->plan},           {"plan_token", tokens->Issue(req.yaml)}};
              }});
}

void ApplyPipelineTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  const auto& tokens = d.tokens;
  (void)Must(registry,
             {"apply_pipeline",
              "Apply pipeline",
              "Apply (create or update) a pipeline and start it. Needs the plan_token that "
              "preview_apply returned for exactly this document.",
              Obj({{"yaml", Str("the same document that was previewed")},
                   {"plan_token", Str("from preview_apply")},
                   {"reason", Str("why; recorded in the audit log")}},
                  {"yaml", "plan_token"}),
              Obj({{"name", {{"type", "string"}}},
                   {"version", {{"type", "integer"}}},
                   {"state", {{"type", "string"}}}}),
              {false, true, false},
              [engine, tokens](const json& a) -> Result<json> {
                std::string yaml = a["yaml"].get<std::string>();
                if (!tokens->Redeem(a["plan_token"].get<std::string>(), yaml))
                  return Status(StatusCode::kFailedPrecondition,
                                "plan_token is unknown, used, or for another document: call "
                                "preview_apply with this document first");
                engine::ApplyRequest req;
                req.yaml = yaml;
                req.filename = "<tool>";
                req.caller = "agent";
                req.reason = a.value("reason", "");
                std::vector<Diagnostic> diags;
                auto r = engine->Apply(req, &diags);
                if (!r.ok()) return r.status();
                return json{{"name", r->name}, {"version", r->version}, {"state", r->state}};
              }});
}

void GetPipelineStatusTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)MustNamed(registry, {"get_pipeline_status",
                             "Pipeline status",
                             "State, version and per-node counters of one pipeline.",
                             Obj({{"name", Str("pipeline name")}}, {"name"}),
                             Obj({{"state", {{"type", "string"}}}, {"nodes", {{"type", "array"}}}}),
                             {true, false, true},
                             [engine](const json& a) -> Result<json> {
                               auto info = engine->Get(a["name"].get<std::string>());
                               if (!info.ok()) return info.status();
                               return json{{"name", info->name},
                                           {"version", info->version},
                                           {"state", info->state},
                                           {"desired_state", info->desired_state},
                                           {"elapsed_s", info->snapshot.elapsed_s},
                                           {"nodes", NodesJson(info->snapshot)}};
                             }});
}

// analyze_pipeline_performance: the seed's schema, with `name` beside its
// `pipeline_id` (kept listed: clients built on the seed send it).
void AnalyzePipelinePerformanceTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)MustNamed(
      registry,
      {"analyze_pipeline_performance",
       "Analyze performance",
       "Analyze pipeline performance and suggest optimizations",
       Obj({{"name", Str("pipeline name")},
            {"pipeline_id", {{"type", "string"}, {"description", "same as name"}}},
            {"time_range", {{"type", "string"}, {"enum", TimeRanges()}}},
            {"optimization_goals",
             {{"type", "array"},
              {"items",
               {{"type", "string"},
                {"enum", {"latency", "throughput", "cost", "reliability"}}}}}}}),
       Obj({{"throughput_eps", {{"type", "number"}}},
            {"nodes", {{"type", "array"}}},
            {"busiest_node", {{"type", "string"}}},
            {"source", Str("history (the metric history over time_range) or current run")},
            {"findings", {{"type", "array"}}}}),
       {true, false, true},
       [engine](const json& a) -> Result<json> {
         if (!a.contains("name") || !a["name"].is_string())
           return Status::Invalid("name: missing required field (the pipeline's name)");
         std::vector<std::string> goals;
         if (a.contains("optimization_goals") && a["optimization_goals"].is_array())
           for (const auto& g : a["optimization_goals"])
             if (g.is_string()) goals.push_back(g.get<std::string>());
         auto r = AnalyzePerformance(*engine, a["name"].get<std::string>(),
                                     a.value("time_range", ""), goals);
         if (!r.ok()) return r.status();
         return ToJson(r.value());
       }});
}

void GetMetricsTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)MustNamed(
      registry,
      {"get_metrics",
       "Metric history",
       "Per-node time series of a pipeline from the metric history: events in/out per "
       "second, errors, drops, dead letters, batch latency p50/p99, queue depth, busy "
       "fraction, memory, AI calls/tokens/cost. Node '*' holds the pipeline's totals.",
       Obj({{"name", Str("pipeline name")},
            {"node", Str("only this node")},
            {"since", Str("how far back: 90s, 15m, 1h (default), 24h, 7d, 30d")}},
           {"name"}),
       Obj({{"nodes", {{"type", "array"}, {"description", "per node: ts_ms, metrics, summary"}}},
            {"units", {{"type", "object"}}}}),
       {true, false, true},
       [engine](const json& a) -> Result<json> {
         std::string name = a["name"].get<std::string>();
         std::string since = a.value("since", "1h");
         auto span = store::ParseSpan(since);
         if (!span.ok()) return Status::Invalid("since: " + span.status().message());
         if (auto info = engine->Get(name); !info.ok()) return info.status();
         auto points = engine->Metrics(name, a.value("node", ""), span.value());
         if (!points.ok()) return points.status();
         return engine::MetricsJson(name, since, points.value());
       }});
}

void DebugPipelineTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)MustNamed(
      registry,
      {"debug_pipeline",
       "Debug pipeline",
       "What is wrong with a pipeline, from its metric history: failing nodes with their "
       "error groups and example events, malformed input, dead letters, the bottleneck, "
       "latency spikes, memory growth, idle sources. Each finding has severity, node, time "
       "window, evidence and a fix; a fix that changes the pipeline comes as fix_yaml (apply "
       "it with preview_apply, then apply_pipeline).",
       Obj({{"name", Str("pipeline name")},
            {"since", Str("window: 90s, 15m, 1h (default), 24h, 7d, 30d")}},
           {"name"}),
       Obj({{"findings", {{"type", "array"}}},
            {"samples", {{"type", "integer"}}},
            {"next_step", Str("how to apply a fix")}}),
       {true, false, true},
       [engine](const json& a) -> Result<json> {
         auto in = GatherOpsInput(*engine, a["name"].get<std::string>(), a.value("since", "1h"));
         if (!in.ok()) return in.status();
         json out = ToJson(DebugPipeline(in.value()));
         bool patch = false;
         for (const auto& f : out["findings"]) patch = patch || f.contains("fix_yaml");
         out["next_step"] =
             patch ? "to apply a fix: preview_apply with its fix_yaml (shows the diff, gives a "
                     "plan_token), then apply_pipeline with both"
                   : "no fix here changes the pipeline; the fixes say what to look at";
         return out;
       }});
}

// apply_fix: a debug_pipeline finding's fix, previewed and then applied
// with the preview's plan_token (bound to the fixed document: a fix that
// changed in between needs a new preview).
void ApplyFixTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  const auto& tokens = d.tokens;
  (void)MustNamed(
      registry,
      {"apply_fix",
       "Apply a debug fix",
       "Apply the fix of one debug_pipeline finding (by its id, e.g. \"schema_drift:in\", "
       "or its 1-based number) as a new version. "
       "First call with preview: true for the diff and a plan_token, then with the token. "
       "rollback_pipeline undoes it.",
       Obj({{"name", Str("pipeline name")},
            {"finding",
             {{"type", {"string", "integer"}},
              {"description",
               "the finding's id (stable between analyses) or its number in debug_pipeline's "
               "list"}}},
            {"since", Str("the window debug_pipeline used (default 1h)")},
            {"preview", {{"type", "boolean"}, {"description", "only show the diff"}}},
            {"plan_token", Str("from a preview of this fix")},
            {"reason", Str("why; recorded in the audit log")}},
           {"name", "finding"}),
       Obj({{"diff", {{"type", "string"}}},
            {"plan_token", {{"type", "string"}}},
            {"version", {{"type", "integer"}}}}),
       {false, true, false},
       [engine, tokens](const json& a) -> Result<json> {
         auto in = GatherOpsInput(*engine, a["name"].get<std::string>(), a.value("since", "1h"));
         if (!in.ok()) return in.status();
         DebugReport r = DebugPipeline(in.value());
         std::string ref =
             a["finding"].is_string() ? a["finding"].get<std::string>() : a["finding"].dump();
         int i = FindFinding(r, ref);
         if (i < 0 || r.findings[i].fix_yaml.empty())
           return Status::Invalid(
               "finding " + ref +
               (i < 0 ? " is not in this analysis" : " has no fix that changes the pipeline") +
               " (debug_pipeline lists " + std::to_string(r.findings.size()) + " finding(s))");
         const Finding& f = r.findings[i];
         engine::ApplyRequest req;
         req.yaml = f.fix_yaml;
         req.filename = "<apply_fix>";
         std::vector<Diagnostic> diags;
         if (a.value("preview", false)) {
           req.dry_run = true;
           auto p = engine->Apply(req, &diags);
           if (!p.ok()) return p.status();
           return json{{"finding", f.title},
                       {"diff", p->diff},
                       {"version", p->version},
                       {"plan_token", tokens->Issue(req.yaml)}};
         }
         if (!a.contains("plan_token") || !a["plan_token"].is_string() ||
             !tokens->Redeem(a["plan_token"].get<std::string>(), req.yaml))
           return Status(StatusCode::kFailedPrecondition,
                         "plan_token is missing, used, or for another fix: call apply_fix with "
                         "preview: true first");
         req.caller = "agent";
         req.reason = "ai debug fix " + FindingId(f) + ": " + f.title +
                      (a.value("reason", "").empty() ? "" : " (" + a.value("reason", "") + ")");
         auto applied = engine->Apply(req, &diags);
         if (!applied.ok()) return applied.status();
         return json{
             {"name", applied->name}, {"version", applied->version}, {"state", applied->state}};
       }});
}

void OptimizePipelineTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)MustNamed(
      registry,
      {"optimize_pipeline",
       "Optimize pipeline (simulate)",
       "Suggested changes to a running pipeline with their predicted effect, from a model "
       "of its measured stages: each stage's service rate per worker x its concurrency "
       "bounds the throughput, the smallest is the bottleneck. Suggestions: more instances "
       "of a stage, a dead-letter sink for failures, a cheaper model, a cache; each with "
       "before/after and how it was computed. Changes nothing: a suggestion's yaml goes to "
       "preview_apply, then apply_pipeline. Also lists earlier optimizations with what was "
       "measured since.",
       Obj({{"name", Str("pipeline name")},
            {"goal",
             {{"type", "string"},
              {"enum", {"latency", "throughput", "cost", "reliability"}},
              {"description", "only suggestions for this goal (default: all)"}}},
            {"since", Str("history to model: 90s, 15m, 1h (default), 24h, 7d, 30d")}},
           {"name"}),
       Obj({{"model", {{"type", "object"}}},
            {"suggestions", {{"type", "array"}}},
            {"outcomes", {{"type", "array"}}}}),
       {true, false, true},
       [engine](const json& a) -> Result<json> {
         auto in = GatherOpsInput(*engine, a["name"].get<std::string>(), a.value("since", "1h"));
         if (!in.ok()) return in.status();
         auto r = OptimizePipeline(in.value(), a.value("goal", ""));
         if (!r.ok()) return r.status();
         return ToJson(r.value());
       }});
}

void PredictFailuresTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)MustNamed(
      registry,
      {"predict_failures",
       "Predict failures",
       "Failures a pipeline's trends reach within a horizon (a node's input queue filling: "
       "backpressure; its failures reaching 10% of its events; process memory reaching 90% "
       "of the limit), each with the time left and a score (the r2 of its least-squares "
       "trend, not a calibrated probability); capacity forecasts (Holt) of throughput, p99 "
       "and error share; anomalies (robust z-score) in the last samples.",
       Obj({{"name", Str("pipeline name")},
            {"horizon", Str("failures reached within: 90s .. 30d (default 30m)")},
            {"forecast_window", Str("capacity forecasts this far ahead, e.g. 7d")},
            {"sensitivity", {{"type", "string"}, {"enum", {"high", "medium", "low"}}}},
            {"since", Str("history read: 90s .. 30d (default 1h)")}},
           {"name"}),
       Obj({{"failures", {{"type", "array"}}},
            {"forecasts", {{"type", "array"}}},
            {"anomalies", {{"type", "array"}}}}),
       {true, false, true},
       [engine](const json& a) -> Result<json> {
         auto o = ParsePredictOptions(a.value("horizon", ""), a.value("forecast_window", ""),
                                      a.value("sensitivity", ""));
         if (!o.ok()) return o.status();
         auto in = GatherOpsInput(*engine, a["name"].get<std::string>(), a.value("since", "1h"));
         if (!in.ok()) return in.status();
         return ToJson(PredictFailures(in.value(), o.value()));
       }});
}

void StopPipelineTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  const auto& tokens = d.tokens;
  (void)MustNamed(
      registry,
      {"stop_pipeline",
       "Stop pipeline",
       std::string("Drain in-flight events and stop a pipeline. It stays stopped across "
                   "restarts.") +
           kPreviewFirst,
       Obj({{"name", Str("pipeline name")},
            {"reason", Str("why; recorded in the audit log")},
            {"preview", {{"type", "boolean"}, {"description", "only say what would happen"}}},
            {"plan_token", Str("from a preview of this stop")}},
           {"name", "reason"}),
       Obj({{"state", {{"type", "string"}}},
            {"preview", Str("what stopping would do")},
            {"plan_token", Str("pass back to stop it")}}),
       {false, true, true},
       [engine, tokens](const json& a) -> Result<json> {
         std::string name = a["name"].get<std::string>();
         std::string action = "stop:" + name;
         if (a.value("preview", false)) {
           auto info = engine->Get(name);
           if (!info.ok()) return info.status();
           return json{{"name", name},
                       {"state", info->state},
                       {"preview", "stop '" + name + "' (version " + std::to_string(info->version) +
                                       ", now " + info->state +
                                       "): in-flight events drain, then it stays stopped "
                                       "until applied again"},
                       {"plan_token", tokens->Issue(action)}};
         }
         if (!a.contains("plan_token") ||
             !tokens->Redeem(a["plan_token"].get<std::string>(), action))
           return Status(StatusCode::kFailedPrecondition,
                         "stop_pipeline needs the plan_token of a preview of this stop: call "
                         "stop_pipeline with preview: true first");
         Status st = engine->Stop(name, "agent", a["reason"].get<std::string>());
         if (!st.ok()) return st;
         return json{{"name", name}, {"state", "stopped"}};
       }});
}

void RollbackPipelineTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  const auto& tokens = d.tokens;
  (void)MustNamed(
      registry, {"rollback_pipeline",
                 "Roll back pipeline",
                 std::string("Run an earlier version of a pipeline (default: the previous one).") +
                     kPreviewFirst,
                 Obj({{"name", Str("pipeline name")},
                      {"to_version", {{"type", "integer"}, {"minimum", 1}}},
                      {"reason", Str("why; recorded in the audit log")},
                      {"preview", {{"type", "boolean"}, {"description", "only show the diff"}}},
                      {"plan_token", Str("from a preview of this rollback")}},
                     {"name", "reason"}),
                 Obj({{"version", {{"type", "integer"}}},
                      {"diff", {{"type", "string"}}},
                      {"plan_token", Str("pass back to roll back")}}),
                 {false, true, false},
                 [engine, tokens](const json& a) -> Result<json> {
                   std::string name = a["name"].get<std::string>();
                   int to = a.value("to_version", 0);
                   if (a.value("preview", false)) {
                     auto info = engine->Get(name);
                     if (!info.ok()) return info.status();
                     auto versions = engine->Versions(name);
                     if (!versions.ok()) return versions.status();
                     int target = to > 0 ? to : info->version - 1;
                     const store::PipelineVersion* v = nullptr;
                     for (const auto& pv : versions.value())
                       if (pv.version == target) v = &pv;
                     if (v == nullptr)
                       return Status::NotFound("pipeline '" + name + "' has no version " +
                                               std::to_string(target));
                     std::string current;
                     for (const auto& pv : versions.value())
                       if (pv.version == info->version) current = pv.yaml;
                     // A daemon's history has no documents: say so rather than
                     // show an empty diff.
                     std::string diff =
                         v->yaml.empty()
                             ? "(documents of earlier versions are not sent by the daemon: see "
                               "`flowctl history " +
                                   name + "`)"
                             : engine::UnifiedDiff(current, v->yaml,
                                                   "version " + std::to_string(info->version),
                                                   "version " + std::to_string(target));
                     return json{{"name", name},
                                 {"version", target},
                                 {"diff", diff},
                                 {"plan_token",
                                  tokens->Issue("rollback:" + name + ":" + std::to_string(to))}};
                   }
                   if (!a.contains("plan_token") ||
                       !tokens->Redeem(a["plan_token"].get<std::string>(),
                                       "rollback:" + name + ":" + std::to_string(to)))
                     return Status(StatusCode::kFailedPrecondition,
                                   "rollback_pipeline needs the plan_token of a preview of this "
                                   "rollback: call rollback_pipeline with preview: true first");
                   auto r = engine->Rollback(name, to, "agent", a["reason"].get<std::string>());
                   if (!r.ok()) return r.status();
                   return json{{"name", r->name}, {"version", r->version}, {"diff", r->diff}};
                 }});
}

void GetAuditLogTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)Must(registry, {"get_audit_log",
                        "Audit log",
                        "Recent mutating actions (who, what, result, reason), newest first.",
                        Obj({{"target", Str("only this pipeline")},
                             {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}}}),
                        Obj({{"entries", {{"type", "array"}}}}),
                        {true, false, true},
                        [engine](const json& a) -> Result<json> {
                          auto entries =
                              engine->AuditLog(a.value("target", ""), a.value("limit", 50));
                          if (!entries.ok()) return entries.status();
                          json out = json::array();
                          for (const auto& e : entries.value())
                            out.push_back({{"time_ms", e.time_ms},
                                           {"caller", e.caller},
                                           {"action", e.action},
                                           {"target", e.target},
                                           {"result", e.result},
                                           {"reason", e.reasoning}});
                          return json{{"entries", out}};
                        }});
}

// What an agent sees of an approval: the request itself stays on the daemon.
json ApprovalJson(const governance::Approval& a) {
  json j = governance::ToJson(a);
  j.erase("request");
  return j;
}

void GetApprovalTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)Must(registry,
             {"get_approval",
              "Get an approval",
              "An action a governance policy held (a call that answered 'apr-N: ... needs an "
              "approval'): its state (pending, approved, denied, expired), who may approve it, "
              "and after approval the result of running it. Poll it after a held call; without "
              "approval_id, every approval, newest first.",
              Obj({{"approval_id", Str("e.g. apr-3; omit for all")}}),
              Obj({{"approvals", {{"type", "array"}}}}),
              {true, false, true},
              [engine](const json& a) -> Result<json> {
                auto list = engine->Approvals(a.value("approval_id", ""));
                if (!list.ok()) return list.status();
                json out = json::array();
                for (const auto& x : list.value()) out.push_back(ApprovalJson(x));
                return json{{"approvals", out}};
              }});
}

void AutoHealingTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)Must(registry,
             {"auto_healing",
              "Self-healing of a pipeline",
              "Report or turn on/off a pipeline's self-healing on the daemon (EnableAutoHealing): "
              "its self-healing policies (detection rules, strategies), open episodes (the "
              "symptom, what was tried, an approval it waits for) and what it learned. A "
              "pipeline whose document has ai-policies is healed by default; 'on' without one "
              "uses the seed's auto-recovery policy.",
              Obj({{"pipeline", Str("pipeline name")},
                   {"turn", {{"type", "string"}, {"enum", {"on", "off", "status"}}}}},
                  {"pipeline"}),
              Obj({{"enabled", {{"type", "boolean"}}}, {"policies", {{"type", "array"}}}}),
              {false, false, true},
              [engine](const json& a) -> Result<json> {
                std::string turn = a.value("turn", "status");
                return engine->AutoHealing(a["pipeline"].get<std::string>(),
                                           turn == "status" ? "" : turn);
              }});
}

void DecideApprovalTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)Must(registry,
             {"decide_approval",
              "Approve or deny",
              "Approve or deny a pending approval as the principal of this session's token. "
              "Approving runs the held call as its requester asked it. The daemon refuses your "
              "own requests, principals outside the rule's approver groups, and agents where "
              "the rule needs a person.",
              Obj({{"approval_id", Str("e.g. apr-3")},
                   {"approve", {{"type", "boolean"}}},
                   {"reason", Str("why, kept in the audit log")}},
                  {"approval_id", "approve", "reason"}),
              Obj({{"approval", {{"type", "object"}}}}),
              {false, true, false},
              [engine](const json& a) -> Result<json> {
                auto r = engine->DecideApproval(a["approval_id"].get<std::string>(),
                                                a["approve"].get<bool>(),
                                                a["reason"].get<std::string>());
                if (!r.ok()) return r.status();
                return json{{"approval", ApprovalJson(r.value())}};
              }});
}

void ExplainDecisionTool(ToolRegistry& registry, const Deps& d) {
  const auto& engine = d.engine;
  (void)Must(
      registry,
      {"explain_decision",
       "Explain an AI decision",
       "The record of one AI/ML decision made inside a pipeline: the input the model saw, "
       "the model and provider, its output, confidence, latency and cost. Decision ids are "
       "in the events: _ai.decisions lists every AI node's (also _ai.decision, _ml.decision, "
       "_route.decision).",
       Obj({{"decision_id", Str("e.g. classify.mx53feev.3")}}, {"decision_id"}),
       Obj({{"id", {{"type", "string"}}},
            {"model", {{"type", "string"}}},
            {"output", {{"type", "object"}}},
            {"confidence", {{"type", "number"}}}}),
       {true, false, true},
       [engine](const json& a) -> Result<json> {
         return engine->ExplainDecision(a["decision_id"].get<std::string>());
       }});
}

// One function per tool, registered in the order clients list them.
void RegisterTools(ToolRegistry& registry, std::shared_ptr<EngineApi> engine) {
  Deps d{std::move(engine), std::make_shared<PlanTokens>()};
  CreatePipelineTool(registry, d);
  ValidatePipelineTool(registry, d);
  ListComponentsTool(registry, d);
  DescribeComponentTool(registry, d);
  PreviewApplyTool(registry, d);
  ApplyPipelineTool(registry, d);
  GetPipelineStatusTool(registry, d);
  AnalyzePipelinePerformanceTool(registry, d);
  GetMetricsTool(registry, d);
  DebugPipelineTool(registry, d);
  ApplyFixTool(registry, d);
  OptimizePipelineTool(registry, d);
  PredictFailuresTool(registry, d);
  StopPipelineTool(registry, d);
  RollbackPipelineTool(registry, d);
  GetAuditLogTool(registry, d);
  GetApprovalTool(registry, d);
  AutoHealingTool(registry, d);
  DecideApprovalTool(registry, d);
  ExplainDecisionTool(registry, d);
}

}  // namespace

void RegisterBuiltinTools(ToolRegistry& registry, EngineApi* engine) {
  // Borrowed: the caller keeps it alive.
  RegisterTools(registry, std::shared_ptr<EngineApi>(engine, [](EngineApi*) {}));
}

void RegisterBuiltinTools(ToolRegistry& registry, engine::Engine* engine) {
  // The adapter is owned by the handlers; the engine stays borrowed.
  RegisterTools(registry, std::shared_ptr<EngineApi>(LocalEngineApi(engine)));
}

}  // namespace flowctl::ai
