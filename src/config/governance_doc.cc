// kind: AIGovernancePolicy documents: approval rules and audit settings,
// checked with file:line on every problem (the gate that enforces them is
// governance/gate.h).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "flowctl/base/strings.h"
#include "internal.h"

namespace flowctl::config::internal {
namespace {

const std::vector<std::string> kGovSpecKeys = {"approval_required", "audit"};
const std::vector<std::string> kGovRuleKeys = {
    "action",     "approvers",          "ai_confidence_threshold",
    "conditions", "human_confirmation", "expires"};
const std::vector<std::string> kGovAuditKeys = {"log_all_actions", "include_reasoning",
                                                "retention"};
const std::vector<std::string> kGovConditionKinds = {"estimated_cost", "data_sensitivity", "label"};

std::optional<bool> ReadGovBool(const Entry& e, Reporter& r, const char* hint) {
  if (e.value.IsScalar()) {
    const std::string& v = e.value.Scalar();
    if (v == "true" || v == "required" || v == "yes") return true;
    if (v == "false" || v == "optional" || v == "no") return false;
  }
  r.Error(r.MarkOf(e.value.IsNull() ? e.key_node : e.value), "",
          "'" + e.key + "' must be true or false", hint);
  return std::nullopt;
}

// "> $100/hour", ">= 50", "<$2.5/h": a comparison with an amount in USD/h.
bool ParseGovCost(const std::string& text, ApprovalCondition* c) {
  size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && text[i] == ' ') ++i;
  };
  skip();
  for (const char* op : {">=", "<=", ">", "<"})
    if (text.compare(i, std::strlen(op), op) == 0) {
      c->op = op;
      i += std::strlen(op);
      break;
    }
  if (c->op.empty()) return false;
  skip();
  if (i < text.size() && text[i] == '$') ++i;
  const char* begin = text.c_str() + i;
  char* end = nullptr;
  c->amount = std::strtod(begin, &end);
  if (end == begin || c->amount < 0) return false;
  std::string unit = end;
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  return unit.empty() || unit == "/hour" || unit == "/h" || unit == "/hr";
}

void LoadGovCondition(const YAML::Node& n, Reporter& r, ApprovalRule* rule) {
  if (!n.IsMap() || n.size() != 1) {
    r.Error(r.MarkOf(n), "", "a condition is a map of one key",
            "- estimated-cost: \"> $100/hour\"  or  - data-sensitivity: high");
    return;
  }
  auto kv = *n.begin();
  ApprovalCondition c;
  c.mark = r.MarkOf(n);
  c.kind = kv.first.IsScalar() ? NormalizeKey(kv.first.Scalar()) : "";
  std::string v = kv.second.IsScalar() ? kv.second.Scalar() : "";
  c.text = (kv.first.IsScalar() ? kv.first.Scalar() : "") + ": " + v;
  if (c.kind == "estimated_cost") {
    if (!ParseGovCost(v, &c)) {
      r.Error(r.MarkOf(kv.second), "", "estimated-cost '" + v + "' is not a comparison in USD/hour",
              "estimated-cost: \"> $100/hour\"");
      return;
    }
  } else if (c.kind == "data_sensitivity") {
    if (v.empty()) {
      r.Error(r.MarkOf(kv.second), "", "data-sensitivity needs a level", "data-sensitivity: high");
      return;
    }
    c.label = "data-sensitivity";
    c.value = v;
  } else if (c.kind == "label") {
    size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      r.Error(r.MarkOf(kv.second), "", "label '" + v + "' must be KEY=VALUE",
              "label: environment=production");
      return;
    }
    c.label = v.substr(0, eq);
    c.value = v.substr(eq + 1);
  } else {
    std::string guess = DidYouMean(c.kind, kGovConditionKinds);
    r.Error(r.MarkOf(kv.first), "", "unknown condition '" + c.kind + "'",
            (guess.empty() ? "" : "did you mean '" + guess + "'? ") +
                "valid: estimated-cost, data-sensitivity, label");
    return;
  }
  rule->conditions.push_back(std::move(c));
}

