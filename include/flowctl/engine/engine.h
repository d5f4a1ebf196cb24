// The engine: owns the registry, the store and the running pipelines, and is
// the only way the control plane, the CLI and (later) the AI layer change
// anything. Every mutating call is versioned in the store and audited.
//
// Contract: all methods are thread-safe. Mutations of one engine are
// serialized (one mutex); they may block while an old run drains (Stop,
// Apply of a new version). Status/Result errors carry what went wrong;
// invalid documents come back as Diagnostics with file:line:col.
#ifndef FLOWCTL_ENGINE_ENGINE_H_
#define FLOWCTL_ENGINE_ENGINE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "flowctl/base/sandbox.h"
#include "flowctl/base/status.h"
#include "flowctl/component/registry.h"
#include "flowctl/governance/gate.h"
#include "flowctl/runtime/metrics.h"
#include "flowctl/spec/diagnostic.h"
#include "flowctl/store/metric_history.h"
#include "flowctl/store/store.h"

namespace flowctl::engine {

struct EngineOptions {
  // Holds flowctl.db and checkpoints/. Empty: an in-memory store and no
  // checkpoints (state is lost on exit).
  std::string state_dir;
  int workers = 0;  // per pipeline; 0 = hardware threads
  // Restart pipelines whose desired state is running (daemon start-up).
  bool recover = true;
  // Who owns the state dir while this engine lives (its lock file says so):
  // "serve", "mcp", "apply". Open fails with kAlreadyExists, naming the
  // other owner, when the state dir is taken (store/state_lock.h).
  std::string owner = "serve";
  // A pipeline that crashed the process this many times in a row (a fatal
  // signal on one of its workers, runtime/crash.h) is not resumed at start:
  // its desired state becomes "quarantined" until it is applied again.
  int quarantine_after = 3;
  // The file sandbox (data roots) of documents that come from remote
  // clients and agents: checked at validate and apply (ApplyRequest::sandbox),
  // rollback and recovery, and again when the nodes open their files.
  // Null = no sandbox (an engine embedded in a person's own command).
  std::shared_ptr<const Sandbox> sandbox;
  // The governance gate (the daemon's): Apply, Stop, Delete and Rollback
  // ask it first; an action a policy holds is kept as a pending approval
  // and the call returns kPendingApproval naming it. Null: no governance.
  std::shared_ptr<governance::Gate> gate;
  // The model cost of a pipeline in USD/hour, for `estimated-cost`
  // conditions (set by the daemon from ai/optimize.h; null: unknown).
  std::function<double(const PipelineSpec&)> estimate_cost_per_h;
};

struct ApplyRequest {
  std::string yaml;
  std::string filename = "<request>";
  std::map<std::string, std::string> vars;
  std::vector<std::pair<std::string, std::string>> sets;
  // PipelineTemplate parameter values (--param NAME=VALUE).
  std::vector<std::pair<std::string, std::string>> params;
  bool dry_run = false;
  std::string caller = "cli";
  std::string reason;
  // ${VAR} may come from this process's environment (a foreground apply);
  // a daemon never uses its own environment for callers' documents.
  bool use_env = false;
  // Confine the document's files to EngineOptions::sandbox (when the engine
  // has one). Only a person's own foreground apply sets false.
  bool sandbox = true;
  // What else this change is, for the governance gate (e.g. "scale" from
  // the autoscaler): rules for these classes are looked at first.
  std::vector<std::string> actions;
};

struct ApplyResult {
  std::string name;
  int version = 0;
  bool dry_run = false;
  bool unchanged = false;
  std::string plan;  // text
  std::string diff;  // unified diff against the current version
  std::string state;
  std::vector<Diagnostic> diagnostics;  // warnings (errors make the call fail)
};

struct ValidateResult {
  bool valid = false;
  std::vector<Diagnostic> diagnostics;
  std::vector<std::string> pipelines;
};

struct PipelineInfo {
  std::string name;
  int version = 0;
  std::string state;          // running, succeeded, failed, cancelled, stopped
  std::string desired_state;  // running, stopped
  std::string yaml;
  RunSnapshot snapshot;  // nodes empty when it never ran here
};

class Engine {
 public:
  ~Engine();
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  // Records the control plane's address in the state dir's lock file, so
  // that `flowctl get/status/mcp` on the same state dir can find it.
  void SetControlAddress(const std::string& address);

