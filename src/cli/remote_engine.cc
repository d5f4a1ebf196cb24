#include "remote_engine.h"

#include "client.h"
#include "flowctl/control/metrics_proto.h"
#include "flowctl/data/json_bounded.h"

namespace flowctl::cli {

namespace {

constexpr int kConnectS = 2;  // how long a call waits for a daemon to accept
constexpr int kCallS = 30;
constexpr int kDrainS = 300;  // apply, stop and rollback drain a run first

StatusCode FromGrpcCode(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return StatusCode::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND:
      return StatusCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
      return StatusCode::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return StatusCode::kFailedPrecondition;
    case grpc::StatusCode::UNAVAILABLE:
      return StatusCode::kUnavailable;
    case grpc::StatusCode::UNIMPLEMENTED:
      return StatusCode::kUnimplemented;
    case grpc::StatusCode::CANCELLED:
      return StatusCode::kCancelled;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return StatusCode::kDeadlineExceeded;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return StatusCode::kResourceExhausted;
    case grpc::StatusCode::UNAUTHENTICATED:
      return StatusCode::kFailedPrecondition;
    case grpc::StatusCode::PERMISSION_DENIED:
      return StatusCode::kPermissionDenied;
    case grpc::StatusCode::ABORTED:
      return StatusCode::kPendingApproval;
    default:
      return StatusCode::kInternal;
  }
}

Diagnostic FromProto(const v1::ErrorDetail& e) {
  Diagnostic d;
  d.severity = e.severity() == "error"     ? Diagnostic::Severity::kError
               : e.severity() == "warning" ? Diagnostic::Severity::kWarning
                                           : Diagnostic::Severity::kNote;
  d.message = e.message();
  d.mark.file = e.file();
  d.mark.line = e.line();
  d.mark.column = e.column();
  d.node_id = e.node_id();
  d.hint = e.hint();
  return d;
}

// The daemon's error as a Status. Document errors also go to *diagnostics;
// the daemon appended the first of them to its message (control/convert.cc),
// which is cut here so that callers listing the diagnostics do not repeat it.
Status FromGrpc(const grpc::Status& st, const std::string& addr,
                std::vector<Diagnostic>* diagnostics = nullptr) {
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE)
    return Status(StatusCode::kUnavailable,
                  NoServerMessage(addr) + " (" + st.error_message() + ")");
  std::string message = st.error_message();
  v1::ErrorDetails details;
  if (diagnostics && DecodeErrorDetails(st, &details)) {
    bool first = true;
    for (const auto& e : details.errors()) {
      Diagnostic d = FromProto(e);
      if (first && d.severity == Diagnostic::Severity::kError) {
        first = false;
        size_t at = message.find(": " + d.ToString());
        if (at != std::string::npos) message.resize(at);
      }
      diagnostics->push_back(std::move(d));
    }
  }
  return Status(FromGrpcCode(st.error_code()), message);
}

RunSnapshot FromProto(const v1::PipelineStatus& s) {
  RunSnapshot out;
  out.pipeline = s.name();
  out.state = s.state();
  out.error = s.error();
  out.elapsed_s = s.elapsed_s();
  for (const auto& m : s.nodes()) {
    NodeSnapshot n;
    n.id = m.id();
    n.type = m.type();
    n.kind = m.kind();
    n.concurrency = m.concurrency();
    n.in = m.in();
    n.out = m.out();
    n.dropped = m.dropped();
    n.errors = m.errors();
    n.dead_lettered = m.dead_lettered();
    n.retries = m.retries();
    n.p50_us = m.p50_us();
    n.p90_us = m.p90_us();
    n.p99_us = m.p99_us();
    n.queue_depth = m.queue_depth();
    n.queue_capacity = m.queue_capacity();
    n.busy_ms = m.busy_ms();
    for (const auto& [k, v] : m.counters()) n.counters.emplace_back(k, v);
    out.nodes.push_back(std::move(n));
  }
  return out;
}

ai::ComponentInfo FromProto(const v1::ComponentInfo& c) {
  ai::ComponentInfo out;
  out.type = c.type();
  out.kind = c.kind();
  out.summary = c.summary();
  out.description = c.description();
  out.keywords.assign(c.keywords().begin(), c.keywords().end());
  out.config_schema = ParseJsonBoundedOrDiscarded(c.config_schema_json());
  if (out.config_schema.is_discarded()) out.config_schema = nlohmann::json::object();
  out.example = c.example_yaml();
  return out;
}

