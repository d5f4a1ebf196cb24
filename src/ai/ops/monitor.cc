// AIMonitor documents on the daemon (ai/monitor.h).
#include "flowctl/ai/monitor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "flowctl/ai/engine_api.h"
#include "flowctl/ai/predict.h"
#include "flowctl/base/clock.h"
#include "flowctl/config/loader.h"
#include "internal.h"

namespace flowctl::ai {

using nlohmann::json;
namespace fs = std::filesystem;
using ops_internal::PostWebhook;
using ops_internal::WriteAtomically;

namespace {

constexpr int64_t kMinCooldownMs = 60'000;

// The monitor of one document, or why not.
Result<MonitorState> LoadMonitor(const std::string& yaml, const std::string& filename,
                                 std::vector<Diagnostic>* diagnostics) {
  config::LoadOptions lo;
  lo.use_env = false;
  lo.template_files = false;
  auto r = config::LoadString(yaml, filename, lo);
  if (diagnostics) *diagnostics = r.diagnostics;
  if (!r.ok()) {
    std::string msg;
    for (const auto& d : r.diagnostics)
      if (d.severity == Diagnostic::Severity::kError) {
        msg = d.ToString();
        break;
      }
    return Status::Invalid(msg);
  }
  if (r.documents.size() != 1 || r.documents[0].kind != "AIMonitor")
    return Status::Invalid(filename +
                           ": one AIMonitor document per apply (pipelines go in their own)");
  MonitorState m;
  m.name = r.documents[0].metadata.name;
  m.yaml = yaml;
  m.spec = r.documents[0].monitor;
  return m;
}

}  // namespace

std::string MonitorDocumentFor(const std::string& pipeline) {
  return "apiVersion: monitoring.obsrvr.com/v1\n"
         "kind: AIMonitor\n"
         "metadata:\n"
         "  name: " +
         pipeline +
         "-monitor\n"
         "spec:\n"
         "  targets:\n"
         "    - pipeline: " +
         pipeline +
         "\n"
         "  interval: 30s\n"
         "  predictions:\n"
         "    - type: failure-prediction\n"
         "      alert-threshold: 0.8\n"
         "      advance-warning: 30m\n"
         "    - type: capacity-planning\n"
         "      metrics: [throughput, latency, error-rate]\n"
         "      forecast-window: 7d\n"
         "    - type: anomaly-prediction\n"
         "      sensitivity: medium\n"
         "  actions:\n"
         "    on-predicted-failure:\n"
         "      - notify: ops-team   # or {to: ops-team, webhook: https://...}\n"
         "      - prepare: rollback-plan\n";
}

bool GlobMatch(const std::string& glob, const std::string& name) {
  size_t g = 0, n = 0, star = std::string::npos, mark = 0;
  while (n < name.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == name[n])) {
      ++g;
      ++n;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      mark = n;
    } else if (star != std::string::npos) {
      g = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

Monitors::Monitors(engine::Engine* engine, std::string dir, Clock clock)
    : engine_(engine), dir_(std::move(dir)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return UnixMs(); };
}

Monitors::~Monitors() { Stop(); }

Result<std::unique_ptr<Monitors>> Monitors::Open(engine::Engine* engine, const std::string& dir,
                                                 Clock clock) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create " + dir + ": " + ec.message());
  std::unique_ptr<Monitors> m(new Monitors(engine, dir, std::move(clock)));
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    json j = json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("yaml")) continue;
    auto state = LoadMonitor(j.value("yaml", ""), entry.path().string(), nullptr);
    if (!state.ok()) {
      std::cerr << "flowctl: monitor " << entry.path()
                << " does not load: " << state.status().message() << "\n";
      continue;
    }
    state->version = j.value("version", 1);
    m->monitors_[state->name] = std::move(state).value();
  }
  return m;
}

Result<MonitorState> Monitors::Apply(const std::string& yaml, const std::string& filename,
                                     const std::string& caller, bool dry_run,
                                     std::vector<Diagnostic>* diagnostics) {
  auto state = LoadMonitor(yaml, filename, diagnostics);
  if (!state.ok()) return state.status();
  MonitorState m = std::move(state).value();
  std::lock_guard<std::mutex> lk(mu_);
  auto it = monitors_.find(m.name);
  m.version = it == monitors_.end() ? 1 : it->second.version + (it->second.yaml == yaml ? 0 : 1);
  if (dry_run) return m;
  Status st = WriteAtomically((fs::path(dir_) / (m.name + ".json")).string(),
                              json{{"version", m.version}, {"yaml", yaml}}.dump());
  store::AuditRecord a;
  a.time_ms = clock_();
  a.caller = caller;
  a.action = "apply-monitor";
  a.target = m.name;
  a.arguments = json{{"version", m.version}, {"filename", filename}}.dump();
  a.result = st.ok() ? "ok" : st.ToString();
  (void)engine_->Audit(a);
  if (!st.ok()) return st;
  if (it != monitors_.end()) m.alerts = it->second.alerts;  // history stays
  monitors_[m.name] = m;
  loop_.Wake();
  return m;
}

