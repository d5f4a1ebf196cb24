// kind: AIMonitor documents: targets, predictions and actions, checked with
// file:line on every problem. The seed's model names map to the built-in
// algorithm of their kind, with a note that says which.
#include <string>
#include <vector>

#include "flowctl/base/strings.h"
#include "internal.h"

namespace flowctl::config::internal {
namespace {

const std::vector<std::string> kMonitorSpecKeys = {"targets", "interval", "predictions", "actions"};
const std::vector<std::string> kPredictionKeys = {
    "type",    "model",           "alert_threshold", "advance_warning",
    "metrics", "forecast_window", "training",        "sensitivity"};
const std::vector<std::string> kActionLists = {"on_predicted_failure", "on_anomaly"};
const std::vector<std::string> kPredictionTypes = {"failure-prediction", "capacity-planning",
                                                   "anomaly-prediction"};
const std::vector<std::string> kMonitorMetrics = {"throughput", "latency", "error-rate"};

struct Algorithm {
  const char* type;
  const char* algorithm;          // what runs, and the model name that asks for it by name
  std::vector<std::string> also;  // other names that map to it, with a note
  const char* what;
};
const std::vector<Algorithm>& Algorithms() {
  static const std::vector<Algorithm> kAlgorithms = {
      {"failure-prediction",
       "linear-trend",
       {"time-series-prophet"},
       "a least-squares trend of each series to its threshold"},
      {"capacity-planning",
       "holt-linear",
       {"lstm-forecaster", "time-series-prophet"},
       "Holt's linear exponential smoothing"},
      {"anomaly-prediction",
       "robust-zscore",
       {"isolation-forest"},
       "a robust z-score (median/MAD) against the recent window"},
  };
  return kAlgorithms;
}

std::optional<int64_t> ReadMonitorSeconds(const Entry& e, Reporter& r, int64_t min_s) {
  std::optional<int64_t> s;
  if (e.value.IsScalar())
    if (auto span = ParseSpan(e.value.Scalar()); span.ok()) s = span.value();
  if (!s || *s < min_s) {
    r.Error(r.MarkOf(e.value.IsNull() ? e.key_node : e.value), "",
            "'" + (e.key_node.IsScalar() ? e.key_node.Scalar() : e.key) +
                "' must be a duration of at least " + std::to_string(min_s) + " s",
            "e.g. 90s, 30m, 2h, 7d");
    return std::nullopt;
  }
  return s;
}

void LoadTargets(const Entry& e, Reporter& r, MonitorSpec* out) {
  if (!e.value.IsSequence() || e.value.size() == 0) {
    r.Error(r.MarkOf(e.value.IsNull() ? e.key_node : e.value), "",
            "'targets' must be a non-empty list", "targets: [{pipeline: production-*}]");
    return;
  }
  for (const auto& t : e.value) {
    if (t.IsScalar()) {
      out->targets.push_back(t.Scalar());
      continue;
    }
    if (!t.IsMap()) {
      r.Error(r.MarkOf(t), "", "a target must be {pipeline: NAME-GLOB}", "- pipeline: orders-*");
      continue;
    }
    Entries te = KnownEntries(t, {"pipeline"}, "in a target", "", r);
    const Entry* p = te.Find("pipeline");
    if (p == nullptr) {
      r.Error(r.MarkOf(t), "", "a target needs 'pipeline'", "- pipeline: orders-*");
      continue;
    }
    if (auto s = ReadString(*p, "", r)) out->targets.push_back(*s);
  }
}

void LoadPrediction(const YAML::Node& n, Reporter& r, MonitorSpec* out) {
  if (!n.IsMap()) {
    r.Error(r.MarkOf(n), "", "a prediction must be a map", "- type: failure-prediction");
    return;
  }
  MonitorPrediction p;
  p.mark = r.MarkOf(n);
  Entries e = KnownEntries(n, kPredictionKeys, "in a prediction", "", r);
  const Entry* type = e.Find("type");
  if (type == nullptr) {
    r.Error(p.mark, "", "a prediction needs 'type'",
            "valid types: " + Join(kPredictionTypes, ", "));
    return;
  }
  auto t = ReadString(*type, "", r);
  if (!t) return;
  if (std::find(kPredictionTypes.begin(), kPredictionTypes.end(), *t) == kPredictionTypes.end()) {
    std::string guess = DidYouMean(*t, kPredictionTypes);
    r.Error(r.MarkOf(type->value), "", "unknown prediction type '" + *t + "'",
            (guess.empty() ? "" : "did you mean '" + guess + "'? ") +
                "valid types: " + Join(kPredictionTypes, ", "));
    return;
  }
  p.type = *t;
  const Algorithm* algo = nullptr;
  for (const auto& a : Algorithms())
    if (p.type == a.type) algo = &a;
  p.algorithm = algo->algorithm;
  p.model = algo->algorithm;
  if (const Entry* m = e.Find("model")) {
    if (auto model = ReadString(*m, "", r)) {
      p.model = *model;
      bool also = std::find(algo->also.begin(), algo->also.end(), *model) != algo->also.end();
      if (also) {
        r.Warning(r.MarkOf(m->value), "",
                  "model '" + *model + "' runs as the built-in " + algo->algorithm + ": " +
                      algo->what + " (no " + *model + " is built in)");
      } else if (*model != algo->algorithm) {
        std::vector<std::string> valid = algo->also;
        valid.insert(valid.begin(), algo->algorithm);
        r.Error(r.MarkOf(m->value), "", "model '" + *model + "' is not one for " + p.type,
                "valid: " + Join(valid, ", ") + " (all run " + algo->algorithm + ")");
      }
    }
  }
  if (const Entry* a = e.Find("alert_threshold")) {
    double v = -1;
    if (a->value.IsScalar()) {
      char* end = nullptr;
      v = std::strtod(a->value.Scalar().c_str(), &end);
      if (end == a->value.Scalar().c_str() || *end != '\0') v = -1;
    }
    if (v < 0 || v > 1)
      r.Error(r.MarkOf(a->value), "", "'alert_threshold' must be a number from 0 to 1",
              "the least trend score (r2) that alerts, e.g. 0.8");
    else
      p.alert_threshold = v;
  }
  if (const Entry* a = e.Find("advance_warning"))
    if (auto s = ReadMonitorSeconds(*a, r, 1)) p.advance_warning_s = *s;
  if (const Entry* f = e.Find("forecast_window"))
    if (auto s = ReadMonitorSeconds(*f, r, 1)) p.forecast_window_s = *s;
  if (const Entry* m = e.Find("metrics")) {
    if (!m->value.IsSequence()) {
      r.Error(r.MarkOf(m->value), "", "'metrics' must be a list", Join(kMonitorMetrics, ", "));
    } else {
      for (const auto& x : m->value) {
        std::string v = x.IsScalar() ? x.Scalar() : "";
        if (std::find(kMonitorMetrics.begin(), kMonitorMetrics.end(), v) == kMonitorMetrics.end())
          r.Error(r.MarkOf(x), "", "unknown metric '" + v + "'",
                  "valid: " + Join(kMonitorMetrics, ", "));
        else
          p.metrics.push_back(v);
      }
    }
  }
  if (const Entry* s = e.Find("sensitivity")) {
    auto v = ReadString(*s, "", r);
    if (v && *v != "high" && *v != "medium" && *v != "low")
      r.Error(r.MarkOf(s->value), "", "'sensitivity' must be high, medium or low");
    else if (v)
      p.sensitivity = *v;
  }
  if (const Entry* t2 = e.Find("training")) {
    auto v = ReadString(*t2, "", r);
    if (v && *v != "continuous")
      r.Error(r.MarkOf(t2->value), "", "'training' must be continuous",
              "the baseline is always the recent window");
  }
  out->predictions.push_back(std::move(p));
}

void LoadAction(const YAML::Node& n, Reporter& r, std::vector<MonitorAction>* out) {
  if (!n.IsMap() || n.size() != 1) {
    r.Error(r.MarkOf(n), "", "an action is a map of one key: notify, execute or prepare",
            "- notify: ops-team");
    return;
  }
  auto kv = *n.begin();
  MonitorAction a;
  a.mark = r.MarkOf(n);
  a.kind = kv.first.IsScalar() ? kv.first.Scalar() : "";
  if (a.kind == "notify") {
    if (kv.second.IsScalar()) {
      a.target = kv.second.Scalar();
    } else if (kv.second.IsMap()) {
      Entries e = KnownEntries(kv.second, {"to", "webhook"}, "in a notify action", "", r);
      if (const Entry* to = e.Find("to"))
        if (auto s = ReadString(*to, "", r)) a.target = *s;
      if (const Entry* w = e.Find("webhook")) {
        if (auto s = ReadString(*w, "", r)) {
          if (s->rfind("http://", 0) != 0 && s->rfind("https://", 0) != 0)
            r.Error(r.MarkOf(w->value), "", "webhook '" + *s + "' is not an http(s) URL",
                    "webhook: https://hooks.example.com/flowctl");
          else
            a.webhook = *s;
        }
      }
    } else {
      r.Error(r.MarkOf(kv.second), "", "notify takes a name or {to, webhook}",
              "- notify: {to: ops-team, webhook: https://hooks.example.com/x}");
      return;
    }
  } else if (a.kind == "prepare") {
    a.target = kv.second.IsScalar() ? kv.second.Scalar() : "";
    if (a.target != "rollback-plan") {
      r.Error(r.MarkOf(kv.second), "", "prepare: '" + a.target + "' is not known",
              "prepare: rollback-plan");
      return;
    }
  } else if (a.kind == "execute") {
    a.target = kv.second.IsScalar() ? kv.second.Scalar() : "";
    if (a.target.empty()) {
      r.Error(r.MarkOf(kv.second), "", "execute needs the action's name",
              "- execute: preventive-scaling");
      return;
    }
    r.Warning(a.mark, "",
              "execute: " + a.target +
                  " is checked but not run: actions that change a "
                  "pipeline wait for self-healing policies; the alert says it is waiting");
  } else {
    std::string guess = DidYouMean(a.kind, {"notify", "execute", "prepare"});
    r.Error(r.MarkOf(kv.first), "", "unknown action '" + a.kind + "'",
            (guess.empty() ? "" : "did you mean '" + guess + "'? ") +
                "valid: notify, execute, prepare");
    return;
  }
  out->push_back(std::move(a));
}

}  // namespace

void LoadMonitorSpec(const Entry& e, Reporter& r, MonitorSpec* out) {
  if (!e.value.IsMap()) {
    r.Error(r.MarkOf(e.value.IsNull() ? e.key_node : e.value), "",
            std::string("'spec' must be a map, got ") + YamlTypeName(e.value),
            "spec: {targets: [...], predictions: [...], actions: {...}}");
    return;
  }
  Entries entries = KnownEntries(e.value, kMonitorSpecKeys, "in an AIMonitor's spec", "", r);
  if (const Entry* t = entries.Find("targets"))
    LoadTargets(*t, r, out);
  else
    r.Error(r.MarkOf(e.value), "", "missing 'spec.targets'", "targets: [{pipeline: orders-*}]");
  if (const Entry* i = entries.Find("interval"))
    if (auto s = ReadMonitorSeconds(*i, r, 1)) out->interval_s = *s;
  const Entry* p = entries.Find("predictions");
  if (p == nullptr || !p->value.IsSequence() || p->value.size() == 0) {
    r.Error(r.MarkOf(p ? p->value : e.value), "", "'spec.predictions' must be a non-empty list",
            "predictions: [{type: failure-prediction, advance-warning: 30m}]");
  } else {
    for (const auto& n : p->value) LoadPrediction(n, r, out);
  }
  if (const Entry* a = entries.Find("actions")) {
    if (!a->value.IsMap()) {
      r.Error(r.MarkOf(a->value), "", "'actions' must be a map",
              "actions: {on-predicted-failure: [{notify: ops-team}]}");
      return;
    }
    Entries lists = KnownEntries(a->value, kActionLists, "in actions", "", r);
    for (const auto& [key, dest] : {std::pair<const char*, std::vector<MonitorAction>*>{
                                        "on_predicted_failure", &out->on_predicted_failure},
                                    {"on_anomaly", &out->on_anomaly}}) {
      const Entry* l = lists.Find(key);
      if (l == nullptr) continue;
      if (!l->value.IsSequence()) {
        r.Error(r.MarkOf(l->value), "", std::string("'") + key + "' must be a list",
                "- notify: ops-team");
        continue;
      }
      for (const auto& n : l->value) LoadAction(n, r, dest);
    }
  }
}

}  // namespace flowctl::config::internal
