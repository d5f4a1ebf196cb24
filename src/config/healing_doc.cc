// spec.ai-policies: self-healing policies (spec/spec.h HealingPolicy),
// checked with file:line on every problem. ai/healing.h acts on them.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "flowctl/base/strings.h"
#include "internal.h"

namespace flowctl::config::internal {
namespace {

const std::vector<std::string> kPolicyKeys = {"name", "type", "config"};
const std::vector<std::string> kHealConfigKeys = {"detection", "actions", "learning"};
const std::vector<std::string> kDetectionKeys = {"metric", "threshold", "window"};
const std::vector<std::string> kActionKeys = {
    "type", "model", "context", "strategies", "incident_webhook", "max_workers"};
const std::vector<std::string> kLearningKeys = {"enabled", "feedback_loop", "share_learnings"};
const std::vector<std::string> kContexts = {"recent-errors", "system-metrics", "component-logs"};

const YAML::Node& ValueOrKey(const Entry& e) { return e.value.IsNull() ? e.key_node : e.value; }

bool InList(const std::string& v, const std::vector<std::string>& valid) {
  return std::find(valid.begin(), valid.end(), v) != valid.end();
}

void UnknownValue(Reporter& r, const YAML::Node& at, const std::string& what, const std::string& v,
                  const std::vector<std::string>& valid) {
  std::string guess = DidYouMean(v, valid);
  r.Error(r.MarkOf(at), "", "unknown " + what + " '" + v + "'",
          (guess.empty() ? "" : "did you mean '" + guess + "'? ") + "valid: " + Join(valid, ", "));
}

// A number, "5%", "1000ms", "2s": what the metric's unit allows.
std::optional<double> ParseThreshold(const std::string& metric, const std::string& text,
                                     std::string* hint) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end == text.c_str() || v < 0) return std::nullopt;
  std::string unit = end;
  if (metric == "latency_p99") {
    *hint = "a latency: 1000ms, 1.5s, or a number of ms";
    if (unit.empty() || unit == "ms") return v;
    if (unit == "s") return v * 1000;
    if (unit == "us") return v / 1000;
    return std::nullopt;
  }
  if (metric == "queue_depth") {
    *hint = "a number of events waiting: 500";
    if (unit.empty()) return v;
    return std::nullopt;
  }
  *hint = "a fraction: 0.05 or 5%";
  if (unit == "%")
    v /= 100;
  else if (!unit.empty())
    return std::nullopt;
  if (v > 1) return std::nullopt;
  return v;
}

void LoadDetection(const YAML::Node& n, Reporter& r, HealingPolicy* p) {
  if (!n.IsMap()) {
    r.Error(r.MarkOf(n), "", "a detection rule must be a map",
            "- {metric: error_rate, threshold: 0.05, window: 5m}");
    return;
  }
  HealingDetection d;
  d.mark = r.MarkOf(n);
  Entries e = KnownEntries(n, kDetectionKeys, "in a detection rule", "", r);
  const Entry* m = e.Find("metric");
  const Entry* t = e.Find("threshold");
  if (m == nullptr || t == nullptr) {
    r.Error(d.mark, "", "a detection rule needs 'metric' and 'threshold'",
            "- {metric: error_rate, threshold: 0.05, window: 5m}");
    return;
  }
  auto metric = ReadString(*m, "", r);
  if (!metric) return;
  if (!InList(*metric, HealingMetrics())) {
    UnknownValue(r, m->value, "metric", *metric, HealingMetrics());
    return;
  }
  d.metric = *metric;
  d.threshold_text = t->value.IsScalar() ? t->value.Scalar() : "";
  std::string hint;
  auto v = ParseThreshold(d.metric, d.threshold_text, &hint);
  if (!v) {
    r.Error(r.MarkOf(ValueOrKey(*t)), "",
            "threshold '" + d.threshold_text + "' does not fit " + d.metric, hint);
    return;
  }
  d.threshold = *v;
  if (const Entry* w = e.Find("window")) {
    auto span = ParseSpan(w->value.IsScalar() ? w->value.Scalar() : "");
    if (!span.ok() || span.value() < 2) {
      r.Error(r.MarkOf(ValueOrKey(*w)), "", "'window' must be a duration of at least 2 s",
              "window: 5m");
      return;
    }
    d.window_s = span.value();
  }
  p->detection.push_back(std::move(d));
}