void LoadGovRule(const YAML::Node& n, Reporter& r, GovernanceSpec* out) {
  if (!n.IsMap()) {
    r.Error(r.MarkOf(n), "", "an approval rule must be a map",
            "- {action: delete-resources, approvers: [admin]}");
    return;
  }
  ApprovalRule rule;
  rule.mark = r.MarkOf(n);
  Entries e = KnownEntries(n, kGovRuleKeys, "in an approval rule", "", r);
  const Entry* a = e.Find("action");
  if (a == nullptr) {
    r.Error(rule.mark, "", "an approval rule needs 'action'",
            "valid: " + Join(GovernanceActions(), ", "));
    return;
  }
  if (auto v = ReadString(*a, "", r)) {
    const auto& valid = GovernanceActions();
    if (std::find(valid.begin(), valid.end(), *v) == valid.end()) {
      std::string guess = DidYouMean(*v, valid);
      r.Error(
          r.MarkOf(a->value), "", "unknown action '" + *v + "'",
          (guess.empty() ? "" : "did you mean '" + guess + "'? ") + "valid: " + Join(valid, ", "));
      return;
    }
    rule.action = *v;
  } else {
    return;
  }
  const Entry* ap = e.Find("approvers");
  if (ap == nullptr || !ap->value.IsSequence() || ap->value.size() == 0) {
    r.Error(r.MarkOf(ap ? ap->value : n), "", "'approvers' must be a non-empty list of groups",
            "approvers: [senior-engineers, platform-team]");
    return;
  }
  for (const auto& g : ap->value) {
    if (!g.IsScalar() || g.Scalar().empty()) {
      r.Error(r.MarkOf(g), "", "an approver is a group name", "approvers: [platform-team]");
      return;
    }
    rule.approvers.push_back(g.Scalar());
  }
  if (const Entry* t = e.Find("ai_confidence_threshold")) {
    char* end = nullptr;
    std::string v = t->value.IsScalar() ? t->value.Scalar() : "";
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || d < 0 || d > 1) {
      r.Error(r.MarkOf(t->value), "", "'ai-confidence-threshold' must be a number in [0, 1]",
              "ai-confidence-threshold: 0.95");
      return;
    }
    rule.ai_confidence_threshold = d;
  }
  if (const Entry* h = e.Find("human_confirmation"))
    if (auto b = ReadGovBool(*h, r, "human-confirmation: required")) rule.human_confirmation = *b;
  if (const Entry* x = e.Find("expires")) {
    std::string v = x->value.IsScalar() ? x->value.Scalar() : "";
    auto span = ParseSpan(v);
    if (!span.ok() || span.value() < 1) {
      r.Error(r.MarkOf(x->value), "", "'expires' must be a duration", "expires: 24h");
      return;
    }
    rule.expires_s = span.value();
  }
  if (const Entry* c = e.Find("conditions")) {
    if (!c->value.IsSequence()) {
      r.Error(r.MarkOf(c->value), "", "'conditions' must be a list",
              "conditions: [{estimated-cost: \"> $100/hour\"}]");
      return;
    }
    for (const auto& cn : c->value) LoadGovCondition(cn, r, &rule);
  }
  out->approval_required.push_back(std::move(rule));
}

}  // namespace

void LoadGovernanceSpec(const Entry& e, Reporter& r, GovernanceSpec* out) {
  if (!e.value.IsMap()) {
    r.Error(r.MarkOf(e.value.IsNull() ? e.key_node : e.value), "",
            std::string("'spec' must be a map, got ") + YamlTypeName(e.value),
            "spec: {approval-required: [...], audit: {...}}");
    return;
  }
  Entries entries = KnownEntries(e.value, kGovSpecKeys, "in an AIGovernancePolicy's spec", "", r);
  if (const Entry* a = entries.Find("approval_required")) {
    if (!a->value.IsSequence()) {
      r.Error(r.MarkOf(a->value), "", "'approval-required' must be a list",
              "- {action: delete-resources, approvers: [admin]}");
    } else {
      for (const auto& n : a->value) LoadGovRule(n, r, out);
    }
  }
  if (const Entry* a = entries.Find("audit")) {
    if (!a->value.IsMap()) {
      r.Error(r.MarkOf(a->value), "", "'audit' must be a map",
              "audit: {log-all-actions: true, include-reasoning: true, retention: 90d}");
      return;
    }
    Entries ae = KnownEntries(a->value, kGovAuditKeys, "in audit", "", r);
    if (const Entry* l = ae.Find("log_all_actions"))
      if (auto b = ReadGovBool(*l, r, "log-all-actions: true")) out->log_all_actions = *b;
    if (const Entry* i = ae.Find("include_reasoning"))
      if (auto b = ReadGovBool(*i, r, "include-reasoning: true")) out->include_reasoning = *b;
    if (const Entry* t = ae.Find("retention")) {
      std::string v = t->value.IsScalar() ? t->value.Scalar() : "";
      auto span = ParseSpan(v);
      if (!span.ok() || span.value() < 60)
        r.Error(r.MarkOf(t->value), "", "'retention' must be a duration of at least 1m",
                "retention: 90d");
      else
        out->retention_s = span.value();
    }
  }
}

}  // namespace flowctl::config::internal