bool Monitors::IsMonitor(const std::string& yaml) {
  if (yaml.find("AIMonitor") == std::string::npos) return false;
  config::LoadOptions lo;
  lo.use_env = false;
  lo.template_files = false;
  auto r = config::LoadString(yaml, "<request>", lo);
  for (const auto& d : r.documents)
    if (d.kind == "AIMonitor") return true;
  return false;
}

Status Monitors::Delete(const std::string& name, const std::string& caller) {
  std::lock_guard<std::mutex> lk(mu_);
  if (monitors_.erase(name) == 0) return Status::NotFound("no monitor '" + name + "'");
  std::error_code ec;
  fs::remove(fs::path(dir_) / (name + ".json"), ec);
  store::AuditRecord a;
  a.time_ms = clock_();
  a.caller = caller;
  a.action = "delete-monitor";
  a.target = name;
  a.arguments = "{}";
  a.result = "ok";
  (void)engine_->Audit(a);
  return Status::OK();
}

std::vector<MonitorState> Monitors::List() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<MonitorState> out;
  for (const auto& [name, m] : monitors_) out.push_back(m);
  return out;
}

bool Monitors::Has(const std::string& name) const {
  std::lock_guard<std::mutex> lk(mu_);
  return monitors_.count(name) > 0;
}

void Monitors::EvaluateAt(int64_t now_ms) {
  std::lock_guard<std::mutex> run(run_mu_);
  std::vector<MonitorState> due;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& [name, m] : monitors_)
      if (m.last_run_ms == 0 || now_ms - m.last_run_ms >= m.spec.interval_s * 1000)
        due.push_back(m);
  }
  for (auto& m : due) {
    m.alerts.clear();
    Run(&m, now_ms);
    std::lock_guard<std::mutex> lk(mu_);
    auto it = monitors_.find(m.name);
    if (it == monitors_.end() || it->second.version != m.version) continue;  // changed meanwhile
    MonitorState& kept = it->second;
    kept.last_run_ms = now_ms;
    kept.watching = m.watching;
    kept.alerts.insert(kept.alerts.begin(), m.alerts.begin(), m.alerts.end());
    if (kept.alerts.size() > kMaxAlerts) kept.alerts.resize(kMaxAlerts);
  }
}

void Monitors::Run(MonitorState* m, int64_t now_ms) {
  auto api = LocalEngineApi(engine_);
  auto pipelines = api->List();
  if (!pipelines.ok()) return;
  const MonitorSpec& spec = m->spec;
  // One report per pipeline serves every prediction: the longest horizon,
  // the most sensitive anomaly threshold, the longest forecast window.
  PredictOptions o;
  o.horizon_s = 0;
  bool anomalies = false;
  double z_min = HUGE_VAL;
  for (const auto& p : spec.predictions) {
    if (p.type == "failure-prediction") o.horizon_s = std::max(o.horizon_s, p.advance_warning_s);
    if (p.type == "capacity-planning") o.forecast_s = std::max(o.forecast_s, p.forecast_window_s);
    if (p.type == "anomaly-prediction") {
      anomalies = true;
      auto z = SensitivityZ(p.sensitivity);  // checked by the loader
      if (z.ok()) z_min = std::min(z_min, z.value());
    }
  }
  if (anomalies && z_min < HUGE_VAL) o.anomaly_z = z_min;
  // An alert repeats after the longest advance-warning, at least a minute.
  const int64_t cooldown = std::max(kMinCooldownMs, o.horizon_s * 1000);
  m->watching.clear();
  for (const auto& info : pipelines.value()) {
    bool match = false;
    for (const auto& g : spec.targets) match = match || GlobMatch(g, info.name);
    if (!match) continue;
    m->watching.push_back(info.name);
    auto in = GatherOpsInput(*api, info.name, "1h");
    if (!in.ok()) continue;
    PredictionReport r = PredictFailures(in.value(), o);
    std::vector<std::pair<MonitorAlert, const std::vector<MonitorAction>*>> fire;
    for (const auto& p : spec.predictions) {
      if (p.type != "failure-prediction") continue;
      for (const auto& f : r.failures) {
        if (f.score < p.alert_threshold || f.eta_s > static_cast<double>(p.advance_warning_s))
          continue;
        MonitorAlert a;
        a.kind = f.kind;
        a.node = f.node;
        a.title = f.title;
        a.score = f.score;
        a.eta_s = f.eta_s;
        fire.push_back({a, &spec.on_predicted_failure});
      }
    }
    if (anomalies)
      for (const auto& an : r.anomalies) {
        MonitorAlert a;
        a.kind = "anomaly";
        a.node = an.node;
        char buf[160];
        std::snprintf(buf, sizeof buf, "%s %s was %.4g against a usual %.4g (robust z %.1f)",
                      an.node.c_str(), an.metric.c_str(), an.value, an.baseline, an.z);
        a.title = buf;
        a.score = std::fabs(an.z);
        fire.push_back({a, &spec.on_anomaly});
      }
    for (auto& [a, actions] : fire) {
      a.monitor = m->name;
      a.pipeline = info.name;
      a.time_ms = now_ms;
      std::string key = m->name + "|" + a.pipeline + "|" + a.kind + "|" + a.node;
      {
        std::lock_guard<std::mutex> lk(mu_);
        auto it = last_fired_.find(key);
        if (it != last_fired_.end() && now_ms - it->second < cooldown) continue;
        last_fired_[key] = now_ms;
      }
      a.actions = Act(*actions, a);
      m->alerts.push_back(std::move(a));
    }
  }
}

