#include <cstring>
#include <nlohmann/json.hpp>

#include "convert.h"
#include "flowctl/base/clock.h"
#include "flowctl/base/strings.h"
#include "flowctl/control/metrics_proto.h"
#include "flowctl/control/server.h"
#include "services.h"

namespace flowctl::control {

namespace {

std::map<std::string, std::string> Vars(const google::protobuf::Map<std::string, std::string>& m) {
  return {m.begin(), m.end()};
}

grpc::Status Required(const std::string& field, const std::string& value) {
  if (!value.empty()) return grpc::Status::OK;
  return FieldError(field, field + " is required");
}

}  // namespace

grpc::Status Authorize(const CallContext& c, grpc::CallbackServerContext* ctx,
                       std::string* caller) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  std::string value = it == md.end() ? "" : std::string(it->second.data(), it->second.size());
  if (c.identities != nullptr) {
    // An auth file: the token names the principal; loopback without one is
    // its `local` principal, when it has one.
    if (!value.empty()) {
      if (value.rfind("Bearer ", 0) == 0)
        if (auto p = c.identities->ForToken(value.substr(7))) {
          *caller = p->name;
          return grpc::Status::OK;
        }
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
    }
    std::string peer = ctx->peer();
    for (const char* prefix : {"ipv4:", "ipv6:"})
      if (peer.rfind(prefix, 0) == 0) peer = peer.substr(std::strlen(prefix));
    if (IsLoopback(peer) && c.identities->local()) {
      *caller = c.identities->local()->name;
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing 'authorization: Bearer <token>' metadata");
  }
  *caller = ctx->peer();
  if (c.token.empty()) return grpc::Status::OK;
  if (it == md.end())
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing 'authorization: Bearer <token>' metadata");
  if (!ConstantTimeEquals(value, "Bearer " + c.token))
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
  *caller = "token@" + ctx->peer();
  return grpc::Status::OK;
}

// Agents do not change the rules they are governed by.
Status MayGovern(const CallContext& c, const std::string& caller) {
  if (c.identities == nullptr) return Status::OK();
  auto p = c.identities->Find(caller);
  if (p && p->agent)
    return Status(StatusCode::kPermissionDenied,
                  caller + " is an agent: governance policies are applied and deleted by people");
  return Status::OK();
}

void ToProto(const governance::Approval& a, v1::Approval* p) {
  p->set_id(a.id);
  p->set_state(a.state);
  p->set_action(a.action);
  p->set_pipeline(a.pipeline);
  p->set_policy(a.policy);
  p->set_why(a.why);
  p->set_requested_by(a.requested_by);
  p->set_reason(a.reason);
  for (const auto& g : a.approvers) p->add_approvers(g);
  p->set_human_confirmation(a.human_confirmation);
  p->set_created_ms(a.created_ms);
  p->set_expires_ms(a.expires_ms);
  p->set_decided_ms(a.decided_ms);
  p->set_decided_by(a.decided_by);
  p->set_decision_reason(a.decision_reason);
  p->set_result(a.result);
}

#define FLOWCTL_AUTHORIZE() \
  std::string caller;       \
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st)