void LoadAction(const YAML::Node& n, Reporter& r, HealingPolicy* p) {
  if (!n.IsMap()) {
    r.Error(r.MarkOf(n), "", "an action must be a map with 'type'",
            "- {type: auto-remediation, strategies: [restart-component]}");
    return;
  }
  Entries e = KnownEntries(n, kActionKeys, "in a self-healing action", "", r);
  const Entry* t = e.Find("type");
  if (t == nullptr) {
    r.Error(r.MarkOf(n), "", "an action needs 'type'", "valid: ai-diagnosis, auto-remediation");
    return;
  }
  auto type = ReadString(*t, "", r);
  if (!type) return;
  if (*type == "ai-diagnosis") {
    p->diagnosis = true;
    if (const Entry* m = e.Find("model")) {
      if (auto v = ReadString(*m, "", r)) {
        // provider:model narrates the findings; any other name cannot be
        // called, so the diagnosis is the findings alone.
        if (v->find(':') == std::string::npos)
          r.Warning(r.MarkOf(m->value), "",
                    "model '" + *v +
                        "' is not provider:model; the diagnosis will be the "
                        "findings without a narrative",
                    "model: openai:gpt-4o-mini, anthropic:claude-3-5-haiku-latest, ollama:llama3");
        else
          p->diagnosis_model = *v;
      }
    }
    if (const Entry* c = e.Find("context")) {
      if (!c->value.IsSequence()) {
        r.Error(r.MarkOf(ValueOrKey(*c)), "", "'context' must be a list",
                "context: [recent-errors, system-metrics]");
        return;
      }
      for (const auto& x : c->value) {
        std::string v = x.IsScalar() ? x.Scalar() : "";
        if (!InList(v, kContexts)) {
          UnknownValue(r, x, "context", v, kContexts);
          continue;
        }
        if (v == "component-logs")
          r.Warning(r.MarkOf(x), "",
                    "flowctl keeps no component logs; the failing events' examples and "
                    "messages stand in for them");
        p->diagnosis_context.push_back(v);
      }
    }
    return;
  }
  if (*type != "auto-remediation") {
    UnknownValue(r, t->value, "action type", *type, {"ai-diagnosis", "auto-remediation"});
    return;
  }
  const Entry* s = e.Find("strategies");
  if (s == nullptr || !s->value.IsSequence() || s->value.size() == 0) {
    r.Error(r.MarkOf(s ? ValueOrKey(*s) : n), "", "'strategies' must be a non-empty list",
            "strategies: [" + Join(HealingStrategies(), ", ") + "]");
    return;
  }
  for (const auto& x : s->value) {
    std::string v = x.IsScalar() ? x.Scalar() : "";
    if (!InList(v, HealingStrategies())) {
      UnknownValue(r, x, "strategy", v, HealingStrategies());
      continue;
    }
    if (InList(v, p->strategies)) {
      r.Error(r.MarkOf(x), "", "strategy '" + v + "' is listed twice");
      continue;
    }
    p->strategies.push_back(v);
  }
  if (const Entry* w = e.Find("incident_webhook")) {
    if (auto v = ReadString(*w, "", r)) {
      if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0)
        r.Error(r.MarkOf(w->value), "", "incident-webhook '" + *v + "' is not an http(s) URL",
                "incident-webhook: https://hooks.example.com/incidents");
      else
        p->incident_webhook = *v;
    }
  }
  if (const Entry* m = e.Find("max_workers")) {
    auto v = m->value.IsScalar() ? ParseInt64(m->value.Scalar()) : std::nullopt;
    if (!v || *v < 1 || *v > 1024)
      r.Error(r.MarkOf(ValueOrKey(*m)), "", "'max-workers' must be an integer in [1, 1024]",
              "max-workers: 8");
    else
      p->max_workers = static_cast<int>(*v);
  }
}

