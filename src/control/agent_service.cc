// AIAgentService: GeneratePipeline runs the planner (the same one as
// `flowctl ai create` and the create_pipeline tool); ExecutePlan applies its
// yaml step by step; AnalyzePerformance, OptimizePipeline and
// SuggestImprovements are the analyses of ai/ops.h and ai/optimize.h. The
// autonomous RPCs say they are not built yet.
#include <algorithm>
#include <chrono>
#include <thread>

#include "convert.h"
#include "flowctl/ai/engine_api.h"
#include "flowctl/ai/ops.h"
#include "flowctl/ai/optimize.h"
#include "flowctl/ai/planner.h"
#include "flowctl/ai/predict.h"
#include "flowctl/base/clock.h"
#include "services.h"

namespace flowctl::control {

namespace pb = ::ai::obsrvr::flowctl;

namespace {

void ToProto(const ai::Suggestion& s, pb::Suggestion* out) {
  out->set_goal(s.goal);
  out->set_kind(s.kind);
  out->set_node(s.node);
  out->set_title(s.title);
  out->set_note(s.note);
  out->set_yaml(s.yaml);
  out->set_gain(s.gain);
  for (const auto& p : s.predicted) {
    auto* pp = out->add_predicted();
    pp->set_metric(p.metric);
    pp->set_before(p.before.value_or(0));
    pp->set_predictable(p.after.has_value());
    pp->set_after(p.after.value_or(0));
    pp->set_how(p.how);
  }
}

pb::ExecutionStatus Step(const std::string& step, const std::string& state,
                         const std::string& message, const std::string& pipeline, int version) {
  pb::ExecutionStatus s;
  s.set_step(step);
  s.set_state(state);
  s.set_message(message);
  s.set_pipeline(pipeline);
  s.set_version(version);
  s.set_time_ms(UnixMs());
  return s;
}

}  // namespace

// The report of ai/optimize.h over this engine's history.
Result<ai::OptimizationReport> AgentServiceImpl::Optimize(const std::string& name,
                                                          const std::string& time_range,
                                                          const std::string& goal) {
  auto api = ai::LocalEngineApi(c_.engine);
  auto in = ai::GatherOpsInput(*api, name, time_range.empty() ? "1h" : time_range);
  if (!in.ok()) return in.status();
  return ai::OptimizePipeline(in.value(), goal);
}

grpc::ServerUnaryReactor* AgentServiceImpl::GeneratePipeline(grpc::CallbackServerContext* ctx,
                                                             const pb::PipelineGoal* req,
                                                             pb::Pipeline* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  ai::PlanRequest pr;
  pr.goal = req->description();
  for (const auto& c : req->constraints()) {
    char* end = nullptr;
    double v = std::strtod(c.value().c_str(), &end);
    if (end == c.value().c_str() || *end != '\0')
      return Done(ctx, ToGrpc(Status::Invalid("constraint " + c.name() + ": '" + c.value() +
                                              "' is not a number")));
    if (c.name() == "max_latency_ms")
      pr.constraints.max_latency_ms = static_cast<int>(v);
    else if (c.name() == "max_cost_per_hour")
      pr.constraints.max_cost_per_hour = v;
    else if (c.name() == "required_throughput")
      pr.constraints.required_throughput = static_cast<int>(v);
    else
      return Done(
          ctx, ToGrpc(Status::Invalid("constraint '" + c.name() +
                                      "' is not one of "
                                      "max_latency_ms, max_cost_per_hour, required_throughput")));
  }
  for (const auto& [k, v] : req->context()) pr.context[k] = v;
  if (auto it = pr.context.find("name"); it != pr.context.end()) pr.name = it->second;
  if (auto it = pr.context.find("provider"); it != pr.context.end()) pr.provider = it->second;
  if (auto it = pr.context.find("model"); it != pr.context.end()) pr.model = it->second;
  // Refused before any work is queued.
  if (size_t n = ai::GoalBytes(pr); n > ai::kMaxGoalBytes)
    return Done(ctx, ToGrpc(ai::GoalTooLarge(n)));
  // The planner stops between steps once the caller has left or its
  // deadline has passed: no work for nobody. The context lives until the
  // reactor finishes, after the plan.
  pr.cancelled = [ctx] {
    return ctx->IsCancelled() || std::chrono::system_clock::now() > ctx->deadline();
  };
  auto* reactor = ctx->DefaultReactor();
  // A model provider may take seconds: not on a reactor thread.
  c_.executor->Post([this, pr, resp, reactor, caller] {
    auto plan = ai::PlanPipeline(pr, c_.engine->registry());
    if (!plan.ok()) {
      reactor->Finish(ToGrpc(plan.status()));
      return;
    }
    resp->set_name(plan->spec.metadata.name);
    resp->set_yaml(plan->yaml);
    resp->set_explanation(plan->Explanation());
    for (const auto& w : plan->warnings) resp->add_warnings(w);
    for (const auto& a : plan->assumptions) resp->add_assumptions(a);
    resp->set_planner(plan->planner);
    store::AuditRecord rec;
    rec.caller = "agent:" + caller;
    rec.action = "generate";
    rec.target = plan->spec.metadata.name;
    rec.result = "ok";
    rec.reasoning = pr.goal;
    (void)c_.engine->Audit(rec);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}
grpc::ServerUnaryReactor* AgentServiceImpl::OptimizePipeline(grpc::CallbackServerContext* ctx,
                                                             const pb::OptimizationRequest* req,
                                                             pb::OptimizationPlan* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  std::string goal;
  double weight = -1;
  for (const auto& o : req->objectives())
    if (o.weight() > weight) {
      goal = o.goal();
      weight = o.weight();
    }
  auto* reactor = ctx->DefaultReactor();
  // Reads the history and may apply: not on a reactor thread.
  c_.executor->Post([this, req, resp, reactor, caller, goal] {
    auto report = Optimize(req->pipeline_id(), req->time_range(), goal);
    if (!report.ok()) return reactor->Finish(ToGrpc(report.status()));
    const ai::OptimizationReport& r = report.value();
    resp->set_pipeline_id(r.name);
    resp->set_throughput_bound_eps(r.model.bound_eps);
    resp->set_bottleneck(r.model.bottleneck);
    resp->set_input_eps(r.model.input_per_s);
    for (const auto& n : r.notes) resp->add_notes(n);
    const ai::Suggestion* best = nullptr;
    for (const auto& s : r.suggestions) {
      resp->add_changes(s.title);
      ToProto(s, resp->add_suggestions());
      if (best == nullptr && !s.yaml.empty()) best = &s;
    }
    if (best != nullptr) resp->set_yaml(best->yaml);
    if (req->simulate_only() || best == nullptr) return reactor->Finish(grpc::Status::OK);
    engine::ApplyRequest ar;
    ar.yaml = best->yaml;
    ar.filename = "<OptimizePipeline>";
    ar.caller = "agent:" + caller;
    ar.reason = ai::OptimizationReason(*best);
    std::vector<Diagnostic> diags;
    auto applied = c_.engine->Apply(ar, &diags);
    if (!applied.ok()) return reactor->Finish(ToGrpc(applied.status(), diags));
    resp->set_applied(true);
    resp->set_version(applied->version);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}
grpc::ServerUnaryReactor* AgentServiceImpl::PredictFailures(grpc::CallbackServerContext* ctx,
                                                            const pb::PredictionRequest* req,
                                                            pb::FailurePrediction* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  auto opts = ai::ParsePredictOptions(req->horizon(), req->forecast_window(), req->sensitivity());
  if (!opts.ok()) return Done(ctx, ToGrpc(opts.status()));
  auto* reactor = ctx->DefaultReactor();
  c_.executor->Post([this, req, resp, reactor, o = opts.value()] {
    auto api = ai::LocalEngineApi(c_.engine);
    auto in = ai::GatherOpsInput(*api, req->pipeline_id(),
                                 req->time_range().empty() ? "1h" : req->time_range());
    if (!in.ok()) return reactor->Finish(ToGrpc(in.status()));
    ai::PredictionReport r = ai::PredictFailures(in.value(), o);
    resp->set_pipeline_id(r.name);
    resp->set_algorithms(r.algorithms);
    resp->set_window_s(r.window_s);
    for (const auto& f : r.failures) {
      auto* p = resp->add_failures();
      p->set_kind(f.kind);
      p->set_node(f.node);
      p->set_metric(f.metric);
      p->set_current(f.current);
      p->set_threshold(f.threshold);
      p->set_eta_s(f.eta_s);
      p->set_score(f.score);
      p->set_title(f.title);
      resp->set_probability(std::max(resp->probability(), f.score));
    }
    resp->set_reason(r.failures.empty()
                         ? "no failure predicted within " + std::to_string(r.horizon_s) + " s"
                         : r.failures.front().title);
    for (const auto& f : r.forecasts) {
      auto* p = resp->add_forecasts();
      p->set_metric(f.metric);
      p->set_now(f.now);
      p->set_at(f.at);
      p->set_low(f.low);
      p->set_high(f.high);
      p->set_horizon_s(f.horizon_s);
      p->set_note(f.note);
    }
    for (const auto& a : r.anomalies) {
      auto* p = resp->add_anomalies();
      p->set_node(a.node);
      p->set_metric(a.metric);
      p->set_ts_ms(a.ts_ms);
      p->set_value(a.value);
      p->set_baseline(a.baseline);
      p->set_z(a.z);
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}
grpc::ServerUnaryReactor* AgentServiceImpl::SuggestImprovements(grpc::CallbackServerContext* ctx,
                                                                const pb::ImprovementRequest* req,
                                                                pb::ImprovementPlan* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  c_.executor->Post([this, req, resp, reactor] {
    auto report = Optimize(req->pipeline_id(), req->time_range(), "");
    if (!report.ok()) return reactor->Finish(ToGrpc(report.status()));
    resp->set_pipeline_id(report->name);
    for (const auto& s : report->suggestions) {
      resp->add_suggestions(s.title);
      ToProto(s, resp->add_items());
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}
namespace {

// A controller turned on or off: who, for which pipeline, with what.
void AuditSetting(engine::Engine* engine, const std::string& caller, const std::string& action,
                  const std::string& pipeline, const nlohmann::json& args) {
  store::AuditRecord rec;
  rec.time_ms = UnixMs();
  rec.caller = caller;
  rec.action = action;
  rec.target = pipeline;
  rec.arguments = args.dump();
  rec.result = "ok";
  (void)engine->Audit(rec);
}

}  // namespace

grpc::ServerUnaryReactor* AgentServiceImpl::EnableAutoHealing(grpc::CallbackServerContext* ctx,
                                                              const pb::AutoHealingConfig* req,
                                                              pb::AutoHealingStatus* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  if (c_.healer == nullptr)
    return Done(ctx, ToGrpc(Status(StatusCode::kFailedPrecondition,
                                   "this control plane runs no self-healing (a foreground "
                                   "apply's); use `flowctl serve`")));
  auto r = req->status_only() ? c_.healer->Describe(req->pipeline_id())
                              : c_.healer->Enable(req->pipeline_id(), req->enabled());
  if (!r.ok()) return Done(ctx, ToGrpc(r.status()));
  if (!req->status_only())
    AuditSetting(c_.engine, caller, req->enabled() ? "enable-self-healing" : "disable-self-healing",
                 req->pipeline_id(), nlohmann::json::object());
  resp->set_pipeline_id(req->pipeline_id());
  resp->set_enabled(r->value("enabled", false));
  resp->set_message(ai::HealingSummary(r.value()));
  resp->set_details_json(r->dump());
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AgentServiceImpl::EnableAutoScaling(grpc::CallbackServerContext* ctx,
                                                              const pb::AutoScalingConfig* req,
                                                              pb::AutoScalingStatus* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  if (c_.controllers == nullptr)
    return Done(ctx, ToGrpc(Status(StatusCode::kFailedPrecondition,
                                   "this control plane runs no autoscaler (a foreground apply's); "
                                   "use `flowctl serve`")));
  if (req->max_workers() < 0)
    return Done(ctx, ToGrpc(Status::Invalid("max_workers must be >= 0 (0 = the host's cores)")));
  ai::ScalePolicy p;
  p.max = req->max_workers();
  Status st = c_.controllers->EnableScaling(req->pipeline_id(), req->enabled(), p);
  if (!st.ok()) return Done(ctx, ToGrpc(st));
  AuditSetting(c_.engine, caller, req->enabled() ? "enable-autoscaling" : "disable-autoscaling",
               req->pipeline_id(), {{"max_workers", req->max_workers()}});
  resp->set_pipeline_id(req->pipeline_id());
  resp->set_enabled(req->enabled());
  resp->set_message(
      req->enabled()
          ? "autoscaling " + req->pipeline_id() + ": each parallel-safe processor between 1 and " +
                (p.max > 0 ? std::to_string(p.max) : std::string("the host's cores")) +
                " workers; x2 at >= 85% busy with a backlog, -1 when one fewer stays under 60%; "
                "checked every 5 s, 30 s apart; each change is a version (flowctl history)"
          : "autoscaling of " + req->pipeline_id() + " is off; its concurrency stays as it is");
  return Done(ctx, grpc::Status::OK);
}
grpc::ServerUnaryReactor* AgentServiceImpl::EnableCostOptimization(
    grpc::CallbackServerContext* ctx, const pb::CostOptimizationConfig* req, pb::CostStatus* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  if (c_.controllers == nullptr)
    return Done(ctx, ToGrpc(Status(StatusCode::kFailedPrecondition,
                                   "this control plane runs no cost budget (a foreground apply's); "
                                   "use `flowctl serve`")));
  Status st =
      c_.controllers->EnableBudget(req->pipeline_id(), req->enabled(), req->max_cost_per_hour());
  if (!st.ok()) return Done(ctx, ToGrpc(st));
  AuditSetting(c_.engine, caller, req->enabled() ? "enable-cost-budget" : "disable-cost-budget",
               req->pipeline_id(), {{"max_cost_per_hour", req->max_cost_per_hour()}});
  resp->set_pipeline_id(req->pipeline_id());
  resp->set_enabled(req->enabled());
  char budget[64];
  std::snprintf(budget, sizeof budget, "%.2f", req->max_cost_per_hour());
  resp->set_message(
      req->enabled()
          ? "budget " + std::string(budget) + " USD/hour for " + req->pipeline_id() +
                ": over it (measured over 15 s, checked every 5 s), its costliest AI node moves "
                "to the cheaper model ai optimize prices, or to the embedded model; no event is "
                "dropped; each switch is a version (flowctl audit --caller cost-guard)"
          : "no budget for " + req->pipeline_id() + " any more; its models stay as they are");
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AgentServiceImpl::AnalyzePerformance(grpc::CallbackServerContext* ctx,
                                                               const pb::AnalysisRequest* req,
                                                               pb::PerformanceReport* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  // The analysis of ai/ops.h, as the analyze_pipeline_performance tool has it.
  auto api = ai::LocalEngineApi(c_.engine);
  std::vector<std::string> goals(req->optimization_goals().begin(),
                                 req->optimization_goals().end());
  auto r = ai::AnalyzePerformance(*api, req->pipeline_id(), req->time_range(), goals);
  if (!r.ok()) return Done(ctx, ToGrpc(r.status()));
  resp->set_pipeline_id(r->name);
  resp->set_window_s(r->window_s);
  resp->set_throughput_eps(r->throughput_eps);
  resp->set_p50_us(r->p50_us);
  resp->set_p99_us(r->p99_us);
  resp->set_error_rate(r->error_rate);
  resp->set_bottleneck_node(r->bottleneck);
  for (const auto& n : r->nodes) {
    auto* np = resp->add_nodes();
    np->set_node_id(n.node);
    np->set_type(n.type);
    np->set_events_per_second(n.events_per_s);
    np->set_p50_us(n.p50_us);
    np->set_p99_us(n.p99_us);
    np->set_error_rate(n.error_rate);
    np->set_busy_fraction(n.busy);
    np->set_queue_depth(static_cast<uint64_t>(n.queue_depth));
  }
  for (const auto& f : r->findings) resp->add_findings(f);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerWriteReactor<pb::ExecutionStatus>* AgentServiceImpl::ExecutePlan(
    grpc::CallbackServerContext* ctx, const pb::ExecutionPlan* req) {
  using W = QueueWriter<pb::ExecutionStatus>;
  auto* writer = new W();
  auto state = writer->state();
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) {
    W::Close(state, st);
    return writer;
  }
  if (req->pipeline_yaml().empty()) {
    W::Close(state, ToGrpc(Status::Invalid("pipeline_yaml is required")));
    return writer;
  }
  c_.executor->Post([this, state, plan = *req, caller] {
    engine::ApplyRequest ar;
    ar.yaml = plan.pipeline_yaml();
    ar.filename = "<plan>";
    ar.caller = "agent:" + caller;
    ar.reason = plan.reason();
    // 1. validate + 2. diff: a dry run.
    ar.dry_run = true;
    std::vector<Diagnostic> diags;
    auto dry = c_.engine->Apply(ar, &diags);
    if (!dry.ok()) {
      W::Push(state,
              Step("validate", "failed", ToGrpc(dry.status(), diags).error_message(), "", 0));
      W::Close(state, ToGrpc(dry.status(), diags));
      return;
    }
    W::Push(state, Step("validate", "ok", "valid", dry->name, dry->version));
    W::Push(state, Step("diff", "ok", dry->diff.empty() ? "no change" : dry->diff, dry->name,
                        dry->version));
    if (plan.dry_run()) {
      W::Push(state, Step("apply", "skipped", "dry run", dry->name, dry->version));
      W::Close(state, grpc::Status::OK);
      return;
    }
    auto before = c_.engine->Get(dry->name);
    int previous = before.ok() ? before->version : 0;
    // 3. apply + 4. start.
    ar.dry_run = false;
    diags.clear();
    auto applied = c_.engine->Apply(ar, &diags);
    if (!applied.ok()) {
      W::Push(state, Step("apply", "failed", applied.status().message(), dry->name, 0));
      // The engine puts the previous version back when a new one cannot start.
      auto now = c_.engine->Get(dry->name);
      if (previous > 0 && now.ok() && now->version == previous && now->state == "running")
        W::Push(state,
                Step("rollback", "ok", "version " + std::to_string(previous) + " is running again",
                     dry->name, previous));
      W::Close(state, ToGrpc(applied.status(), diags));
      return;
    }
    W::Push(state, Step("apply", "ok", "version " + std::to_string(applied->version), applied->name,
                        applied->version));
    W::Push(state, Step("start", "ok", applied->state, applied->name, applied->version));
    // 5. first events healthy: watch the run for a while.
    int wait_ms = plan.health_check_ms() > 0 ? plan.health_check_ms() : 2000;
    std::string problem;
    for (int waited = 0; waited < wait_ms && W::Alive(state); waited += 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto info = c_.engine->Get(applied->name);
      if (!info.ok()) break;
      if (info->state == "failed") {
        problem = "the run failed: " + info->snapshot.error;
        break;
      }
      if (info->state != "running") break;  // a bounded source finished
    }
    if (problem.empty()) {
      W::Push(state,
              Step("healthy", "ok", "no failure in the first " + std::to_string(wait_ms) + " ms",
                   applied->name, applied->version));
      W::Close(state, grpc::Status::OK);
      return;
    }
    W::Push(state, Step("healthy", "failed", problem, applied->name, applied->version));
    // Roll the step back: the previous version, or stop a new pipeline.
    if (previous > 0) {
      auto rb = c_.engine->Rollback(applied->name, previous, ar.caller, "ExecutePlan health check");
      W::Push(state,
              Step("rollback", rb.ok() ? "ok" : "failed",
                   rb.ok() ? "back to version " + std::to_string(previous) : rb.status().message(),
                   applied->name, previous));
    } else {
      Status st = c_.engine->Stop(applied->name, ar.caller, "ExecutePlan health check");
      W::Push(state, Step("rollback", st.ok() ? "ok" : "failed",
                          st.ok() ? "stopped the new pipeline" : st.message(), applied->name, 0));
    }
    W::Close(state, grpc::Status(grpc::StatusCode::ABORTED, problem));
  });
  return writer;
}

}  // namespace flowctl::control