grpc::ServerUnaryReactor* PipelineServiceImpl::Apply(grpc::CallbackServerContext* ctx,
                                                     const v1::ApplyRequest* req,
                                                     v1::ApplyResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("yaml", req->yaml()); !st.ok()) return Done(ctx, st);
  engine::ApplyRequest ar;
  ar.yaml = req->yaml();
  ar.filename = req->filename().empty() ? "<request>" : req->filename();
  ar.vars = Vars(req->vars());
  for (const auto& s : req->sets()) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      return Done(ctx, ToGrpc(Status::Invalid("sets: expected NODE.FIELD=VALUE, got '" + s + "'")));
    ar.sets.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  ar.dry_run = req->dry_run();
  ar.caller = caller;
  ar.reason = req->reason();
  // The reactor is taken only where the call is answered later: Done() takes
  // it too, and a call has one.
  if (governance::Gate::IsPolicy(ar.yaml)) {
    if (c_.gate == nullptr)
      return Done(ctx, ToGrpc(Status(StatusCode::kFailedPrecondition,
                                     "this control plane has no governance gate (a foreground "
                                     "apply's); apply the policy to `flowctl serve`")));
    if (Status st = MayGovern(c_, caller); !st.ok()) return Done(ctx, ToGrpc(st));
    std::vector<Diagnostic> diags;
    auto applied = c_.gate->ApplyPolicy(ar.yaml, ar.filename, ar.dry_run, &diags);
    if (!applied.ok()) return Done(ctx, ToGrpc(applied.status(), diags));
    const GovernanceSpec& g = applied->spec;
    resp->set_name(applied->name);
    resp->set_dry_run(ar.dry_run);
    resp->set_state("enforced");
    std::string plan = "AIGovernancePolicy " + resp->name() + ": " +
                       std::to_string(g.approval_required.size()) + " approval rule(s)";
    for (const auto& r : g.approval_required)
      plan += "\n  " + r.action + " -> approvers " + Join(r.approvers, ", ") +
              (r.human_confirmation ? " (a person)" : "");
    resp->set_plan(plan + "\n");
    if (!ar.dry_run) {
      store::AuditRecord rec;
      rec.time_ms = UnixMs();
      rec.caller = caller;
      rec.action = "apply-policy";
      rec.target = resp->name();
      rec.result = "ok";
      rec.reasoning = ar.reason;
      (void)c_.engine->Audit(rec);
    }
    return Done(ctx, grpc::Status::OK);
  }
  if (ai::Monitors::IsMonitor(ar.yaml)) {
    if (c_.monitors == nullptr)
      return Done(ctx, ToGrpc(Status(StatusCode::kFailedPrecondition,
                                     "this control plane runs no AIMonitor (a foreground apply's); "
                                     "apply it to `flowctl serve`")));
    auto* reactor = ctx->DefaultReactor();
    c_.executor->Post([this, ar, resp, reactor] {
      std::vector<Diagnostic> diags;
      auto m = c_.monitors->Apply(ar.yaml, ar.filename, ar.caller, ar.dry_run, &diags);
      if (!m.ok()) return reactor->Finish(ToGrpc(m.status(), diags));
      resp->set_name(m->name);
      resp->set_version(m->version);
      resp->set_dry_run(ar.dry_run);
      resp->set_state("monitoring");
      std::string plan = "AIMonitor " + m->name + ": every " + std::to_string(m->spec.interval_s) +
                         " s over pipelines matching";
      for (const auto& t : m->spec.targets) plan += " " + t;
      resp->set_plan(plan + "\n");
      for (const auto& d : diags)
        if (d.severity != Diagnostic::Severity::kError) ToProto(d, resp->add_warnings());
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }
  // Applying a new version drains the old run: not on a reactor thread.
  auto* reactor = ctx->DefaultReactor();
  c_.executor->Post([this, ar, resp, reactor] {
    std::vector<Diagnostic> diags;
    auto r = c_.engine->Apply(ar, &diags);
    if (!r.ok()) {
      reactor->Finish(
          ToGrpc(r.status(), diags,
                 {"fix the errors listed in the details (file:line:col) and apply again",
                  "list valid component types with ComponentService.List"}));
      return;
    }
    resp->set_name(r->name);
    resp->set_version(r->version);
    resp->set_dry_run(r->dry_run);
    resp->set_plan(r->plan);
    resp->set_diff(r->diff);
    resp->set_state(r->state);
    resp->set_unchanged(r->unchanged);
    for (const auto& d : r->diagnostics) ToProto(d, resp->add_warnings());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* PipelineServiceImpl::Validate(grpc::CallbackServerContext* ctx,
                                                        const v1::ValidateRequest* req,
                                                        v1::ValidateResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("yaml", req->yaml()); !st.ok()) return Done(ctx, st);
  auto r = c_.engine->Validate(req->yaml(), req->filename().empty() ? "<request>" : req->filename(),
                               Vars(req->vars()));
  resp->set_valid(r.valid);
  for (const auto& d : r.diagnostics) ToProto(d, resp->add_diagnostics());
  for (const auto& p : r.pipelines) resp->add_pipelines(p);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PipelineServiceImpl::List(grpc::CallbackServerContext* ctx,
                                                    const v1::ListPipelinesRequest*,
                                                    v1::ListPipelinesResponse* resp) {
  FLOWCTL_AUTHORIZE();
  for (const auto& p : c_.engine->List()) ToProto(p, resp->add_pipelines());
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PipelineServiceImpl::Get(grpc::CallbackServerContext* ctx,
                                                   const v1::GetPipelineRequest* req,
                                                   v1::PipelineDetail* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("name", req->name()); !st.ok()) return Done(ctx, st);
  auto info = c_.engine->Get(req->name());
  if (!info.ok()) return Done(ctx, ToGrpc(info.status()));
  ToProto(info.value(), resp->mutable_summary());
  resp->set_yaml(info->yaml);
  ToProto(info->snapshot, info->version, resp->mutable_status());
  resp->mutable_status()->set_name(info->name);
  resp->mutable_status()->set_state(info->state);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PipelineServiceImpl::GetMetrics(grpc::CallbackServerContext* ctx,
                                                          const v1::GetMetricsRequest* req,
                                                          v1::PipelineStatus* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("name", req->name()); !st.ok()) return Done(ctx, st);
  auto info = c_.engine->Get(req->name());
  if (!info.ok()) return Done(ctx, ToGrpc(info.status()));
  ToProto(info->snapshot, info->version, resp);
  resp->set_name(info->name);
  resp->set_state(info->state);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PipelineServiceImpl::MetricHistory(grpc::CallbackServerContext* ctx,
                                                             const v1::MetricHistoryRequest* req,
                                                             v1::MetricHistoryResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("name", req->name()); !st.ok()) return Done(ctx, st);
  std::string since = req->since().empty() ? "1h" : req->since();
  auto span = store::ParseSpan(since);
  if (!span.ok()) return Done(ctx, FieldError("since", span.status().message()));
  if (auto info = c_.engine->Get(req->name()); !info.ok()) return Done(ctx, ToGrpc(info.status()));
  resp->set_name(req->name());
  resp->set_since(since);
  if (req->schemas()) {
    auto epochs = c_.engine->Schemas(req->name(), req->node(), span.value());
    if (!epochs.ok()) return Done(ctx, ToGrpc(epochs.status()));
    SchemasToProto(epochs.value(), resp);
    return Done(ctx, grpc::Status::OK);
  }
  if (req->errors()) {
    auto groups = c_.engine->Errors(req->name(), req->node(), span.value());
    if (!groups.ok()) return Done(ctx, ToGrpc(groups.status()));
    ErrorsToProto(groups.value(), resp);
    return Done(ctx, grpc::Status::OK);
  }
  auto points = c_.engine->Metrics(req->name(), req->node(), span.value());
  if (!points.ok()) return Done(ctx, ToGrpc(points.status()));
  PointsToProto(points.value(), resp);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PipelineServiceImpl::Stop(grpc::CallbackServerContext* ctx,
                                                    const v1::StopRequest* req,
                                                    v1::StopResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("name", req->name()); !st.ok()) return Done(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  c_.executor->Post([this, name = req->name(), reason = req->reason(), caller, resp, reactor] {
    Status st = c_.engine->Stop(name, caller, reason);
    if (st.ok()) {
      resp->set_name(name);
      resp->set_state("stopped");
    }
    reactor->Finish(ToGrpc(st));
  });
  return reactor;
}

grpc::ServerUnaryReactor* PipelineServiceImpl::Delete(grpc::CallbackServerContext* ctx,
                                                      const v1::DeleteRequest* req,
                                                      v1::DeleteResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("name", req->name()); !st.ok()) return Done(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  c_.executor->Post([this, name = req->name(), reason = req->reason(), caller, resp, reactor] {
    Status st = c_.engine->Delete(name, caller, reason);
    // A monitor or a governance policy of that name, when no pipeline has it:
    // removing either passes the gate as delete-resources.
    bool monitor = c_.monitors && c_.monitors->Has(name);
    bool policy = c_.gate && c_.gate->HasPolicy(name);
    if (st.code() == StatusCode::kNotFound && (monitor || policy)) {
      st = policy ? MayGovern(c_, caller) : Status::OK();
      if (st.ok())
        st = c_.engine->Govern(
            {"delete-resources"}, name, caller, reason,
            {{"op", policy ? "delete-policy" : "delete-monitor"}, {"name", name}});
      if (st.ok()) st = policy ? c_.gate->DeletePolicy(name) : c_.monitors->Delete(name, caller);
    }
    if (st.ok()) resp->set_name(name);
    reactor->Finish(ToGrpc(st));
  });
  return reactor;
}

grpc::ServerUnaryReactor* PipelineServiceImpl::Rollback(grpc::CallbackServerContext* ctx,
                                                        const v1::RollbackRequest* req,
                                                        v1::RollbackResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("name", req->name()); !st.ok()) return Done(ctx, st);
  if (req->to_version() < 0)
    return Done(ctx,
                FieldError("to_version", "to_version must be >= 0 (0 = the previous version)"));
  auto* reactor = ctx->DefaultReactor();
  c_.executor->Post([this, r = *req, caller, resp, reactor] {
    auto res = c_.engine->Rollback(r.name(), r.to_version(), caller, r.reason());
    if (res.ok()) {
      resp->set_name(res->name);
      resp->set_version(res->version);
      resp->set_diff(res->diff);
    }
    reactor->Finish(ToGrpc(res.ok() ? Status::OK() : res.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* PipelineServiceImpl::History(grpc::CallbackServerContext* ctx,
                                                       const v1::HistoryRequest* req,
                                                       v1::HistoryResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("name", req->name()); !st.ok()) return Done(ctx, st);
  auto versions = c_.engine->Versions(req->name());
  if (!versions.ok()) return Done(ctx, ToGrpc(versions.status()));
  auto info = c_.engine->Get(req->name());
  for (const auto& v : versions.value()) {
    auto* out = resp->add_versions();
    out->set_version(v.version);
    out->set_created_ms(v.created_ms);
    out->set_created_by(v.created_by);
    out->set_current(info.ok() && info->version == v.version);
  }
  auto runs = c_.engine->Runs(req->name(), req->limit() > 0 ? req->limit() : 20);
  if (runs.ok())
    for (const auto& r : runs.value()) {
      auto* out = resp->add_runs();
      out->set_id(r.id);
      out->set_version(r.version);
      out->set_status(r.status);
      out->set_started_ms(r.started_ms);
      out->set_ended_ms(r.ended_ms);
      out->set_error(r.error);
    }
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PipelineServiceImpl::Audit(grpc::CallbackServerContext* ctx,
                                                     const v1::AuditRequest* req,
                                                     v1::AuditResponse* resp) {
  FLOWCTL_AUTHORIZE();
  store::AuditQuery q;
  q.target = req->target();
  q.caller = req->caller();
  q.action = req->action();
  q.since_ms = req->since_s() > 0 ? UnixMs() - req->since_s() * 1000 : 0;
  q.limit = req->limit() > 0 ? req->limit() : 100;
  auto entries = c_.engine->AuditLog(q);
  if (!entries.ok()) return Done(ctx, ToGrpc(entries.status()));
  for (const auto& e : entries.value()) {
    auto* out = resp->add_entries();
    out->set_id(e.id);
    out->set_time_ms(e.time_ms);
    out->set_caller(e.caller);
    out->set_action(e.action);
    out->set_target(e.target);
    out->set_arguments(e.arguments);
    out->set_result(e.result);
    out->set_reasoning(e.reasoning);
  }
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PipelineServiceImpl::ExplainDecision(
    grpc::CallbackServerContext* ctx, const v1::ExplainDecisionRequest* req,
    v1::ExplainDecisionResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("id", req->id()); !st.ok()) return Done(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  // Reads the decision logs in the state dir: not on a reactor thread.
  c_.executor->Post([this, id = req->id(), resp, reactor] {
    auto record = c_.engine->ExplainDecision(id);
    if (record.ok()) resp->set_record_json(record->dump());
    reactor->Finish(ToGrpc(record.ok() ? Status::OK() : record.status()));
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::PipelineStatus>* PipelineServiceImpl::Watch(
    grpc::CallbackServerContext* ctx, const v1::WatchRequest* req) {
  auto* writer = new QueueWriter<v1::PipelineStatus>();
  auto state = writer->state();
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) {
    QueueWriter<v1::PipelineStatus>::Close(state, st);
    return writer;
  }
  if (!req->name().empty()) {
    auto info = c_.engine->Get(req->name());
    if (!info.ok()) {
      QueueWriter<v1::PipelineStatus>::Close(state, ToGrpc(info.status()));
      return writer;
    }
  }
  int interval = req->interval_ms() > 0 ? std::max(100, req->interval_ms()) : 1000;
  c_.executor->Spawn([this, state, name = req->name(), interval] {
    using W = QueueWriter<v1::PipelineStatus>;
    while (W::Alive(state) && !c_.executor->stopping()) {
      std::vector<engine::PipelineInfo> infos;
      if (name.empty()) {
        infos = c_.engine->List();
      } else {
        auto info = c_.engine->Get(name);
        if (!info.ok()) {
          W::Close(state, ToGrpc(info.status()));
          return;
        }
        infos.push_back(std::move(info).value());
      }
      bool ended = !name.empty() && !infos.empty() && infos[0].state != "running";
      for (const auto& info : infos) {
        v1::PipelineStatus s;
        ToProto(info.snapshot, info.version, &s);
        s.set_name(info.name);
        s.set_state(info.state);
        W::Push(state, std::move(s));
      }
      if (ended) {
        W::Close(state, grpc::Status::OK);  // the pipeline is no longer running
        return;
      }
      for (int waited = 0; waited < interval && W::Alive(state) && !c_.executor->stopping();
           waited += 50)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    W::Close(state, grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
  });
  return writer;
}

grpc::ServerUnaryReactor* PipelineServiceImpl::ListMonitors(grpc::CallbackServerContext* ctx,
                                                            const v1::ListMonitorsRequest*,
                                                            v1::ListMonitorsResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (c_.monitors != nullptr)
    for (const auto& m : c_.monitors->List()) {
      auto* p = resp->add_monitors();
      p->set_name(m.name);
      p->set_version(m.version);
      for (const auto& t : m.spec.targets) p->add_targets(t);
      p->set_interval_s(m.spec.interval_s);
      for (const auto& pr : m.spec.predictions)
        p->add_algorithms(pr.type + "=" + pr.algorithm + " (" + pr.model + ")");
      p->set_last_run_ms(m.last_run_ms);
      for (const auto& w : m.watching) p->add_watching(w);
      for (const auto& a : m.alerts) {
        auto* x = p->add_alerts();
        x->set_monitor(a.monitor);
        x->set_pipeline(a.pipeline);
        x->set_kind(a.kind);
        x->set_node(a.node);
        x->set_title(a.title);
        x->set_score(a.score);
        x->set_eta_s(a.eta_s);
        x->set_time_ms(a.time_ms);
        x->set_actions_json(a.actions.dump());
      }
    }
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PipelineServiceImpl::ListApprovals(grpc::CallbackServerContext* ctx,
                                                             const v1::ListApprovalsRequest* req,
                                                             v1::ListApprovalsResponse* resp) {
  FLOWCTL_AUTHORIZE();
  if (c_.gate == nullptr) return Done(ctx, grpc::Status::OK);
  if (!req->id().empty()) {
    auto a = c_.gate->Get(req->id());
    if (!a.ok()) return Done(ctx, ToGrpc(a.status()));
    ToProto(a.value(), resp->add_approvals());
    return Done(ctx, grpc::Status::OK);
  }
  for (const auto& a : c_.gate->List()) ToProto(a, resp->add_approvals());
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PipelineServiceImpl::DecideApproval(grpc::CallbackServerContext* ctx,
                                                              const v1::DecideApprovalRequest* req,
                                                              v1::Approval* resp) {
  FLOWCTL_AUTHORIZE();
  if (auto st = Required("id", req->id()); !st.ok()) return Done(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  // An approval runs the held call, which may drain a run: not on a reactor.
  c_.executor->Post([this, r = *req, caller, resp, reactor] {
    auto a = c_.engine->DecideApproval(r.id(), caller, r.approve(), r.reason());
    if (a.ok()) ToProto(a.value(), resp);
    reactor->Finish(ToGrpc(a.ok() ? Status::OK() : a.status()));
  });
  return reactor;
}

}  // namespace flowctl::control
