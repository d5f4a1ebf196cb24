// Auto-scaling (ai/controllers.h): the rule over the capacity model of
// ai/optimize.h, and the daemon's controller that applies it.
#include "flowctl/ai/controllers.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "flowctl/ai/engine_api.h"
#include "flowctl/ai/optimize.h"
#include "flowctl/base/clock.h"
#include "flowctl/base/strings.h"
#include "flowctl/config/loader.h"
#include "internal.h"

namespace flowctl::ai {

using nlohmann::json;
using namespace ops_internal;

namespace {

// A new version's first seconds are warm-up (queues fill, caches are cold).
constexpr int64_t kSettleMs = 5000;

std::string Usd(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

std::vector<ScaleDecision> DecideScaling(const OpsInput& in, const ScalePolicy& p,
                                         int64_t last_change_ms, int64_t now_ms) {
  std::vector<ScaleDecision> out;
  if (now_ms - last_change_ms < p.cooldown_s * 1000) return out;
  int64_t from = std::max(
      {in.version_since_ms + kSettleMs, last_change_ms + kSettleMs, now_ms - p.window_s * 1000});
  PipelineModel m = BuildModel(in, from, in.cores);
  // Too few samples of this version in the window yet: wait.
  if (m.window_s < 0.6 * static_cast<double>(p.window_s)) return out;
  const int max = p.max > 0 ? p.max : m.cores;
  for (const auto& st : m.stages) {
    if (st.kind != "processor" || st.call_slots > 0 || !ParallelSafe(in, st)) continue;
    size_t capacity = 0;
    for (const auto& n : in.snapshot.nodes)
      if (n.id == st.node) capacity = n.queue_capacity;
    const int n = std::max(1, st.concurrency);
    const double queued = st.queue_depth;
    ScaleDecision d;
    d.node = st.node;
    d.from = n;
    // Busy alone says it: a source fused with its first processors has no
    // queue between them to fill, yet waits on them.
    if (st.busy >= p.up_busy && n < max) {
      d.to = std::min(max, n * 2);
      d.why = st.node + " " + std::to_string(n) + " -> " + std::to_string(d.to) +
              " workers: busy " + Pct(st.busy) + ", input queue " + Num(queued) +
              (capacity ? " of " + std::to_string(capacity) : std::string()) + " (mean over " +
              Num(m.window_s) + " s)";
    } else if (n > std::max(1, p.min) && queued < 1 && st.busy * n / (n - 1) < p.down_busy) {
      d.to = n - 1;
      d.why = st.node + " " + std::to_string(n) + " -> " + std::to_string(d.to) +
              " workers: busy " + Pct(st.busy) + " with an empty queue; one fewer would be " +
              Pct(st.busy * n / (n - 1)) + " busy (mean over " + Num(m.window_s) + " s)";
    } else {
      continue;
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::optional<BudgetDecision> DecideBudget(const OpsInput& in, double max_cost_per_hour,
                                           int64_t last_change_ms, int64_t now_ms, int64_t window_s,
                                           int64_t cooldown_s) {
  if (max_cost_per_hour <= 0 || now_ms - last_change_ms < cooldown_s * 1000) return std::nullopt;
  int64_t from = std::max(
      {in.version_since_ms + kSettleMs, last_change_ms + kSettleMs, now_ms - window_s * 1000});
  // The optimizer over the window's samples only: one cost model for
  // `ai optimize` and the budget.
  OpsInput w = in;
  w.points.clear();
  for (const auto& p : in.points)
    if (p.ts_ms >= from) w.points.push_back(p);
  w.version_since_ms = 0;
  PipelineModel m = BuildModel(w, 0, in.cores);
  if (m.window_s < 0.6 * static_cast<double>(window_s) || m.cost_per_h <= max_cost_per_hour)
    return std::nullopt;
  std::optional<PipelineSpec> spec = LoadSpec(in.yaml);
  if (!spec) return std::nullopt;
  const StageModel* top = nullptr;
  for (const auto& st : m.stages)
    if (st.ai && st.cost_per_h > 0 && (top == nullptr || st.cost_per_h > top->cost_per_h))
      top = &st;
  if (top == nullptr) return std::nullopt;
  BudgetDecision d;
  d.node = top->node;
  d.from_model = top->model;
  d.measured_per_h = m.cost_per_h;
  auto report = OptimizePipeline(w, "cost");
  if (report.ok())
    for (const auto& sg : report->suggestions)
      if (sg.kind == "model" && sg.node == top->node && !sg.yaml.empty() && !sg.predicted.empty() &&
          sg.predicted[0].after) {
        std::optional<PipelineSpec> next = LoadSpec(sg.yaml);
        const NodeSpec* n = next ? FindNode(*next, top->node) : nullptr;
        if (n == nullptr || !n->config.is_object()) continue;
        d.to_model = n->config.value("model", "");
        d.predicted_per_h = m.cost_per_h - top->cost_per_h + *sg.predicted[0].after;
        d.yaml = sg.yaml;
        break;
      }
  if (d.yaml.empty()) {
    if (top->model == "embedded") return std::nullopt;
    d.to_model = "embedded";
    d.predicted_per_h = m.cost_per_h - top->cost_per_h;
    d.yaml = ConfigFix(*spec, top->node, "model", "embedded");
  }
  d.why = top->node + " " + d.from_model + " -> " + d.to_model + ": model cost " +
          Usd(m.cost_per_h) + " USD/h measured over " + Num(m.window_s) + " s, budget " +
          Usd(max_cost_per_hour) + "; predicted " + Usd(d.predicted_per_h) + " USD/h";
  return d;
}

Controllers::Controllers(engine::Engine* engine, std::string path, Clock clock)
    : engine_(engine), path_(std::move(path)), clock_(std::move(clock)) {
  if (!clock_) clock_ = UnixMs;
  json j = ReadJsonObject(path_);
  for (const auto& [name, v] : j.items()) {
    if (!v.is_object()) continue;
    State s;
    s.scaling = v.value("scaling", false);
    s.policy.min = v.value("min", 1);
    s.policy.max = v.value("max", 0);
    s.budget = v.value("max_cost_per_hour", 0.0);
    pipelines_[name] = s;
  }
}

Controllers::~Controllers() { Stop(); }

Status Controllers::SaveLocked() const {
  json j = json::object();
  for (const auto& [name, s] : pipelines_)
    j[name] = {{"scaling", s.scaling},
               {"min", s.policy.min},
               {"max", s.policy.max},
               {"max_cost_per_hour", s.budget}};
  return WriteAtomically(path_, j.dump(2));
}

Status Controllers::Update(const std::string& pipeline, const std::function<void(State*)>& change) {
  if (auto info = engine_->Get(pipeline); !info.ok()) return info.status();
  std::lock_guard<std::mutex> lk(mu_);
  State& s = pipelines_[pipeline];
  change(&s);
  if (!s.scaling && s.budget <= 0) pipelines_.erase(pipeline);
  return SaveLocked();
}

Status Controllers::EnableScaling(const std::string& pipeline, bool enabled,
                                  const ScalePolicy& policy) {
  if (policy.min < 1 || (policy.max != 0 && policy.max < policy.min))
    return Status::Invalid("max_workers must be >= 1 (0 = the host's cores)");
  return Update(pipeline, [&](State* s) {
    s->scaling = enabled;
    if (enabled) s->policy = policy;
  });
}

Status Controllers::EnableBudget(const std::string& pipeline, bool enabled,
                                 double max_cost_per_hour) {
  if (enabled && !(max_cost_per_hour > 0))
    return Status::Invalid("max_cost_per_hour must be > 0 USD/hour");
  return Update(pipeline, [&](State* s) { s->budget = enabled ? max_cost_per_hour : 0; });
}

std::vector<std::string> Controllers::EvaluateAt(int64_t now_ms) {
  std::map<std::string, State> todo;
  {
    std::lock_guard<std::mutex> lk(mu_);
    todo = pipelines_;
  }
  std::vector<std::string> done;
  auto api = LocalEngineApi(engine_);
  for (const auto& [name, state] : todo) {
    auto in = GatherOpsInput(*api, name, "5m");
    if (!in.ok() || in->snapshot.state != "running") continue;
    in->registry = &engine_->registry();
    engine::ApplyRequest req;
    req.filename = "<controller>";
    // A budget first: it changes what a node costs, scaling what it takes.
    if (auto b = DecideBudget(in.value(), state.budget, state.last_change_ms, now_ms)) {
      req.yaml = b->yaml;
      req.caller = "cost-guard";
      req.reason = "budget: " + b->why;
      req.actions = {"switch-model"};
    } else if (state.scaling) {
      auto decisions = DecideScaling(in.value(), state.policy, state.last_change_ms, now_ms);
      std::optional<PipelineSpec> spec = LoadSpec(in->yaml);
      if (decisions.empty() || !spec) continue;
      std::vector<std::string> why;
      for (const auto& d : decisions) {
        if (NodeSpec* n = FindNode(*spec, d.node)) n->concurrency = d.to;
        why.push_back(d.why);
      }
      req.yaml = config::ToYaml(*spec);
      req.caller = "autoscaler";
      req.reason = "autoscale: " + Join(why, "; ");
      req.actions = {"scale"};
    } else {
      continue;
    }
    std::vector<Diagnostic> diags;
    auto r = engine_->Apply(req, &diags);
    {
      std::lock_guard<std::mutex> lk(mu_);
      // Held or failed, it waits a cooldown too: no approval storm.
      if (pipelines_.count(name)) pipelines_[name].last_change_ms = now_ms;
    }
    if (!r.ok()) {
      spdlog::warn("{}: {}: {}", req.caller, name, r.status().message());
      continue;
    }
    spdlog::info("{}: {} v{}: {}", req.caller, name, r->version, req.reason);
    done.push_back(req.reason);
  }
  return done;
}

void Controllers::Start() {
  loop_.Start(std::chrono::seconds(5), [this] { EvaluateAt(clock_()); });
}

void Controllers::Stop() { loop_.Stop(); }

}  // namespace flowctl::ai
