// EngineApi: what the agent tools and the MCP server need from an engine.
// Two implementations: LocalEngineApi (a thin adapter over an in-process
// engine::Engine, below) and the gRPC client of a running `flowctl serve`
// (src/cli/remote_engine.h; generated gRPC code stays out of ai/).
//
// Contract: implementations are thread-safe. Every call may fail with a
// Status (a remote daemon may be gone: kUnavailable with a message saying
// so); errors carry the message a model can act on. The caller arguments
// are advisory for remote implementations: a daemon records who called
// from its own authentication, not from what the client claims.
#ifndef FLOWCTL_AI_ENGINE_API_H_
#define FLOWCTL_AI_ENGINE_API_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowctl/base/status.h"
#include "flowctl/component/registry.h"
#include "flowctl/engine/engine.h"
#include "flowctl/spec/diagnostic.h"
#include "flowctl/store/store.h"

namespace flowctl::ai {

// One entry of the component catalog, as the tools show it.
struct ComponentInfo {
  std::string type;
  std::string kind;  // source, processor, sink
  std::string summary;
  std::string description;
  std::vector<std::string> keywords;
  nlohmann::json config_schema;
  std::string example;
};

class EngineApi {
 public:
  virtual ~EngineApi() = default;

  // Invalid documents: kInvalidArgument, *diagnostics filled.
  virtual Result<engine::ApplyResult> Apply(const engine::ApplyRequest& request,
                                            std::vector<Diagnostic>* diagnostics) = 0;
  virtual Result<engine::ValidateResult> Validate(const std::string& yaml,
                                                  const std::string& filename) = 0;
  // Without the documents (PipelineInfo::yaml stays empty).
  virtual Result<std::vector<engine::PipelineInfo>> List() = 0;
  // With the document and the current run's snapshot.
  virtual Result<engine::PipelineInfo> Get(const std::string& name) = 0;
  virtual Status Stop(const std::string& name, const std::string& caller,
                      const std::string& reason) = 0;
  virtual Result<engine::ApplyResult> Rollback(const std::string& name, int to_version,
                                               const std::string& caller,
                                               const std::string& reason) = 0;
  virtual Result<std::vector<store::AuditRecord>> AuditLog(const std::string& target,
                                                           int limit) = 0;
  virtual Result<nlohmann::json> ExplainDecision(const std::string& id) = 0;
  // The metric history of a pipeline over the last since_s seconds (node ""
  // = all nodes and the totals "*"); see store/metric_history.h.
  virtual Result<std::vector<store::MetricPoint>> Metrics(const std::string& name,
                                                          const std::string& node,
                                                          int64_t since_s) = 0;
  virtual Result<std::vector<store::ErrorGroup>> Errors(const std::string& name,
                                                        const std::string& node,
                                                        int64_t since_s) = 0;
  virtual Result<std::vector<store::SchemaEpoch>> Schemas(const std::string& name,
                                                          const std::string& node,
                                                          int64_t since_s) = 0;
  // The governance gate's approvals (id "" = all, newest first; none when
  // the engine has no gate), and a decision on one (the daemon checks who
  // may: the caller's principal, never what the client claims).
  virtual Result<std::vector<governance::Approval>> Approvals(const std::string& id) = 0;
  virtual Result<governance::Approval> DecideApproval(const std::string& id, bool approve,
                                                      const std::string& reason) = 0;
  // Self-healing of a pipeline (ai/healing.h, the daemon's EnableAutoHealing):
  // turn "on", "off", or "" to report. Healer::Describe's JSON.
  virtual Result<nlohmann::json> AutoHealing(const std::string& name, const std::string& turn) = 0;
  // The versions of a pipeline; over gRPC without their documents (yaml "").
  virtual Result<std::vector<store::PipelineVersion>> Versions(const std::string& name) = 0;

  // The catalog of the engine that runs the pipelines. kind "" = all.
  virtual Result<std::vector<ComponentInfo>> Components(const std::string& kind) = 0;
  // The first type of that name (of that kind, when kind is not "").
  virtual Result<ComponentInfo> DescribeComponent(const std::string& type,
                                                  const std::string& kind) = 0;
  // The registry the planner (create_pipeline) plans against.
  virtual const Registry& registry() const = 0;
};

// Adapts an in-process engine (borrowed: it must outlive the adapter).
std::unique_ptr<EngineApi> LocalEngineApi(engine::Engine* engine);

// A catalog entry from a registry descriptor.
ComponentInfo ToComponentInfo(const ComponentDescriptor& d);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_ENGINE_API_H_
