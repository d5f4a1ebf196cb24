// The governance gate: every action that changes a pipeline on the daemon,
// whoever asks (a person, an agent over gRPC or MCP, later a self-healing
// policy), is classified and checked against the applied
// AIGovernancePolicy documents. It is allowed, or held as a pending
// approval that a member of one of the rule's approver groups (not the
// requester; no agent when the rule wants a human) approves or denies
// before it expires. An approved action is run as it was asked, once.
//
// Policies are kept in DIR/policies/NAME.yaml and approvals in
// DIR/approvals/ID.json (written atomically), so both survive restarts.
//
// Contract: thread-safe (one mutex). Times are Unix ms from the clock given
// (tests pass a fake one).
#ifndef FLOWCTL_GOVERNANCE_GATE_H_
#define FLOWCTL_GOVERNANCE_GATE_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flowctl/base/status.h"
#include "flowctl/governance/identity.h"
#include "flowctl/spec/diagnostic.h"
#include "flowctl/spec/spec.h"

namespace flowctl::governance {

// An action asked for, classified.
struct Action {
  std::vector<std::string> kinds;              // GovernanceActions(), most specific first
  std::string pipeline;                        // or the policy/monitor name
  std::map<std::string, std::string> labels;   // the pipeline's (new and running, merged)
  std::string caller;                          // the principal's name
  std::optional<double> estimated_cost_per_h;  // unknown when not estimated
  std::optional<double> ai_confidence;         // set when an AI proposed it
  std::string reason;
  nlohmann::json request;  // what to run when approved (the engine's call)
};

struct Verdict {
  bool hold = false;
  std::string policy, action;  // the rule that holds it
  std::vector<std::string> approvers;
  bool human_confirmation = false;
  int64_t expires_s = 0;
  std::string why;  // which condition held, in words
};

struct Approval {
  std::string id;
  std::string state;  // pending, approved, denied, expired
  std::string action, pipeline, policy, why;
  std::string requested_by, reason;
  std::vector<std::string> approvers;
  bool human_confirmation = false;
  int64_t created_ms = 0, expires_ms = 0, decided_ms = 0;
  std::string decided_by, decision_reason;
  std::string result;  // after approval: "ok" or the error of running it
  nlohmann::json request;
};

nlohmann::json ToJson(const Approval& a);

class Gate {
 public:
  using Clock = std::function<int64_t()>;
  static Result<std::unique_ptr<Gate>> Open(const std::string& dir,
                                            std::shared_ptr<const Identities> identities,
                                            Clock clock = nullptr);

  // An AIGovernancePolicy document (checked like `flowctl validate`; errors
  // are kInvalidArgument with file:line in *diagnostics). Returns it, loaded.
  struct Applied {
    std::string name;
    GovernanceSpec spec;
  };
  Result<Applied> ApplyPolicy(const std::string& yaml, const std::string& filename, bool dry_run,
                              std::vector<Diagnostic>* diagnostics);
  bool HasPolicy(const std::string& name) const;
  bool HasPolicies() const;
  Status DeletePolicy(const std::string& name);
  std::vector<std::pair<std::string, GovernanceSpec>> Policies() const;
  // Whether yaml holds an AIGovernancePolicy document (cheap when not).
  static bool IsPolicy(const std::string& yaml);

  // The first rule of any policy that holds the action; hold=false: allowed.
  Verdict Evaluate(const Action& a) const;
  // A pending approval for an action the verdict holds.
  Result<Approval> Hold(const Action& a, const Verdict& v);
  // Newest first; pending ones past their time are reported expired.
  std::vector<Approval> List() const;
  Result<Approval> Get(const std::string& id) const;
  // Approve or deny: who must be a principal in one of the approver groups,
  // not the requester, and not an agent when a human is required; the
  // approval must be pending. kPermissionDenied / kFailedPrecondition say
  // which rule refused it.
  Result<Approval> Decide(const std::string& id, const std::string& who, bool approve,
                          const std::string& reason);
  // After an approved action ran: what it gave.
  Status Record(const std::string& id, const std::string& result);
  // The shortest audit retention of the policies (0: none applied).
  int64_t RetentionS() const;

  const Identities& identities() const { return *identities_; }

 private:
  Gate(std::string dir, std::shared_ptr<const Identities> ids, Clock clock);
  Status Save(const Approval& a) const;
  Approval Current(Approval a) const;  // expired when past its time

  const std::string dir_;
  std::shared_ptr<const Identities> identities_;
  Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, GovernanceSpec>> policies_;  // name -> yaml, spec
  std::map<std::string, Approval> approvals_;
  int64_t next_id_ = 1;
};

}  // namespace flowctl::governance

#endif  // FLOWCTL_GOVERNANCE_GATE_H_
