// PlanPipeline: picks the embedded planner or the model path, and the
// follow-ups (optimizations, cost) offered after a plan.
#include "flowctl/ai/planner.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "flowctl/ai/optimize.h"
#include "flowctl/config/loader.h"
#include "flowctl/graph/graph.h"
#include "internal.h"

namespace flowctl::ai {
namespace planner_impl {

using planner::Goal;

// Components the composer knows how to configure; a highly ranked one that
// is not among them is offered by name (so new components are found).
bool Known(const std::string& type) {
  static const std::set<std::string> k = {"file",          "stdin",
                                          "generator",     "parse-json",
                                          "filter",        "dedupe",
                                          "transform",     "ml-processor",
                                          "rag-processor", "retrieval-augmented-processor",
                                          "ai-processor",  "ai-router",
                                          "route",         "selective-sink",
                                          "stdout",        "null",
                                          "dead-letter"};
  return k.count(type) > 0;
}

std::string GoalText(const PlanRequest& r) {
  std::string text = r.goal;
  for (const auto& [k, v] : r.context) {
    if (k == "name" || k == "provider" || k == "model") continue;
    text += ". " + k + ": " + v;
  }
  return text;
}

void ConstraintNotes(const PlanRequest& r, Plan* p) {
  const auto& c = r.constraints;
  bool remote = false;
  for (const NodeSpec* n : p->spec.AllNodes())
    if (n->config.is_object() && n->config.contains("model") && n->config["model"].is_string()) {
      std::string m = n->config["model"];
      if (n->type != "ml-processor" && m != "embedded") remote = true;
    }
  if (c.max_latency_ms > 0) {
    if (remote && c.max_latency_ms < 2000)
      p->warnings.push_back("max_latency_ms " + std::to_string(c.max_latency_ms) +
                            ": a remote model call takes 200-2000 ms; the embedded models meet "
                            "this budget, a hosted model may not");
    if (p->spec.batch_size > 0)
      p->assumptions.push_back("batch_size " + std::to_string(p->spec.batch_size) +
                               " keeps batches small for max_latency_ms " +
                               std::to_string(c.max_latency_ms));
  }
  if (c.max_cost_per_hour >= 0) {
    CostEstimate e = EstimateCost(*p, c.required_throughput > 0 ? c.required_throughput : 10);
    if (e.usd_per_hour > c.max_cost_per_hour)
      p->warnings.push_back("estimated model cost $" + std::to_string(e.usd_per_hour) +
                            "/hour exceeds max_cost_per_hour " +
                            std::to_string(c.max_cost_per_hour) +
                            ": use model: embedded (free, local) or a cheaper model");
    else
      p->assumptions.push_back(remote
                                   ? "model cost fits max_cost_per_hour at the assumed rate"
                                   : "the embedded models cost nothing, within max_cost_per_hour");
  }
  if (c.required_throughput > 0)
    p->assumptions.push_back(
        "required_throughput " + std::to_string(c.required_throughput) +
        " events/s: stateless processors run one instance per worker (--workers N); measure with "
        "`flowctl apply --workers N` and `flowctl top`" +
        (p->spec.batch_size > 0 ? "; batch_size " + std::to_string(p->spec.batch_size) : ""));
}

}  // namespace planner_impl

namespace planner {

// Renders, reloads and revalidates the spec; fills yaml, nodes, diagnostics.
Status Finalize(const Registry& registry, const std::map<std::string, std::string>& why,
                Plan* plan) {
  plan->yaml = config::ToYaml(plan->spec);
  config::LoadOptions lo;
  lo.use_env = false;
  auto loaded = config::LoadString(plan->yaml, "<plan>", lo);
  if (!loaded.ok() || loaded.documents.size() != 1)
    return Status::Internal("the generated YAML does not load again:\n" +
                            DiagnosticsText(loaded.diagnostics, true) + plan->yaml);
  BuildResult r = BuildGraph(loaded.documents[0].pipeline, registry);
  if (!r.ok())
    return Status::Internal("the generated YAML does not validate:\n" +
                            DiagnosticsText(r.diagnostics, true));
  plan->diagnostics.clear();
  for (const auto& d : r.diagnostics)
    if (d.severity != Diagnostic::Severity::kError) plan->diagnostics.push_back(d);
  ExplainNodes(registry, why, plan);
  return Status::OK();
}

}  // namespace planner

size_t GoalBytes(const PlanRequest& r) {
  size_t n = r.goal.size();
  for (const auto& [k, v] : r.context) n += k.size() + v.size();
  return n;
}

Status GoalTooLarge(size_t bytes) {
  return Status::Invalid("the goal is " + std::to_string(bytes) + " bytes; at most " +
                         std::to_string(kMaxGoalBytes) +
                         " are planned (describe the pipeline in a paragraph: what to read, what "
                         "to do, where results go)");
}

namespace planner {
bool Cancelled(const PlanRequest& r) { return r.cancelled && r.cancelled(); }
Status CancelledStatus() { return Status::Cancelled("planning cancelled: the caller left"); }
}  // namespace planner

Result<Plan> PlanPipeline(const PlanRequest& request, const Registry& registry) {
  if (size_t n = GoalBytes(request); n > kMaxGoalBytes) return GoalTooLarge(n);
  if (planner::Cancelled(request)) return planner::CancelledStatus();
  bool blank = true;
  for (char c : request.goal) blank = blank && std::isspace(static_cast<unsigned char>(c));
  if (blank)
    return Status::Invalid(
        "the goal is empty: describe what to read, what to do and where to "
        "send it, e.g. \"read orders.jsonl, keep orders over $100, write "
        "them to big.jsonl\"");
  if (!request.provider.empty() && request.provider != "embedded")
    return planner::DraftWithModel(request, registry);
  if (request.provider.empty() && !request.model.empty() && request.model != "embedded")
    return planner::DraftWithModel(request, registry);

  planner::Goal goal = planner::Tokenize(planner_impl::GoalText(request));
  planner::Intent intent = planner::ExtractIntent(goal, request, registry);
  if (planner::Cancelled(request)) return planner::CancelledStatus();
  if (intent.signals == 0)
    return Status::Invalid(
        "nothing in the goal names data to read, a processing step or a destination, so no "
        "pipeline can serve it: \"" +
        request.goal +
        "\". Say what to read (a file, stdin, "
        "generated events), what to do (filter, dedupe, sentiment, classify, route, score) and "
        "where results go (a file, stdout)");
  std::string name = request.name.empty() ? planner::DeriveName(goal) : planner::Slug(request.name);
  if (name.empty()) name = "generated-pipeline";
  planner::Composed composed = planner::Compose(intent, name);
  if (planner::Cancelled(request)) return planner::CancelledStatus();
  composed.spec.metadata.annotations["description"] = request.goal;
  Plan plan;
  plan.planner = "embedded";
  plan.warnings = intent.warnings;
  plan.assumptions = intent.assumptions;
  std::vector<Diagnostic> diags;
  Status st = planner::ValidateAndRepair(registry, &composed, &plan.warnings, &diags);
  if (!st.ok()) return st;
  if (planner::Cancelled(request)) return planner::CancelledStatus();
  plan.spec = composed.spec;
  if (plan.spec.FindNode("dlq") == nullptr)
    plan.assumptions.erase(std::remove_if(plan.assumptions.begin(), plan.assumptions.end(),
                                          [](const std::string& a) {
                                            return a.find("dead-letter file") != std::string::npos;
                                          }),
                           plan.assumptions.end());
  // Retrieval: a component that matches the goal well but that the composer
  // does not configure is offered by name.
  std::set<std::string> used;
  for (const NodeSpec* n : plan.spec.AllNodes()) used.insert(n->type);
  for (const auto& m : planner::RankComponents(goal, registry)) {
    if (m.score < 4 || used.count(m.descriptor->type) || planner_impl::Known(m.descriptor->type))
      continue;
    std::string words;
    for (const auto& w : m.words) words += (words.empty() ? "" : ", ") + w;
    plan.warnings.push_back("the component " + m.descriptor->type + " (" +
                            NodeKindName(m.descriptor->kind) + ": " + m.descriptor->summary +
                            ") matches '" + words +
                            "' in the goal but the planner does not configure it; add it by hand "
                            "(flowctl components " +
                            m.descriptor->type + ")");
  }
  planner_impl::ConstraintNotes(request, &plan);
  st = planner::Finalize(registry, composed.why, &plan);
  if (!st.ok()) return st;
  return plan;
}

std::string Plan::Explanation() const {
  std::string out = "Pipeline " + spec.metadata.name + " (" + planner +
                    (attempts > 1 ? ", " + std::to_string(attempts) + " drafts" : "") + "):\n";
  for (const auto& n : nodes)
    out += "  " + n.id + " (" + n.type + ", " + n.kind + "): " + n.why + "\n";
  if (!warnings.empty()) {
    out += "Not expressible as asked (nearest used or offered):\n";
    for (const auto& w : warnings) out += "  - " + w + "\n";
  }
  if (!assumptions.empty()) {
    out += "Assumptions (edit the YAML if they are wrong):\n";
    for (const auto& a : assumptions) out += "  - " + a + "\n";
  }
  return out;
}

nlohmann::json Plan::ToJson() const {
  nlohmann::json nodes_json = nlohmann::json::array();
  for (const auto& n : nodes)
    nodes_json.push_back({{"id", n.id}, {"type", n.type}, {"kind", n.kind}, {"why", n.why}});
  nlohmann::json diags = nlohmann::json::array();
  for (const auto& d : diagnostics)
    diags.push_back(
        {{"severity", d.severity == Diagnostic::Severity::kWarning ? "warning" : "note"},
         {"node", d.node_id},
         {"message", d.message}});
  return {{"name", spec.metadata.name},
          {"yaml", yaml},
          {"nodes", nodes_json},
          {"warnings", warnings},
          {"assumptions", assumptions},
          {"diagnostics", diags},
          {"planner", planner},
          {"attempts", attempts},
          {"valid", true}};
}

std::vector<std::string> SuggestOptimizations(const Plan& plan) {
  // The plan's shape only; what a model costs and a cheaper one are
  // OptimizePlan's (ai/optimize.h), the same code `ai optimize` prices with.
  std::vector<std::string> out;
  bool dedupe = false, ai = false, remote = false, filter_first = true;
  for (const NodeSpec* n : plan.spec.AllNodes()) {
    if (n->type == "dedupe") dedupe = true;
    if (n->type == "ai-processor" || n->type == "ai-router" || n->type == "rag-processor") {
      ai = true;
      remote = remote || n->config.value("model", "embedded") != "embedded";
    }
    if (n->type == "filter" && ai) filter_first = false;
  }
  if (ai && !dedupe)
    out.push_back(
        "add a dedupe node before the AI nodes (key: id) so duplicates are not "
        "analyzed twice");
  if (ai && !remote)
    out.push_back(
        "the embedded models are local heuristics: set model: gpt-4o-mini or "
        "claude-3-5-haiku-latest on the ai nodes for better accuracy (needs a key; "
        "costs money, see 'estimate cost')");
  if (!filter_first)
    out.push_back(
        "a filter runs after an AI node: if it does not need the AI's fields, move it "
        "first so fewer events reach the model");
  if (plan.spec.batch_size == 0)
    out.push_back(
        "batch_size: the default (a few hundred) suits throughput; lower it (64) for "
        "latency");
  out.push_back(
      "run with --workers N (default: all cores): stateless processors get one "
      "instance per worker");
  return out;
}

CostEstimate EstimateCost(const Plan& plan, double eps) {
  PlanAssumptions a;
  a.events_per_second = eps;
  PipelineModel m = EstimateModel(plan.spec, a);
  CostEstimate e;
  e.events_per_second = eps;
  e.usd_per_hour = m.cost_per_h;
  for (const auto& st : m.stages) {
    if (!st.ai) continue;
    char buf[256];
    std::snprintf(buf, sizeof(buf), "%s (%s, %s): $%.4f/hour", st.node.c_str(), st.type.c_str(),
                  st.model.c_str(), st.cost_per_h);
    e.lines.push_back(buf);
  }
  char buf[240];
  std::snprintf(
      buf, sizeof(buf),
      "assumes %.0f events/s, ~%.0f input and ~%.0f output tokens per model call (an "
      "ai-router asks for %.0f%% of its events), list prices; the embedded models cost $0",
      eps, a.input_tokens, a.output_tokens, 100 * a.router_model_share);
  e.lines.push_back(buf);
  return e;
}

}  // namespace flowctl::ai
