#include "flowctl/governance/gate.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flowctl/base/strings.h"
#include "flowctl/config/loader.h"

namespace flowctl::governance {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status WriteAtomic(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::Internal("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::Internal("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::OK();
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ConditionHolds(const ApprovalCondition& c, const Action& a) {
  if (c.kind == "estimated_cost") {
    if (!a.estimated_cost_per_h) return false;
    double v = *a.estimated_cost_per_h;
    if (c.op == ">") return v > c.amount;
    if (c.op == ">=") return v >= c.amount;
    if (c.op == "<") return v < c.amount;
    return v <= c.amount;
  }
  auto it = a.labels.find(c.label);
  return it != a.labels.end() && it->second == c.value;
}

Approval FromJson(const json& j) {
  Approval a;
  a.id = j.value("id", "");
  a.state = j.value("state", "");
  a.action = j.value("action", "");
  a.pipeline = j.value("pipeline", "");
  a.policy = j.value("policy", "");
  a.why = j.value("why", "");
  a.requested_by = j.value("requested_by", "");
  a.reason = j.value("reason", "");
  a.approvers = j.value("approvers", std::vector<std::string>{});
  a.human_confirmation = j.value("human_confirmation", false);
  a.created_ms = j.value("created_ms", int64_t{0});
  a.expires_ms = j.value("expires_ms", int64_t{0});
  a.decided_ms = j.value("decided_ms", int64_t{0});
  a.decided_by = j.value("decided_by", "");
  a.decision_reason = j.value("decision_reason", "");
  a.result = j.value("result", "");
  a.request = j.value("request", json::object());
  return a;
}

}  // namespace

json ToJson(const Approval& a) {
  return {{"id", a.id},
          {"state", a.state},
          {"action", a.action},
          {"pipeline", a.pipeline},
          {"policy", a.policy},
          {"why", a.why},
          {"requested_by", a.requested_by},
          {"reason", a.reason},
          {"approvers", a.approvers},
          {"human_confirmation", a.human_confirmation},
          {"created_ms", a.created_ms},
          {"expires_ms", a.expires_ms},
          {"decided_ms", a.decided_ms},
          {"decided_by", a.decided_by},
          {"decision_reason", a.decision_reason},
          {"result", a.result},
          {"request", a.request}};
}

Gate::Gate(std::string dir, std::shared_ptr<const Identities> ids, Clock clock)
    : dir_(std::move(dir)), identities_(std::move(ids)), clock_(std::move(clock)) {
  if (!clock_) clock_ = NowMs;
  if (!identities_) identities_ = std::make_shared<Identities>();
}

Result<std::unique_ptr<Gate>> Gate::Open(const std::string& dir,
                                         std::shared_ptr<const Identities> identities,
                                         Clock clock) {
  std::unique_ptr<Gate> g(new Gate(dir, std::move(identities), std::move(clock)));
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "policies", ec);
  fs::create_directories(fs::path(dir) / "approvals", ec);
  if (ec) return Status::Internal("cannot create " + dir + ": " + ec.message());
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "policies")) {
    if (e.path().extension() != ".yaml") continue;
    std::vector<Diagnostic> diags;
    std::string yaml = ReadAll(e.path());
    auto r = config::LoadString(yaml, e.path().string(), config::LoadOptions{});
    if (!r.ok() || r.documents.size() != 1)
      return Status::Invalid("the kept policy " + e.path().string() +
                             " no longer loads; move it away to start");
    g->policies_[r.documents[0].metadata.name] = {yaml, r.documents[0].governance};
  }
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "approvals")) {
    if (e.path().extension() != ".json") continue;
    json j = json::parse(ReadAll(e.path()), nullptr, false);
    if (!j.is_object()) continue;  // a torn write of an older version: skipped
    Approval a = FromJson(j);
    if (a.id.empty()) continue;
    int64_t n = std::atoll(a.id.c_str() + (a.id.rfind('-') + 1));
    g->next_id_ = std::max(g->next_id_, n + 1);
    g->approvals_[a.id] = std::move(a);
  }
  return g;
}

bool Gate::IsPolicy(const std::string& yaml) {
  if (yaml.find("AIGovernancePolicy") == std::string::npos) return false;
  auto r = config::LoadString(yaml, "<policy>", config::LoadOptions{});
  for (const auto& d : r.documents)
    if (d.kind == "AIGovernancePolicy") return true;
  return false;
}

Result<Gate::Applied> Gate::ApplyPolicy(const std::string& yaml, const std::string& filename,
                                        bool dry_run, std::vector<Diagnostic>* diagnostics) {
  config::LoadOptions lo;
  lo.template_files = false;
  auto r = config::LoadString(yaml, filename, lo);
  *diagnostics = r.diagnostics;
  if (!r.ok()) return Status::Invalid("the policy is invalid");
  if (r.documents.size() != 1 || r.documents[0].kind != "AIGovernancePolicy")
    return Status::Invalid("apply one AIGovernancePolicy document at a time");
  const Document& d = r.documents[0];
  Applied out{d.metadata.name, d.governance};
  if (dry_run) return out;
  std::lock_guard<std::mutex> lk(mu_);
  Status st = WriteAtomic(fs::path(dir_) / "policies" / (d.metadata.name + ".yaml"), yaml);
  if (!st.ok()) return st;
  policies_[d.metadata.name] = {yaml, d.governance};
  return out;
}

bool Gate::HasPolicies() const {
  std::lock_guard<std::mutex> lk(mu_);
  return !policies_.empty();
}

bool Gate::HasPolicy(const std::string& name) const {
  std::lock_guard<std::mutex> lk(mu_);
  return policies_.count(name) > 0;
}

