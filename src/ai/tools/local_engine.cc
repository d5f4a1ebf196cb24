// LocalEngineApi: the agent tools over an in-process engine::Engine.
#include "flowctl/ai/engine_api.h"

namespace flowctl::ai {

ComponentInfo ToComponentInfo(const ComponentDescriptor& d) {
  return {d.type,     NodeKindName(d.kind), d.summary, d.description,
          d.keywords, d.config_schema,      d.example};
}

namespace {

class LocalEngine final : public EngineApi {
 public:
  explicit LocalEngine(engine::Engine* engine) : engine_(engine) {}

  Result<engine::ApplyResult> Apply(const engine::ApplyRequest& request,
                                    std::vector<Diagnostic>* diagnostics) override {
    return engine_->Apply(request, diagnostics);
  }
  Result<engine::ValidateResult> Validate(const std::string& yaml,
                                          const std::string& filename) override {
    return engine_->Validate(yaml, filename, {});
  }
  Result<std::vector<engine::PipelineInfo>> List() override { return engine_->List(); }
  Result<engine::PipelineInfo> Get(const std::string& name) override { return engine_->Get(name); }
  Status Stop(const std::string& name, const std::string& caller,
              const std::string& reason) override {
    return engine_->Stop(name, caller, reason);
  }
  Result<engine::ApplyResult> Rollback(const std::string& name, int to_version,
                                       const std::string& caller,
                                       const std::string& reason) override {
    return engine_->Rollback(name, to_version, caller, reason);
  }
  Result<std::vector<store::AuditRecord>> AuditLog(const std::string& target, int limit) override {
    return engine_->AuditLog(target, limit);
  }
  Result<std::vector<store::MetricPoint>> Metrics(const std::string& name, const std::string& node,
                                                  int64_t since_s) override {
    return engine_->Metrics(name, node, since_s);
  }
  Result<std::vector<store::ErrorGroup>> Errors(const std::string& name, const std::string& node,
                                                int64_t since_s) override {
    return engine_->Errors(name, node, since_s);
  }
  Result<std::vector<store::SchemaEpoch>> Schemas(const std::string& name, const std::string& node,
                                                  int64_t since_s) override {
    return engine_->Schemas(name, node, since_s);
  }
  Result<nlohmann::json> ExplainDecision(const std::string& id) override {
    return engine_->ExplainDecision(id);
  }
  Result<std::vector<governance::Approval>> Approvals(const std::string& id) override {
    const governance::Gate* gate = engine_->gate();
    if (gate == nullptr) return std::vector<governance::Approval>{};
    if (id.empty()) return gate->List();
    auto a = gate->Get(id);
    if (!a.ok()) return a.status();
    return std::vector<governance::Approval>{a.value()};
  }
  Result<governance::Approval> DecideApproval(const std::string& id, bool approve,
                                              const std::string& reason) override {
    // An in-process engine has no authenticated caller: the local operator.
    return engine_->DecideApproval(id, "local", approve, reason);
  }
  Result<nlohmann::json> AutoHealing(const std::string&, const std::string&) override {
    return Status(StatusCode::kFailedPrecondition,
                  "self-healing runs on the daemon: start `flowctl serve` and use "
                  "`flowctl mcp --server ADDR`");
  }
  Result<std::vector<store::PipelineVersion>> Versions(const std::string& name) override {
    return engine_->Versions(name);
  }
  Result<std::vector<ComponentInfo>> Components(const std::string& kind) override {
    std::vector<ComponentInfo> out;
    for (const auto* d : engine_->registry().List())
      if (kind.empty() || kind == NodeKindName(d->kind)) out.push_back(ToComponentInfo(*d));
    return out;
  }
  Result<ComponentInfo> DescribeComponent(const std::string& type,
                                          const std::string& kind) override {
    for (const auto* d : engine_->registry().FindAll(type))
      if (kind.empty() || kind == NodeKindName(d->kind)) return ToComponentInfo(*d);
    return Status::NotFound("no component type '" + type + "'; list_components lists them");
  }
  const Registry& registry() const override { return engine_->registry(); }

 private:
  engine::Engine* engine_;
};

}  // namespace

std::unique_ptr<EngineApi> LocalEngineApi(engine::Engine* engine) {
  return std::make_unique<LocalEngine>(engine);
}

}  // namespace flowctl::ai
