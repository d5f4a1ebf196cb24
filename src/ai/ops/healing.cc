// Self-healing (ai/healing.h): detection over the metric history, the
// strategies through the governance gate, outcomes and learning.
#include "flowctl/ai/healing.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "flowctl/ai/engine_api.h"
#include "flowctl/base/clock.h"
#include "flowctl/base/strings.h"
#include "flowctl/config/loader.h"
#include "internal.h"

namespace flowctl::ai {

using nlohmann::json;
using namespace ops_internal;

namespace {

// A version's, or an action's, first seconds are warm-up.
constexpr int64_t kHealSettleMs = 5000;
// A window counts as measured when its samples cover this share of it.
constexpr double kCoverage = 0.6;

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The samples of each node in [from_ms, to_ms).
std::map<std::string, Series> ByNode(const OpsInput& in, int64_t from_ms, int64_t to_ms) {
  std::map<std::string, Series> out;
  for (const auto& p : in.points)
    if (p.ts_ms >= from_ms && p.ts_ms < to_ms) out[p.node].push_back(&p);
  return out;
}

// The mean of m over the intervals in which the node took events in.
double BusyMean(const Series& s, store::Metric m) {
  double sum = 0, secs = 0;
  for (const auto* p : s) {
    if (p->v[store::kInPerS] <= 0) continue;
    double dt = p->v[store::kIntervalS] > 0 ? p->v[store::kIntervalS] : p->resolution_s;
    sum += p->v[m] * dt;
    secs += dt;
  }
  return secs > 0 ? sum / secs : 0;
}

std::optional<double> NodeValue(const std::string& metric, const Series& s) {
  const double in = Sum(s, store::kInPerS);
  if (metric == "error_rate" || metric == "dlq_rate") {
    if (in < 1) return std::nullopt;
    // error_rate: failures not caught by a dead-letter path (dropped, or
    // failing the run) per event in; dlq_rate: those caught.
    const double dlq = Sum(s, store::kDeadLetteredPerS);
    return metric == "dlq_rate" ? dlq / in : std::max(0.0, Sum(s, store::kErrorsPerS) - dlq) / in;
  }
  if (metric == "latency_p99") {
    if (in < 1) return std::nullopt;
    return BusyMean(s, store::kP99Us) / 1000;
  }
  if (metric == "queue_depth") return Mean(s, store::kQueueDepth);
  if (metric == "busy") return Mean(s, store::kBusy);
  return std::nullopt;
}

std::string Strategies(const std::vector<std::string>& v) {
  return v.empty() ? "none" : Join(v, ", ");
}

}  // namespace

std::optional<Measurement> Measure(const OpsInput& in, const HealingDetection& rule,
                                   int64_t from_ms, int64_t to_ms) {
  if (to_ms <= from_ms) return std::nullopt;
  auto nodes = ByNode(in, from_ms, to_ms);
  if (rule.metric == "throughput_drop") {
    // The pipeline's intake now against the window before it.
    auto before = ByNode(in, from_ms - (to_ms - from_ms), from_ms);
    auto now_it = nodes.find(store::kPipelineNode);
    auto before_it = before.find(store::kPipelineNode);
    if (now_it == nodes.end() || before_it == before.end()) return std::nullopt;
    double b = Mean(before_it->second, store::kInPerS);
    double cov = std::min(Seconds(now_it->second), Seconds(before_it->second));
    if (b <= 0) return std::nullopt;
    double n = Mean(now_it->second, store::kInPerS);
    return Measurement{"", std::max(0.0, 1 - n / b), cov};
  }
  std::optional<Measurement> worst;
  for (const auto& [node, s] : nodes) {
    if (node == store::kPipelineNode) continue;
    auto v = NodeValue(rule.metric, s);
    if (!v) continue;
    if (!worst || *v > worst->value) worst = Measurement{node, *v, Seconds(s)};
  }
  return worst;
}

std::string FormatMeasure(const HealingDetection& rule, double value) {
  if (rule.metric == "latency_p99") return Num(value) + " ms";
  if (rule.metric == "queue_depth") return Num(value) + " events";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return buf;
}

std::vector<std::string> OrderStrategies(const HealingPolicy& p, const Learnings& own,
                                         const Learnings& shared) {
  if (!p.learning) return p.strategies;
  std::vector<std::string> fixes;
  for (const auto& s : p.strategies)
    if (s != "create-incident") fixes.push_back(s);
  auto score = [&](const std::string& s) {
    StrategyStats t;
    for (const Learnings* l : {&own, &shared})
      if (auto it = l->find(s); it != l->end()) {
        t.tried += it->second.tried;
        t.recovered += it->second.recovered;
      }
    return (t.recovered + 1.0) / (t.tried + 2.0);
  };
  std::stable_sort(fixes.begin(), fixes.end(),
                   [&](const std::string& a, const std::string& b) { return score(a) > score(b); });
  std::vector<std::string> out;
  size_t i = 0;
  for (const auto& s : p.strategies) out.push_back(s == "create-incident" ? s : fixes[i++]);
  return out;
}

HealingPolicy DefaultHealingPolicy() {
  HealingPolicy p;
  p.name = "auto-recovery";
  p.detection = {{"error_rate", 0.05, "0.05", 300, {}}, {"latency_p99", 1000, "1000ms", 120, {}}};
  p.diagnosis = true;
  p.diagnosis_context = {"recent-errors", "system-metrics"};
  p.strategies = HealingStrategies();
  p.learning = true;
  p.share_learnings = true;
  return p;
}

Healer::Healer(engine::Engine* engine, std::string path, Clock clock, EnvLookup env)
    : engine_(engine), path_(std::move(path)), clock_(std::move(clock)), env_(std::move(env)) {
  if (!clock_) clock_ = UnixMs;
  if (!env_) env_ = ProcessEnv();
  json j = ReadJsonObject(path_);
  for (const auto& [name, v] : j.items()) {
    if (!v.is_object()) continue;
    PipelineState& s = pipelines_[name];
    if (v.contains("enabled") && v["enabled"].is_boolean()) s.enabled = v["enabled"].get<bool>();
    if (v.contains("learnings") && v["learnings"].is_object())
      for (const auto& [metric, strategies] : v["learnings"].items())
        if (strategies.is_object())
          for (const auto& [strategy, t] : strategies.items())
            if (t.is_object())
              s.learnings[metric][strategy] = {t.value("tried", 0), t.value("recovered", 0)};
  }
}

Healer::~Healer() { Stop(); }

Status Healer::SaveLocked() const {
  json j = json::object();
  for (const auto& [name, s] : pipelines_) {
    json p = json::object();
    if (s.enabled) p["enabled"] = *s.enabled;
    json l = json::object();
    for (const auto& [metric, by] : s.learnings)
      for (const auto& [strategy, t] : by)
        l[metric][strategy] = {{"tried", t.tried}, {"recovered", t.recovered}};
    if (!l.empty()) p["learnings"] = l;
    if (!p.empty()) j[name] = p;
  }
  return WriteAtomically(path_, j.dump(2));
}

std::vector<HealingPolicy> Healer::PoliciesOf(const std::string& yaml,
                                              const PipelineState& s) const {
  if (s.enabled && !*s.enabled) return {};
  std::optional<PipelineSpec> spec = LoadSpec(yaml);
  if (spec && !spec->healing.empty()) return spec->healing;
  if (s.enabled && *s.enabled) return {DefaultHealingPolicy()};
  return {};
}

void Healer::Audit(const std::string& name, const std::string& action, const std::string& reason,
                   const json& args, const Status& st) {
  store::AuditRecord r;
  r.time_ms = UnixMs();
  r.caller = "self-healing";
  r.action = action;
  r.target = name;
  r.arguments = args.dump();
  r.result = st.ok() ? "ok" : st.ToString();
  r.reasoning = reason;
  (void)engine_->Audit(r);
}

Learnings Healer::SharedLearnings(const std::string& name, const std::string& metric) const {
  Learnings out;
  auto me = sharing_.find(name);
  if (me == sharing_.end() || !me->second) return out;
  for (const auto& [other, s] : pipelines_) {
    if (other == name) continue;
    auto sh = sharing_.find(other);
    if (sh == sharing_.end() || !sh->second) continue;
    auto it = s.learnings.find(metric);
    if (it == s.learnings.end()) continue;
    for (const auto& [strategy, t] : it->second) {
      out[strategy].tried += t.tried;
      out[strategy].recovered += t.recovered;
    }
  }
  return out;
}

void Healer::Outcome(const std::string& name, const HealingPolicy& p, Episode* e, bool recovered,
                     const std::string& why, bool learn) {
  if (learn && p.learning && p.feedback_loop && !e->current.empty() &&
      e->current != "create-incident") {
    StrategyStats& t = pipelines_[name].learnings[e->metric][e->current];
    ++t.tried;
    if (recovered) ++t.recovered;
    (void)SaveLocked();
  }
  Audit(name, "self-healing-outcome", why,
        {{"policy", p.name},
         {"metric", e->metric},
         {"node", e->node},
         {"strategy", e->current},
         {"recovered", recovered}},
        Status::OK());
  spdlog::info("self-healing: {}: {}", name, why);
  e->current.clear();
  e->acted_ms = 0;
  e->approval.clear();
}

void Healer::Act(const std::string& name, const HealingPolicy& p, const HealingDetection& rule,
                 const OpsInput& in, Episode* e, int64_t now_ms, std::vector<std::string>* done) {
  const std::string caller = "self-healing";
  std::optional<PipelineSpec> spec = LoadSpec(in.yaml);
  std::vector<std::string> skipped;
  while (e->next < e->order.size()) {
    const std::string s = e->order[e->next++];
    const std::string reason = "policy " + p.name + ": " + s + " for " + e->symptom +
                               (e->diagnosis.empty() ? "" : "; ") + e->diagnosis +
                               (e->tried.empty() ? "" : "; tried before: " + Join(e->tried, ", "));
    Status st;
    std::string did;
    if (s == "restart-component") {
      st = engine_->Restart(name, caller, reason, {"self-healing"});
      did = "restarted " + name;
    } else if (s == "scale-horizontally") {
      const NodeSpec* n = spec ? FindNode(*spec, e->node) : nullptr;
      const bool capacity =
          rule.metric == "latency_p99" || rule.metric == "queue_depth" || rule.metric == "busy";
      bool safe = n != nullptr && n->kind == NodeKind::kProcessor;
      if (safe && in.registry != nullptr)
        if (const auto* d = in.registry->Find(n->type, NodeKind::kProcessor))
          safe = d->parallel_safe;
      const int from = n ? std::max(1, n->concurrency) : 1;
      const int max = p.max_workers > 0
                          ? p.max_workers
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      if (!capacity || !safe || from >= max) {
        skipped.push_back(s + " (" +
                          (!capacity ? rule.metric + " is not a capacity symptom"
                           : !safe   ? "'" + e->node + "' cannot run more instances"
                                     : "'" + e->node + "' is at " + std::to_string(max)) +
                          ")");
        continue;
      }
      engine::ApplyRequest req;
      req.yaml = ConcurrencyFix(*spec, e->node, std::min(max, from * 2));
      req.filename = "<self-healing>";
      req.caller = caller;
      req.reason = reason;
      req.actions = {"self-healing", "scale"};
      std::vector<Diagnostic> diags;
      auto r = engine_->Apply(req, &diags);
      st = r.ok() ? Status::OK() : r.status();
      did = e->node + " " + std::to_string(from) + " -> " +
            std::to_string(std::min(max, from * 2)) + " instances" +
            (r.ok() ? " (v" + std::to_string(r->version) + ")" : "");
    } else if (s == "reroute-traffic") {
      const NodeSpec* n = spec ? FindNode(*spec, e->node) : nullptr;
      if (n == nullptr || (rule.metric != "error_rate") ||
          (n->has_on_error && n->on_error.kind == ErrorPolicy::Kind::kDeadLetter)) {
        skipped.push_back(s + " (" +
                          (rule.metric != "error_rate" ? rule.metric + " is not a failure symptom"
                           : n == nullptr              ? "no node to reroute"
                                                       : "'" + e->node + "' already dead-letters") +
                          ")");
        continue;
      }
      engine::ApplyRequest req;
      req.yaml = DeadLetterFix(*spec, e->node);
      req.filename = "<self-healing>";
      req.caller = caller;
      req.reason = reason;
      req.actions = {"self-healing"};
      std::vector<Diagnostic> diags;
      auto r = engine_->Apply(req, &diags);
      st = r.ok() ? Status::OK() : r.status();
      did = "failures of " + e->node + " go to the dead-letter sink" +
            (r.ok() ? " (v" + std::to_string(r->version) + ")" : "");
    } else if (s == "rollback-version") {
      // The newest earlier version whose own time the history measured
      // under the threshold. Periods come from the audit log (newest first).
      int target = 0;
      int64_t end_ms = now_ms;
      for (const auto& a : in.audit) {
        if (a.result != "ok" || (a.action != "apply" && a.action != "rollback")) continue;
        json args = json::parse(a.arguments, nullptr, false);
        int v = args.is_object() ? args.value("version", 0) : 0;
        int64_t start = a.time_ms;
        if (v > 0 && v != in.version) {
          // The next version's audit record is written once it runs: its
          // first samples come before it.
          auto m = Measure(in, rule, start + kHealSettleMs, end_ms - 2000);
          if (m && m->covered_s >= 2 && m->value <= rule.threshold) {
            target = v;
            break;
          }
        }
        end_ms = start;
      }
      if (target == 0) {
        skipped.push_back(s + " (no earlier version measured healthy in the history read, " +
                          in.since + ")");
        continue;
      }
      auto r = engine_->Rollback(name, target, caller, reason, {"self-healing"});
      st = r.ok() ? Status::OK() : r.status();
      did = "rolled back to v" + std::to_string(target);
    } else if (s == "create-incident") {
      json incident = {{"pipeline", name},      {"policy", p.name},
                       {"metric", e->metric},   {"node", e->node},
                       {"symptom", e->symptom}, {"diagnosis", e->diagnosis},
                       {"tried", e->tried},     {"started_ms", e->started_ms}};
      json delivery = json::object();
      if (!p.incident_webhook.empty()) delivery = PostWebhook(p.incident_webhook, incident.dump());
      Audit(name, "create-incident", reason, {{"incident", incident}, {"delivery", delivery}},
            delivery.value("delivered", true)
                ? Status::OK()
                : Status::Unavailable(delivery.value("error", std::string("not delivered"))));
      e->tried.push_back(s);
      done->push_back(name + ": create-incident: " + e->symptom);
      continue;  // it changes nothing: the next strategy follows
    }
    e->tried.push_back(s);
    if (!skipped.empty())
      Audit(name, "self-healing-skip", "skipped for " + e->symptom + ": " + Join(skipped, "; "),
            {{"policy", p.name}}, Status::OK());
    skipped.clear();
    pipelines_[name].last_action_ms = now_ms;
    if (st.code() == StatusCode::kPendingApproval) {
      e->current = s;
      e->acted_ms = 0;
      e->approval = st.message().substr(0, st.message().find(':'));
      done->push_back(name + ": " + s + " held for approval " + e->approval);
      spdlog::info("self-healing: {}: {} held: {}", name, s, st.message());
      return;
    }
    if (!st.ok()) {
      spdlog::warn("self-healing: {}: {} failed: {}", name, s, st.message());
      done->push_back(name + ": " + s + " failed: " + st.message());
      continue;
    }
    e->current = s;
    e->acted_ms = now_ms;
    done->push_back(name + ": " + s + ": " + did);
    spdlog::info("self-healing: {}: {}: {} ({})", name, s, did, e->symptom);
    return;
  }
  if (!skipped.empty())
    Audit(name, "self-healing-skip", "skipped for " + e->symptom + ": " + Join(skipped, "; "),
          {{"policy", p.name}}, Status::OK());
  e->exhausted = true;
  Audit(name, "self-healing-exhausted",
        "no strategy left for " + e->symptom + "; tried: " + Strategies(e->tried),
        {{"policy", p.name}, {"metric", e->metric}}, Status::OK());
  done->push_back(name + ": no strategy left for " + e->symptom);
}

void Healer::Heal(const std::string& name, const HealingPolicy& p, const HealingDetection& rule,
                  const OpsInput& in, int64_t now_ms, std::vector<std::string>* done) {
  PipelineState& ps = pipelines_[name];
  const std::string key = p.name + "/" + rule.metric;
  const int64_t window_ms = rule.window_s * 1000;
  auto it = ps.episodes.find(key);
  if (it != ps.episodes.end()) {
    Episode& e = it->second;
    if (!e.approval.empty()) {
      const governance::Gate* gate = engine_->gate();
      auto a = gate ? gate->Get(e.approval) : Result<governance::Approval>(Status::NotFound(""));
      // Approved but not yet run (the approver's call is running it).
      if (a.ok() && (a->state == "pending" || (a->state == "approved" && a->result.empty())))
        return;
      if (a.ok() && a->state == "approved" && a->result == "ok") {
        e.acted_ms = std::max(a->decided_ms, now_ms - 1000);
        e.approval.clear();
        return;
      }
      Outcome(
          name, p, &e, false,
          e.current + " for " + e.symptom + " was not run: approval " + e.approval + " " +
              (a.ok() ? a->state + (a->result.empty() ? "" : " (" + a->result + ")") : "is gone"),
          false);
    } else if (e.acted_ms > 0) {
      // Recovered? Measured over a full window after the warm-up.
      const int64_t from = e.acted_ms + kHealSettleMs;
      auto m = Measure(in, rule, std::max(from, now_ms - window_ms), now_ms);
      if (now_ms - from < window_ms * kCoverage || !m || m->covered_s < rule.window_s * kCoverage) {
        // Not measured yet; a pipeline with no traffic at all after a
        // window and a half has not recovered.
        if (now_ms - from < window_ms * 3 / 2) return;
      }
      const bool recovered = m && m->value <= rule.threshold;
      Outcome(name, p, &e, recovered,
              std::string(recovered ? "recovered" : "not recovered") + " after " + e.current +
                  ": " + rule.metric + " " +
                  (m ? FormatMeasure(rule, m->value) + " over " + Num(m->covered_s) + " s"
                     : std::string("not measured (no samples)")) +
                  ", threshold " + FormatMeasure(rule, rule.threshold) + " (was " + e.symptom + ")",
              true);
      if (recovered) {
        ps.episodes.erase(it);
        return;
      }
    }
    if (e.exhausted) {
      auto m = Measure(in, rule, std::max(in.version_since_ms + kHealSettleMs, now_ms - window_ms),
                       now_ms);
      if (m && m->covered_s >= rule.window_s * kCoverage && m->value <= rule.threshold)
        ps.episodes.erase(it);
      return;
    }
    Act(name, p, rule, in, &e, now_ms, done);
    return;
  }
  // Detection: a full window of this version's samples past the warm-up.
  const int64_t from = std::max(
      {in.version_since_ms + kHealSettleMs, ps.last_action_ms + kHealSettleMs, now_ms - window_ms});
  auto m = Measure(in, rule, from, now_ms);
  if (!m || m->covered_s < rule.window_s * kCoverage || m->value <= rule.threshold) return;
  Episode e;
  e.policy = p.name;
  e.metric = rule.metric;
  e.node = m->node;
  e.started_ms = now_ms;
  e.symptom = rule.metric + (m->node.empty() ? "" : " of " + m->node) + " " +
              FormatMeasure(rule, m->value) + " > " + FormatMeasure(rule, rule.threshold) +
              " over " + Num(m->covered_s) + " s";
  std::vector<std::string> found;
  if (p.diagnosis) {
    OpsInput w = in;
    w.since = std::to_string(rule.window_s) + "s";
    w.points.clear();
    for (const auto& pt : in.points)
      if (pt.ts_ms >= from) w.points.push_back(pt);
    DebugReport r = DebugPipeline(w);
    for (const auto& f : r.findings)
      if (found.size() < 3) found.push_back(FindingId(f) + ": " + f.title);
    e.diagnosis = found.empty() ? "diagnosis: no finding" : "diagnosis: " + Join(found, "; ");
    if (!p.diagnosis_model.empty() && !r.findings.empty()) {
      size_t colon = p.diagnosis_model.find(':');
      auto n = NarrateDebugReport(r, p.diagnosis_model.substr(0, colon),
                                  p.diagnosis_model.substr(colon + 1), env_);
      e.diagnosis += n.ok() ? "; " + n->model + ": " + n->text
                            : "; narrative unavailable: " + n.status().message();
    }
  }
  e.order = OrderStrategies(p, ps.learnings[rule.metric], SharedLearnings(name, rule.metric));
  Audit(name, "self-healing-detect", e.symptom + (e.diagnosis.empty() ? "" : "; " + e.diagnosis),
        {{"policy", p.name},
         {"metric", rule.metric},
         {"node", m->node},
         {"value", m->value},
         {"threshold", rule.threshold},
         {"window_s", rule.window_s},
         {"order", e.order}},
        Status::OK());
  done->push_back(name + ": detected " + e.symptom + "; order " + Join(e.order, ", "));
  Episode& stored = ps.episodes[key] = std::move(e);
  Act(name, p, rule, in, &stored, now_ms, done);
}

std::vector<std::string> Healer::EvaluateAt(int64_t now_ms) {
  std::vector<std::string> done;
  auto api = LocalEngineApi(engine_);
  std::lock_guard<std::mutex> lk(mu_);
  for (const auto& info : engine_->List()) {
    auto full = engine_->Get(info.name);
    if (!full.ok()) continue;
    PipelineState& ps = pipelines_[info.name];
    auto policies = PoliciesOf(full->yaml, ps);
    bool share = false;
    for (const auto& p : policies) share = share || (p.learning && p.share_learnings);
    sharing_[info.name] = share;
    // Episodes of rules the running document no longer has end here.
    for (auto e = ps.episodes.begin(); e != ps.episodes.end();) {
      bool kept = false;
      for (const auto& p : policies)
        for (const auto& r : p.detection) kept = kept || e->first == p.name + "/" + r.metric;
      e = kept ? std::next(e) : ps.episodes.erase(e);
    }
    if (policies.empty() || full->state != "running") continue;
    // Three windows back, at least 10 min (what rollback-version searches
    // for a healthy version): the 1-s tier when that is under its hour.
    int64_t span = 600;
    for (const auto& p : policies)
      for (const auto& r : p.detection) span = std::max(span, 3 * r.window_s);
    auto in = GatherOpsInput(*api, info.name, std::to_string(span) + "s");
    if (!in.ok()) continue;
    in->registry = &engine_->registry();
    for (const auto& p : policies)
      for (const auto& rule : p.detection) Heal(info.name, p, rule, in.value(), now_ms, &done);
  }
  return done;
}

Result<json> Healer::Describe(const std::string& pipeline) const {
  auto info = engine_->Get(pipeline);
  if (!info.ok()) return info.status();
  std::lock_guard<std::mutex> lk(mu_);
  PipelineState none;
  auto it = pipelines_.find(pipeline);
  const PipelineState& s = it == pipelines_.end() ? none : it->second;
  auto policies = PoliciesOf(info->yaml, s);
  json j = {{"pipeline", pipeline}, {"enabled", !policies.empty()}};
  json pj = json::array();
  for (const auto& p : policies) {
    json rules = json::array();
    for (const auto& r : p.detection)
      rules.push_back({{"metric", r.metric},
                       {"threshold", FormatMeasure(r, r.threshold)},
                       {"window_s", r.window_s}});
    pj.push_back({{"name", p.name},
                  {"detection", rules},
                  {"strategies", p.strategies},
                  {"learning", p.learning},
                  {"share_learnings", p.share_learnings}});
  }
  j["policies"] = pj;
  json ep = json::array();
  for (const auto& [key, e] : s.episodes)
    ep.push_back({{"policy", e.policy},
                  {"metric", e.metric},
                  {"node", e.node},
                  {"symptom", e.symptom},
                  {"diagnosis", e.diagnosis},
                  {"tried", e.tried},
                  {"current", e.current},
                  {"approval", e.approval},
                  {"exhausted", e.exhausted}});
  j["episodes"] = ep;
  json l = json::object();
  for (const auto& [metric, by] : s.learnings)
    for (const auto& [strategy, t] : by)
      l[metric][strategy] = {{"tried", t.tried}, {"recovered", t.recovered}};
  j["learnings"] = l;
  std::optional<PipelineSpec> spec = LoadSpec(info->yaml);
  const bool own = spec && !spec->healing.empty();
  std::string how = policies.empty() ? "off"
                    : own            ? "on"
                          : "on (the default policy auto-recovery: the document has none)";
  j["message"] = "self-healing " + how + " for " + pipeline;
  return j;
}

Result<json> Healer::Enable(const std::string& pipeline, bool enabled) {
  if (auto info = engine_->Get(pipeline); !info.ok()) return info.status();
  {
    std::lock_guard<std::mutex> lk(mu_);
    PipelineState& s = pipelines_[pipeline];
    s.enabled = enabled;
    if (!enabled) s.episodes.clear();
    FLOWCTL_RETURN_IF_ERROR(SaveLocked());
  }
  return Describe(pipeline);
}

std::string HealingSummary(const json& d) {
  std::string out = d.value("message", "");
  for (const auto& p : d.value("policies", json::array())) {
    std::vector<std::string> rules;
    for (const auto& r : p.value("detection", json::array()))
      rules.push_back(r.value("metric", "") + " > " + r.value("threshold", "") + " over " +
                      std::to_string(r.value("window_s", 0)) + " s");
    out += "\n  policy " + p.value("name", "") + ": " + Join(rules, ", ") + "; strategies " +
           Join(p.value("strategies", std::vector<std::string>{}), ", ") +
           (p.value("learning", false)
                ? " (learning" + std::string(p.value("share_learnings", false) ? ", shared)" : ")")
                : "");
  }
  for (const auto& e : d.value("episodes", json::array()))
    out += "\n  episode: " + e.value("symptom", "") + "; tried " +
           Strategies(e.value("tried", std::vector<std::string>{})) +
           (e.value("approval", "").empty() ? ""
                                            : "; waiting for approval " + e.value("approval", "")) +
           (e.value("exhausted", false) ? "; no strategy left" : "");
  const json learnings = d.value("learnings", json::object());
  for (const auto& [metric, by] : learnings.items())
    for (const auto& [strategy, t] : by.items())
      out += "\n  learned: " + strategy + " recovered " + metric + " " +
             std::to_string(t.value("recovered", 0)) + " of " +
             std::to_string(t.value("tried", 0)) + " times";
  return out;
}

void Healer::Start() {
  loop_.Start(std::chrono::seconds(2), [this] { EvaluateAt(clock_()); });
}

void Healer::Stop() { loop_.Stop(); }

}  // namespace flowctl::ai