Status Gate::DeletePolicy(const std::string& name) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!policies_.erase(name)) return Status::NotFound("no AIGovernancePolicy '" + name + "'");
  std::error_code ec;
  fs::remove(fs::path(dir_) / "policies" / (name + ".yaml"), ec);
  return Status::OK();
}

std::vector<std::pair<std::string, GovernanceSpec>> Gate::Policies() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<std::pair<std::string, GovernanceSpec>> out;
  for (const auto& [name, p] : policies_) out.emplace_back(name, p.second);
  return out;
}

Verdict Gate::Evaluate(const Action& a) const {
  std::lock_guard<std::mutex> lk(mu_);
  for (const auto& kind : a.kinds)
    for (const auto& [name, p] : policies_)
      for (const auto& rule : p.second.approval_required) {
        if (rule.action != kind) continue;
        std::string why = rule.action;
        if (!rule.conditions.empty()) {
          const ApprovalCondition* held = nullptr;
          for (const auto& c : rule.conditions)
            if (ConditionHolds(c, a)) {
              held = &c;
              break;
            }
          if (held == nullptr) continue;
          why += " with " + held->text;
          if (held->kind == "estimated_cost" && a.estimated_cost_per_h) {
            char buf[64];
            std::snprintf(buf, sizeof buf, " (estimated $%.2f/hour)", *a.estimated_cost_per_h);
            why += buf;
          }
        }
        if (rule.ai_confidence_threshold >= 0 && a.ai_confidence &&
            *a.ai_confidence >= rule.ai_confidence_threshold)
          continue;  // confident enough to proceed under this rule
        if (rule.ai_confidence_threshold >= 0 && a.ai_confidence) {
          char buf[96];
          std::snprintf(buf, sizeof buf, " (AI confidence %.2f < %.2f)", *a.ai_confidence,
                        rule.ai_confidence_threshold);
          why += buf;
        }
        Verdict v;
        v.hold = true;
        v.policy = name;
        v.action = rule.action;
        v.approvers = rule.approvers;
        v.human_confirmation = rule.human_confirmation;
        v.expires_s = rule.expires_s;
        v.why = why;
        return v;
      }
  return Verdict{};
}

Status Gate::Save(const Approval& a) const {
  return WriteAtomic(fs::path(dir_) / "approvals" / (a.id + ".json"), ToJson(a).dump(2));
}

Approval Gate::Current(Approval a) const {
  if (a.state == "pending" && clock_() >= a.expires_ms) a.state = "expired";
  return a;
}

Result<Approval> Gate::Hold(const Action& act, const Verdict& v) {
  std::lock_guard<std::mutex> lk(mu_);
  Approval a;
  a.id = "apr-" + std::to_string(next_id_++);
  a.state = "pending";
  a.action = v.action;
  a.pipeline = act.pipeline;
  a.policy = v.policy;
  a.why = v.why;
  a.requested_by = act.caller;
  a.reason = act.reason;
  a.approvers = v.approvers;
  a.human_confirmation = v.human_confirmation;
  a.created_ms = clock_();
  a.expires_ms = a.created_ms + v.expires_s * 1000;
  a.request = act.request;
  if (Status st = Save(a); !st.ok()) return st;
  approvals_[a.id] = a;
  return a;
}

std::vector<Approval> Gate::List() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<Approval> out;
  for (const auto& [id, a] : approvals_) out.push_back(Current(a));
  std::sort(out.begin(), out.end(),
            [](const Approval& x, const Approval& y) { return x.created_ms > y.created_ms; });
  return out;
}

Result<Approval> Gate::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = approvals_.find(id);
  if (it == approvals_.end()) return Status::NotFound("no approval '" + id + "'");
  return Current(it->second);
}

Result<Approval> Gate::Decide(const std::string& id, const std::string& who, bool approve,
                              const std::string& reason) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = approvals_.find(id);
  if (it == approvals_.end()) return Status::NotFound("no approval '" + id + "'");
  Approval a = Current(it->second);
  if (a.state != "pending")
    return Status(StatusCode::kFailedPrecondition, id + " is " + a.state + ", not pending");
  if (who == a.requested_by)
    return Status(StatusCode::kPermissionDenied,
                  who + " asked for " + id + ": nobody approves or denies their own request");
  std::optional<Principal> p = identities_->Find(who);
  if (!p)
    return Status(StatusCode::kPermissionDenied,
                  "'" + who + "' is not a principal of the daemon's auth file");
  bool member = false;
  for (const auto& g : a.approvers) member = member || p->InGroup(g);
  if (!member)
    return Status(StatusCode::kPermissionDenied, who + " is in none of the approver groups of " +
                                                     id + ": " + Join(a.approvers, ", "));
  if (a.human_confirmation && p->agent)
    return Status(StatusCode::kPermissionDenied,
                  id + " needs a human's confirmation; " + who + " is an agent");
  a.state = approve ? "approved" : "denied";
  a.decided_ms = clock_();
  a.decided_by = who;
  a.decision_reason = reason;
  if (Status st = Save(a); !st.ok()) return st;
  it->second = a;
  return a;
}

Status Gate::Record(const std::string& id, const std::string& result) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = approvals_.find(id);
  if (it == approvals_.end()) return Status::NotFound("no approval '" + id + "'");
  it->second.result = result;
  return Save(it->second);
}

int64_t Gate::RetentionS() const {
  std::lock_guard<std::mutex> lk(mu_);
  int64_t r = 0;
  for (const auto& [name, p] : policies_)
    if (r == 0 || p.second.retention_s < r) r = p.second.retention_s;
  return r;
}

}  // namespace flowctl::governance