governance::Approval FromProto(const v1::Approval& p) {
  governance::Approval a;
  a.id = p.id();
  a.state = p.state();
  a.action = p.action();
  a.pipeline = p.pipeline();
  a.policy = p.policy();
  a.why = p.why();
  a.requested_by = p.requested_by();
  a.reason = p.reason();
  a.approvers.assign(p.approvers().begin(), p.approvers().end());
  a.human_confirmation = p.human_confirmation();
  a.created_ms = p.created_ms();
  a.expires_ms = p.expires_ms();
  a.decided_ms = p.decided_ms();
  a.decided_by = p.decided_by();
  a.decision_reason = p.decision_reason();
  a.result = p.result();
  return a;
}

class RemoteEngine final : public ai::EngineApi {
 public:
  explicit RemoteEngine(const RemoteOptions& r) : client_(r) {
    // create_pipeline plans against a registry in this process. The daemon
    // is the same binary, so its built-ins are these; the planner's yaml is
    // then previewed (validated) by the daemon itself.
    RegisterBuiltins(registry_);
  }

  Result<engine::ApplyResult> Apply(const engine::ApplyRequest& request,
                                    std::vector<Diagnostic>* diagnostics) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::ApplyRequest req;
    req.set_yaml(request.yaml);
    req.set_filename(request.filename);
    req.set_dry_run(request.dry_run);
    req.set_reason(request.reason);
    for (const auto& [k, v] : request.vars) (*req.mutable_vars())[k] = v;
    for (const auto& [k, v] : request.sets) req.add_sets(k + "=" + v);
    if (!request.params.empty())
      return Status::Invalid("template parameters are not sent over --server");
    v1::ApplyResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kDrainS);
    grpc::Status st = client_.stub().Apply(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address(), diagnostics);
    engine::ApplyResult out;
    out.name = resp.name();
    out.version = resp.version();
    out.dry_run = resp.dry_run();
    out.unchanged = resp.unchanged();
    out.plan = resp.plan();
    out.diff = resp.diff();
    out.state = resp.state();
    for (const auto& w : resp.warnings()) out.diagnostics.push_back(FromProto(w));
    return out;
  }

  Result<engine::ValidateResult> Validate(const std::string& yaml,
                                          const std::string& filename) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::ValidateRequest req;
    req.set_yaml(yaml);
    req.set_filename(filename);
    v1::ValidateResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.stub().Validate(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    engine::ValidateResult out;
    out.valid = resp.valid();
    for (const auto& d : resp.diagnostics()) out.diagnostics.push_back(FromProto(d));
    out.pipelines.assign(resp.pipelines().begin(), resp.pipelines().end());
    return out;
  }

  Result<std::vector<engine::PipelineInfo>> List() override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::ListPipelinesResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.stub().List(&ctx, v1::ListPipelinesRequest(), &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    std::vector<engine::PipelineInfo> out;
    for (const auto& p : resp.pipelines()) {
      engine::PipelineInfo info;
      info.name = p.name();
      info.version = p.version();
      info.state = p.state();
      info.desired_state = p.desired_state();
      info.snapshot.pipeline = p.name();
      info.snapshot.state = p.state();
      info.snapshot.elapsed_s = p.uptime_s();
      out.push_back(std::move(info));
    }
    return out;
  }

  Result<engine::PipelineInfo> Get(const std::string& name) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::GetPipelineRequest req;
    req.set_name(name);
    v1::PipelineDetail resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.stub().Get(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    engine::PipelineInfo info;
    info.name = resp.summary().name();
    info.version = resp.summary().version();
    info.state = resp.summary().state();
    info.desired_state = resp.summary().desired_state();
    info.yaml = resp.yaml();
    info.snapshot = FromProto(resp.status());
    return info;
  }

  Status Stop(const std::string& name, const std::string& /*caller*/,
              const std::string& reason) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::StopRequest req;
    req.set_name(name);
    req.set_reason(reason);
    v1::StopResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kDrainS);
    grpc::Status st = client_.stub().Stop(&ctx, req, &resp);
    return st.ok() ? Status::OK() : FromGrpc(st, client_.address());
  }

  Result<engine::ApplyResult> Rollback(const std::string& name, int to_version,
                                       const std::string& /*caller*/,
                                       const std::string& reason) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::RollbackRequest req;
    req.set_name(name);
    req.set_to_version(to_version);
    req.set_reason(reason);
    v1::RollbackResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kDrainS);
    grpc::Status st = client_.stub().Rollback(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    engine::ApplyResult out;
    out.name = resp.name();
    out.version = resp.version();
    out.diff = resp.diff();
    return out;
  }

  Result<std::vector<store::AuditRecord>> AuditLog(const std::string& target, int limit) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::AuditRequest req;
    req.set_target(target);
    req.set_limit(limit);
    v1::AuditResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.stub().Audit(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    std::vector<store::AuditRecord> out;
    for (const auto& e : resp.entries())
      out.push_back({e.id(), e.time_ms(), e.caller(), e.action(), e.target(), e.arguments(),
                     e.result(), e.reasoning()});
    return out;
  }

  Result<std::vector<governance::Approval>> Approvals(const std::string& id) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::ListApprovalsRequest req;
    req.set_id(id);
    v1::ListApprovalsResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.stub().ListApprovals(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    std::vector<governance::Approval> out;
    for (const auto& a : resp.approvals()) out.push_back(FromProto(a));
    return out;
  }

  Result<governance::Approval> DecideApproval(const std::string& id, bool approve,
                                              const std::string& reason) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::DecideApprovalRequest req;
    req.set_id(id);
    req.set_approve(approve);
    req.set_reason(reason);
    v1::Approval resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kDrainS);  // approving runs the held call
    grpc::Status st = client_.stub().DecideApproval(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    return FromProto(resp);
  }

  Result<nlohmann::json> AutoHealing(const std::string& name, const std::string& turn) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    ::ai::obsrvr::flowctl::AutoHealingConfig req;
    req.set_pipeline_id(name);
    req.set_enabled(turn == "on");
    req.set_status_only(turn.empty());
    ::ai::obsrvr::flowctl::AutoHealingStatus resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.agents().EnableAutoHealing(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    return nlohmann::json::parse(resp.details_json(), nullptr, false);
  }

  Result<std::vector<store::PipelineVersion>> Versions(const std::string& name) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::HistoryRequest req;
    req.set_name(name);
    v1::HistoryResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.stub().History(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    // History carries no documents: callers get empty yaml.
    std::vector<store::PipelineVersion> out;
    for (const auto& v : resp.versions())
      out.push_back({name, v.version(), "", v.created_by(), v.created_ms()});
    return out;
  }

  Result<nlohmann::json> ExplainDecision(const std::string& id) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::ExplainDecisionRequest req;
    req.set_id(id);
    v1::ExplainDecisionResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.stub().ExplainDecision(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    nlohmann::json record = ParseJsonBoundedOrDiscarded(resp.record_json());
    if (record.is_discarded()) return Status::Internal("the daemon sent a record that is not JSON");
    return record;
  }

  Result<std::vector<store::MetricPoint>> Metrics(const std::string& name, const std::string& node,
                                                  int64_t since_s) override {
    auto resp = History(name, node, since_s, false);
    if (!resp.ok()) return resp.status();
    return control::PointsFromProto(resp.value());
  }

  Result<std::vector<store::ErrorGroup>> Errors(const std::string& name, const std::string& node,
                                                int64_t since_s) override {
    auto resp = History(name, node, since_s, true);
    if (!resp.ok()) return resp.status();
    return control::ErrorsFromProto(resp.value());
  }

  Result<std::vector<store::SchemaEpoch>> Schemas(const std::string& name, const std::string& node,
                                                  int64_t since_s) override {
    auto resp = History(name, node, since_s, false, true);
    if (!resp.ok()) return resp.status();
    return control::SchemasFromProto(resp.value());
  }

  Result<std::vector<ai::ComponentInfo>> Components(const std::string& kind) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::ListComponentsRequest req;
    req.set_kind(kind);
    v1::ListComponentsResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.components().List(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    std::vector<ai::ComponentInfo> out;
    for (const auto& c : resp.components()) out.push_back(FromProto(c));
    return out;
  }

  Result<ai::ComponentInfo> DescribeComponent(const std::string& type,
                                              const std::string& kind) override {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::DescribeComponentRequest req;
    req.set_type(type);
    req.set_kind(kind);
    v1::ComponentInfo resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.components().Describe(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    return FromProto(resp);
  }

  const Registry& registry() const override { return registry_; }

 private:
  // One MetricHistory call: the series, the error groups or the schema epochs.
  Result<v1::MetricHistoryResponse> History(const std::string& name, const std::string& node,
                                            int64_t since_s, bool errors, bool schemas = false) {
    if (Status st = client_.Ready(kConnectS); !st.ok()) return st;
    v1::MetricHistoryRequest req;
    req.set_name(name);
    req.set_node(node);
    req.set_since(std::to_string(since_s) + "s");
    req.set_errors(errors);
    req.set_schemas(schemas);
    v1::MetricHistoryResponse resp;
    grpc::ClientContext ctx;
    client_.Prepare(&ctx, kCallS);
    grpc::Status st = client_.stub().MetricHistory(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, client_.address());
    return resp;
  }

  Client client_;
  Registry registry_;
};

}  // namespace

std::unique_ptr<ai::EngineApi> RemoteEngineApi(const RemoteOptions& r) {
  return std::make_unique<RemoteEngine>(r);
}

}  // namespace flowctl::cli