json Monitors::Act(const std::vector<MonitorAction>& actions, const MonitorAlert& a) {
  json done = json::array();
  json alert = ToJson(a);
  alert.erase("actions");
  for (const auto& act : actions) {
    json r = {{"action", act.kind}, {"target", act.target}};
    if (act.kind == "notify") {
      std::cerr << "flowctl: monitor " << a.monitor << " alert for " << act.target << ": "
                << a.pipeline << ": " << a.title << "\n";
      store::AuditRecord rec;
      rec.time_ms = a.time_ms;
      rec.caller = "monitor:" + a.monitor;
      rec.action = "monitor-alert";
      rec.target = a.pipeline;
      rec.arguments = alert.dump();
      rec.result = "ok";
      rec.reasoning = a.title;
      r["audited"] = engine_->Audit(rec).ok();
      if (!act.webhook.empty()) r.update(PostWebhook(act.webhook, alert.dump()));
    } else if (act.kind == "prepare") {
      auto info = engine_->Get(a.pipeline);
      auto versions = engine_->Versions(a.pipeline);
      const store::PipelineVersion* prev = nullptr;
      const store::PipelineVersion* cur = nullptr;
      if (info.ok() && versions.ok())
        for (const auto& v : versions.value()) {
          if (v.version == info->version) cur = &v;
          if (v.version < info->version && (prev == nullptr || v.version > prev->version))
            prev = &v;
        }
      if (prev == nullptr || cur == nullptr) {
        r["plan"] = nullptr;
        r["why"] = "no earlier version to roll back to";
      } else {
        r["plan"] = {
            {"from_version", cur->version},
            {"to_version", prev->version},
            {"diff", engine::UnifiedDiff(cur->yaml, prev->yaml,
                                         a.pipeline + "@v" + std::to_string(cur->version),
                                         a.pipeline + "@v" + std::to_string(prev->version))},
            {"command", "flowctl rollback " + a.pipeline + " --to-version " +
                            std::to_string(prev->version) + " --reason 'monitor " + a.monitor +
                            ": " + a.kind + "'"}};
      }
    } else {
      r["state"] = "waiting";
      r["why"] = "actions that change a pipeline wait for self-healing policies (not built)";
    }
    done.push_back(std::move(r));
  }
  return done;
}

void Monitors::Start() {
  loop_.Start(std::chrono::seconds(1), [this] { EvaluateAt(clock_()); });
}

void Monitors::Stop() { loop_.Stop(); }

json ToJson(const MonitorAlert& a) {
  return {{"monitor", a.monitor}, {"pipeline", a.pipeline}, {"kind", a.kind},
          {"node", a.node},       {"title", a.title},       {"score", a.score},
          {"eta_s", a.eta_s},     {"time_ms", a.time_ms},   {"actions", a.actions}};
}

json ToJson(const MonitorState& m) {
  json alerts = json::array(), predictions = json::array();
  for (const auto& a : m.alerts) alerts.push_back(ToJson(a));
  for (const auto& p : m.spec.predictions)
    predictions.push_back({{"type", p.type}, {"model", p.model}, {"algorithm", p.algorithm}});
  return {{"name", m.name},
          {"version", m.version},
          {"targets", m.spec.targets},
          {"interval_s", m.spec.interval_s},
          {"predictions", predictions},
          {"last_run_ms", m.last_run_ms},
          {"watching", m.watching},
          {"alerts", alerts}};
}

}  // namespace flowctl::ai