std::optional<bool> ReadBool(const Entry& e, Reporter& r) {
  if (e.value.IsScalar() && (e.value.Scalar() == "true" || e.value.Scalar() == "false"))
    return e.value.Scalar() == "true";
  r.Error(r.MarkOf(ValueOrKey(e)), "", "'" + e.key + "' must be true or false");
  return std::nullopt;
}

void LoadPolicy(const YAML::Node& n, Reporter& r, std::vector<HealingPolicy>* out) {
  if (!n.IsMap()) {
    r.Error(r.MarkOf(n), "", "an ai-policy must be a map",
            "- {name: auto-recovery, type: self-healing, config: {...}}");
    return;
  }
  HealingPolicy p;
  p.mark = r.MarkOf(n);
  Entries e = KnownEntries(n, kPolicyKeys, "in an ai-policy", "", r);
  if (const Entry* nm = e.Find("name"))
    if (auto v = ReadString(*nm, "", r)) p.name = *v;
  const Entry* t = e.Find("type");
  auto type = t ? ReadString(*t, "", r) : std::nullopt;
  if (!type) {
    if (t == nullptr) r.Error(p.mark, "", "an ai-policy needs 'type'", "type: self-healing");
    return;
  }
  if (*type != "self-healing") {
    UnknownValue(r, t->value, "ai-policy type", *type, {"self-healing"});
    return;
  }
  if (p.name.empty()) p.name = "self-healing-" + std::to_string(out->size() + 1);
  const Entry* c = e.Find("config");
  if (c == nullptr || !c->value.IsMap()) {
    r.Error(r.MarkOf(c ? ValueOrKey(*c) : n), "",
            "a self-healing policy needs 'config' with 'detection' and 'actions'",
            "config: {detection: [...], actions: [...]}");
    return;
  }
  Entries ce = KnownEntries(c->value, kHealConfigKeys, "in a self-healing config", "", r);
  const Entry* d = ce.Find("detection");
  if (d == nullptr || !d->value.IsSequence() || d->value.size() == 0) {
    r.Error(r.MarkOf(d ? ValueOrKey(*d) : c->value), "",
            "'detection' must be a non-empty list of rules",
            "detection: [{metric: error_rate, threshold: 0.05, window: 5m}]");
  } else {
    for (const auto& x : d->value) LoadDetection(x, r, &p);
  }
  const Entry* a = ce.Find("actions");
  if (a == nullptr || !a->value.IsSequence() || a->value.size() == 0) {
    r.Error(r.MarkOf(a ? ValueOrKey(*a) : c->value), "", "'actions' must be a non-empty list",
            "actions: [{type: ai-diagnosis}, {type: auto-remediation, strategies: [...]}]");
  } else {
    for (const auto& x : a->value) LoadAction(x, r, &p);
  }
  if (const Entry* l = ce.Find("learning")) {
    if (!l->value.IsMap()) {
      r.Error(r.MarkOf(ValueOrKey(*l)), "", "'learning' must be a map",
              "learning: {enabled: true, feedback-loop: true, share-learnings: true}");
    } else {
      Entries le = KnownEntries(l->value, kLearningKeys, "in 'learning'", "", r);
      if (const Entry* x = le.Find("enabled"))
        if (auto b = ReadBool(*x, r)) p.learning = *b;
      if (const Entry* x = le.Find("feedback_loop"))
        if (auto b = ReadBool(*x, r)) p.feedback_loop = *b;
      if (const Entry* x = le.Find("share_learnings"))
        if (auto b = ReadBool(*x, r)) p.share_learnings = *b;
    }
  }
  for (const auto& q : *out)
    if (q.name == p.name) r.Error(p.mark, "", "two ai-policies are named '" + p.name + "'");
  out->push_back(std::move(p));
}

}  // namespace

void LoadHealingPolicies(const Entry& e, Reporter& r, std::vector<HealingPolicy>* out) {
  if (!e.value.IsSequence()) {
    r.Error(r.MarkOf(ValueOrKey(e)), "",
            std::string("'ai-policies' must be a list, got ") + YamlTypeName(e.value),
            "ai-policies: [{name: auto-recovery, type: self-healing, config: {...}}]");
    return;
  }
  for (const auto& n : e.value) LoadPolicy(n, r, out);
}

}  // namespace flowctl::config::internal