  // Invalid documents: Status kInvalidArgument, *diagnostics filled.
  Result<ApplyResult> Apply(const ApplyRequest& request, std::vector<Diagnostic>* diagnostics);
  ValidateResult Validate(const std::string& yaml, const std::string& filename,
                          const std::map<std::string, std::string>& vars) const;
  // Without the documents (PipelineInfo::yaml stays empty).
  std::vector<PipelineInfo> List() const;
  Result<PipelineInfo> Get(const std::string& name) const;
  // Drains in-flight events, then stops. Desired state becomes stopped.
  Status Stop(const std::string& name, const std::string& caller, const std::string& reason);
  Status Delete(const std::string& name, const std::string& caller, const std::string& reason);
  // to_version 0 = the version before the current one. actions: classes
  // the gate sees before "rollback" (a self-healing policy's own).
  Result<ApplyResult> Rollback(const std::string& name, int to_version, const std::string& caller,
                               const std::string& reason,
                               const std::vector<std::string>& actions = {});
  // Stops the running version (draining, checkpointed) and starts it again
  // from its document: every node instance is rebuilt. actions: the gate's
  // classes ({"stop"} when empty).
  Status Restart(const std::string& name, const std::string& caller, const std::string& reason,
                 const std::vector<std::string>& actions = {});
  Result<std::vector<store::PipelineVersion>> Versions(const std::string& name) const;
  Result<std::vector<store::RunRecord>> Runs(const std::string& name, int limit) const;
  Result<std::vector<store::AuditRecord>> AuditLog(const std::string& target, int limit) const;
  Result<std::vector<store::AuditRecord>> AuditLog(const store::AuditQuery& query) const;
  // Deletes audit records past the governance policies' retention (the
  // shortest; nothing without a policy). The daemon runs it every minute.
  Result<int> PruneAudit();
  // Records an action taken outside the engine's own calls (e.g. a plan).
  Status Audit(const store::AuditRecord& record);

  // The metric history of a pipeline (store/metric_history.h) over the last
  // since_s seconds; node "" = every node and the pipeline totals ("*").
  Result<std::vector<store::MetricPoint>> Metrics(const std::string& name, const std::string& node,
                                                  int64_t since_s) const;
  // Its failures grouped by message template, seen in the last since_s.
  Result<std::vector<store::ErrorGroup>> Errors(const std::string& name, const std::string& node,
                                                int64_t since_s) const;
  // Its sources' schema epochs that reach into the last since_s.
  Result<std::vector<store::SchemaEpoch>> Schemas(const std::string& name, const std::string& node,
                                                  int64_t since_s) const;

  // The record of one AI/ML decision made by a pipeline of this engine
  // (kNotFound when it rotated out or this engine keeps no state dir).
  Result<nlohmann::json> ExplainDecision(const std::string& id) const;

  const Registry& registry() const;
  // Approves or denies a pending approval (governance/gate.h checks who may);
  // an approval runs the held call as its requester asked it, once, and
  // the approval keeps its result. Audited as "approve"/"deny".
  Result<governance::Approval> DecideApproval(const std::string& id, const std::string& who,
                                              bool approve, const std::string& reason);
  const governance::Gate* gate() const;
  // What an approved request with {"op": op} runs, for requests the engine
  // does not own (e.g. the control plane's "delete-monitor"); registered
  // at start-up, before any approval is decided.
  void OnApproved(const std::string& op, std::function<Status(const governance::Approval&)> run);
  // The gate for actions on things the engine does not own (policies,
  // monitors): OK, or kPendingApproval naming the approval.
  Status Govern(const std::vector<std::string>& kinds, const std::string& name,
                const std::string& caller, const std::string& reason,
                const nlohmann::json& request);

  // Stops every pipeline (draining) and the supervisor. Desired states stay
  // as they are, so a restart brings the same pipelines back.
  void Shutdown();

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A small unified diff of two texts (for apply --dry-run and rollback).
std::string UnifiedDiff(const std::string& before, const std::string& after,
                        const std::string& before_name, const std::string& after_name);

}  // namespace flowctl::engine

#endif  // FLOWCTL_ENGINE_ENGINE_H_
