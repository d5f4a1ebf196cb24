#include "flowctl/engine/engine.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "flowctl/ai/decisions.h"
#include "flowctl/base/clock.h"
#include "flowctl/base/strings.h"
#include "flowctl/config/loader.h"
#include "flowctl/engine/metric_feed.h"
#include "flowctl/graph/graph.h"
#include "flowctl/runtime/crash.h"
#include "flowctl/runtime/runtime.h"
#include "flowctl/store/layout.h"
#include "flowctl/store/state_lock.h"
#include "sandbox_paths.h"

namespace flowctl::engine {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string CountersJson(const RunSnapshot& s) {
  json nodes = json::object();
  for (const auto& n : s.nodes)
    nodes[n.id] = {{"in", n.in},
                   {"out", n.out},
                   {"dropped", n.dropped},
                   {"errors", n.errors},
                   {"dead_lettered", n.dead_lettered}};
  return nodes.dump();
}

// One pipeline as it runs here.
struct Deployment {
  std::string name;
  int version = 0;
  std::string yaml;
  std::unique_ptr<Graph> graph;
  std::unique_ptr<Run> run;
  int64_t run_id = 0;
  bool finished = false;  // the run ended and was recorded
  RunSnapshot last;       // snapshot at the end
  int64_t last_update_ms = 0;
  MetricFeed feed;  // samples for the metric history
};

}  // namespace

class Engine::Impl {
 public:
  explicit Impl(EngineOptions o) : opts_(std::move(o)) { RegisterBuiltins(registry_); }
  ~Impl() { Shutdown(); }

  Status Init() {
    if (opts_.state_dir.empty()) {
      auto s = store::Store::OpenInMemory();
      if (!s.ok()) return s.status();
      store_ = std::move(s).value();
      auto h = store::MetricHistory::Open(":memory:");
      if (!h.ok()) return h.status();
      history_ = std::move(h).value();
    } else {
      std::error_code ec;
      fs::create_directories(opts_.state_dir, ec);
      if (ec)
        return Status::IoError("cannot create state dir " + opts_.state_dir + ": " + ec.message());
      // Before the store: a second owner must not even mark the first
      // one's running pipelines as interrupted.
      store::StateDirOwner me;
      me.command = opts_.owner;
      auto lock = store::StateDirLock::Acquire(opts_.state_dir, me);
      if (!lock.ok()) return lock.status();
      lock_ = std::move(lock).value();
      auto s = store::Store::Open((fs::path(opts_.state_dir) / "flowctl.db").string());
      if (!s.ok()) return s.status();
      store_ = std::move(s).value();
      auto h = store::MetricHistory::Open((fs::path(opts_.state_dir) / "metrics.db").string());
      if (!h.ok()) return h.status();
      history_ = std::move(h).value();
      CountCrash();
      auto interrupted = store_->MarkInterruptedRuns();
      if (interrupted.ok() && interrupted.value() > 0)
        spdlog::warn("{} run(s) were interrupted by a crash; resuming from checkpoints",
                     interrupted.value());
    }
    if (opts_.recover) Recover();
    supervisor_ = std::thread([this] { Supervise(); });
    return Status::OK();
  }

  // ---- documents ------------------------------------------------------

  struct Built {
    std::unique_ptr<Graph> graph;
    std::string canonical_yaml;
  };

  Result<Built> Build(const std::string& yaml, const std::string& filename,
                      const std::map<std::string, std::string>& vars,
                      const std::vector<std::pair<std::string, std::string>>& sets,
                      const std::vector<std::pair<std::string, std::string>>& params,
                      std::vector<Diagnostic>* diags, bool use_env = false,
                      const Sandbox* sandbox = nullptr) const {
    config::LoadOptions lo;
    lo.vars = vars;
    lo.overrides = sets;
    lo.params = params;
    lo.use_env = use_env;
    // Only a local caller (the one whose environment counts) has files
    // beside its document; a daemon's callers' paths mean nothing here.
    lo.template_files = use_env;
    auto loaded = config::LoadString(yaml, filename, lo);
    for (auto& d : loaded.diagnostics) diags->push_back(d);
    if (!loaded.ok()) return Status::Invalid("the document is invalid");
    const Document* doc = nullptr;
    int pipelines = 0;
    for (const auto& d : loaded.documents)
      if (d.Runnable()) {
        doc = &d;
        ++pipelines;
      }
    if (pipelines != 1)
      return Status::Invalid("expected exactly one Pipeline document, found " +
                             std::to_string(pipelines));
    if (sandbox != nullptr) {
      auto refused = CheckSandboxPaths(doc->pipeline, registry_, *sandbox);
      if (!refused.empty()) {
        std::string first = refused.front().message;
        for (auto& d : refused) diags->push_back(std::move(d));
        return Status::Invalid("pipeline '" + doc->pipeline.metadata.name +
                               "' names files outside the data roots: " + first);
      }
    }
    BuildResult b = BuildGraph(doc->pipeline, registry_);
    for (auto& d : b.diagnostics) diags->push_back(d);
    if (!b.ok())
      return Status::Invalid("pipeline '" + doc->pipeline.metadata.name + "' is invalid");
    Built out;
    out.canonical_yaml = config::ToYaml(b.graph->spec());
    out.graph = std::move(b.graph);
    return out;
  }

  // ---- runs -------------------------------------------------------------

  RuntimeOptions RunOptions(bool sandboxed) const {
    RuntimeOptions ro;
    ro.workers = opts_.workers;
    if (sandboxed) ro.sandbox = opts_.sandbox;
    if (!opts_.state_dir.empty()) ro.state_dir = store::CheckpointRoot(opts_.state_dir);
    return ro;
  }

  // Starts graph as the running deployment of its pipeline. mu_ held.
  // sandboxed = false only for a person's own apply (ApplyRequest::sandbox).
  Status StartLocked(std::unique_ptr<Graph> graph, int version, const std::string& yaml,
                     bool sandboxed = true) {
    auto d = std::make_unique<Deployment>();
    d->name = graph->spec().metadata.name;
    d->version = version;
    d->yaml = yaml;
    d->graph = std::move(graph);
    auto run = Run::Create(*d->graph, RunOptions(sandboxed));
    if (!run.ok()) return run.status();
    d->run = std::move(run).value();
    FLOWCTL_RETURN_IF_ERROR(d->run->Start());
    auto run_id = store_->StartRun(d->name, version);
    if (run_id.ok()) d->run_id = run_id.value();
    d->last_update_ms = UnixMs();
    deployments_[d->name] = std::move(d);
    return Status::OK();
  }

  // Drains and records the current run of name, if any. mu_ held.
  void StopLocked(const std::string& name) {
    auto it = deployments_.find(name);
    if (it == deployments_.end()) return;
    Deployment& d = *it->second;
    if (!d.finished) {
      d.run->Cancel();
      Status st = d.run->Wait();
      RecordEnd(d, st);
    }
  }

  // One sample per node per second into the metric history. mu_ held.
  void Sample(Deployment& d, const RunSnapshot& snap, int64_t now, bool last = false) {
    Status st = d.feed.RecordInto(*history_, d.name, snap, now, last);
    if (!st.ok()) spdlog::warn("metric history: {}", st.message());
  }

  void RecordEnd(Deployment& d, const Status& st) {
    d.finished = true;
    d.last = d.run->Snapshot();
    Sample(d, d.last, UnixMs(), true);
    if (d.run_id)
      (void)store_->FinishRun(d.run_id, d.last.state, st.ok() ? "" : st.message(),
                              CountersJson(d.last));
    if (!st.ok()) spdlog::warn("pipeline '{}' {}: {}", d.name, d.last.state, st.message());
    // A bounded pipeline that finished is done: a restart must not run it
    // again (a generator would produce its events twice).
    if (d.last.state == "succeeded") (void)store_->SetDesiredState(d.name, "completed");
  }

  // Audit records past the shortest retention of the governance policies.
  Result<int> PruneAudit(int64_t now) {
    int64_t keep_s = opts_.gate ? opts_.gate->RetentionS() : 0;
    if (keep_s <= 0) return 0;
    return store_->PruneAudit(now - keep_s * 1000);
  }

  void Supervise() {
    std::unique_lock<std::mutex> lk(mu_);
    int64_t last_prune_ms = 0;
    while (!stopping_) {
      cv_.wait_for(lk, std::chrono::milliseconds(200));
      int64_t now = UnixMs();
      if (now - last_prune_ms >= 60000) {
        last_prune_ms = now;
        auto pruned = PruneAudit(now);
        if (pruned.ok() && pruned.value() > 0)
          spdlog::info("pruned {} audit record(s) past the governance retention", pruned.value());
      }
      bool sample = now - last_sample_ms_ >= 1000;
      if (sample) last_sample_ms_ = now;
      for (auto& [name, d] : deployments_) {
        if (d->finished) continue;
        if (sample) Sample(*d, d->run->Snapshot(), now);
        if (d->run->WaitFor(0)) {
          Status st = d->run->Wait();
          RecordEnd(*d, st);
        } else if (now - d->last_update_ms > 5000 && d->run_id) {
          (void)store_->UpdateRun(d->run_id, CountersJson(d->run->Snapshot()));
          d->last_update_ms = now;
        }
      }
    }
  }

  // ---- crashes ------------------------------------------------------------
  // STATE/crash.record names the pipeline whose worker died of a fatal
  // signal (runtime/crash.h); STATE/crash-counts keeps "COUNT NAME" lines of
  // consecutive crashes, cleared by an apply of that pipeline.

  std::string StatePath(const char* file) const {
    return (fs::path(opts_.state_dir) / file).string();
  }

  std::map<std::string, int> ReadCrashCounts() const {
    std::map<std::string, int> counts;
    std::ifstream in(StatePath("crash-counts"));
    int n;
    std::string name;
    while (in >> n && std::getline(in >> std::ws, name)) counts[name] = n;
    return counts;
  }

  void WriteCrashCounts(const std::map<std::string, int>& counts) const {
    std::string tmp = StatePath("crash-counts.tmp");
    {
      std::ofstream out(tmp, std::ios::trunc);
      for (const auto& [name, n] : counts) out << n << " " << name << "\n";
    }
    std::rename(tmp.c_str(), StatePath("crash-counts").c_str());
  }

  void CountCrash() {
    std::string crashed = TakeCrashRecord(StatePath("crash.record"));
    InstallCrashRecorder(StatePath("crash.record"));
    if (crashed.empty()) return;
    auto counts = ReadCrashCounts();
    int n = ++counts[crashed];
    WriteCrashCounts(counts);
    spdlog::error(
        "the last run of this process died of a fatal signal in pipeline '{}' ({} in a row)",
        crashed, n);
  }

  void ClearCrashes(const std::string& name) {
    if (opts_.state_dir.empty()) return;
    auto counts = ReadCrashCounts();
    if (counts.erase(name)) WriteCrashCounts(counts);
  }

  // Quarantines name instead of resuming it when it keeps crashing the
  // process. mu_ held.
  bool QuarantineLocked(const std::string& name) {
    if (opts_.state_dir.empty() || opts_.quarantine_after <= 0) return false;
    auto counts = ReadCrashCounts();
    auto it = counts.find(name);
    if (it == counts.end() || it->second < opts_.quarantine_after) return false;
    (void)store_->SetDesiredState(name, "quarantined");
    std::string why = QuarantineReason(it->second);
    store::AuditRecord a;
    a.caller = "engine";
    a.action = "quarantine";
    a.target = name;
    a.time_ms = UnixMs();
    a.result = "ok";
    a.reasoning = why;
    (void)store_->Audit(a);
    spdlog::error("pipeline '{}' quarantined: {}", name, why);
    return true;
  }

  static std::string QuarantineReason(int crashes) {
    return "crashed the process " + std::to_string(crashes) +
           " times in a row; not resumed (fix it and apply it again)";
  }

  void Recover() {
    auto pipelines = store_->ListPipelines();
    if (!pipelines.ok()) return;
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& p : pipelines.value()) {
      if (p.desired_state != "running") continue;
      if (QuarantineLocked(p.name)) continue;
      auto v = store_->GetVersion(p.name, p.current_version);
      if (!v.ok()) continue;
      std::vector<Diagnostic> diags;
      auto built = Build(v->yaml, p.name + "@v" + std::to_string(v->version), {}, {}, {}, &diags,
                         false, opts_.sandbox.get());
      Status st =
          built.ok() ? StartLocked(std::move(built->graph), v->version, v->yaml) : built.status();
      if (st.ok())
        spdlog::info("recovered pipeline '{}' v{}", p.name, v->version);
      else
        spdlog::error("cannot recover pipeline '{}' v{}: {}", p.name, v->version, st.message());
    }
  }

  // Makes version current again and starts it. mu_ held.
  Status RestartVersionLocked(const std::string& name, int version) {
    auto v = store_->GetVersion(name, version);
    if (!v.ok()) return v.status();
    std::vector<Diagnostic> diags;
    auto built = Build(v->yaml, name + "@v" + std::to_string(version), {}, {}, {}, &diags, false,
                       opts_.sandbox.get());
    if (!built.ok()) return built.status();
    FLOWCTL_RETURN_IF_ERROR(store_->SetCurrentVersion(name, version));
    return StartLocked(std::move(built->graph), version, v->yaml);
  }

  static bool IsProduction(const std::map<std::string, std::string>& labels) {
    for (const char* key : {"environment", "env"}) {
      auto it = labels.find(key);
      if (it != labels.end() && (it->second == "production" || it->second == "prod")) return true;
    }
    return false;
  }

  // The labels of a pipeline's current version ({} when it has none).
  std::map<std::string, std::string> LabelsLocked(const std::string& name) const {
    auto v = store_->GetVersion(name, 0);
    if (!v.ok()) return {};
    auto loaded = config::LoadString(v->yaml, name, config::LoadOptions{});
    if (!loaded.ok() || loaded.documents.empty()) return {};
    return loaded.documents[0].metadata.labels;
  }

  // Whether a change asks the gate: without a policy it allows everything,
  // so the labels and the cost it would look at are not worth computing.
  bool Governed(bool gated) const { return gated && opts_.gate && opts_.gate->HasPolicies(); }

  // The governance gate (governance/gate.h): OK when no policy holds the
  // action; else a pending approval and kPendingApproval naming it.
  Status GovernLocked(const std::vector<std::string>& kinds, const std::string& name,
                      const std::map<std::string, std::string>& labels, const std::string& caller,
                      const std::string& reason, const PipelineSpec* spec, const json& request) {
    if (!opts_.gate) return Status::OK();
    governance::Action a;
    a.kinds = kinds;
    a.pipeline = name;
    a.labels = labels;
    a.caller = caller;
    a.reason = reason;
    a.request = request;
    if (spec && opts_.estimate_cost_per_h)
      a.estimated_cost_per_h = opts_.estimate_cost_per_h(*spec);
    governance::Verdict v = opts_.gate->Evaluate(a);
    if (!v.hold) return Status::OK();
    auto held = opts_.gate->Hold(a, v);
    if (!held.ok()) return held.status();
    return Status(StatusCode::kPendingApproval,
                  held->id + ": " + v.why + " on '" + name + "' needs an approval by " +
                      Join(v.approvers, " or ") + (v.human_confirmation ? " (a person)" : "") +
                      " (policy " + v.policy + "); they run `flowctl approvals approve " +
                      held->id + "`");
  }

  void AuditLocked(const std::string& caller, const std::string& action, const std::string& target,
                   const json& args, const Status& result, const std::string& reason) {
    store::AuditRecord r;
    r.time_ms = UnixMs();
    r.caller = caller;
    r.action = action;
    r.target = target;
    r.arguments = args.dump();
    r.result = result.ok() ? "ok" : result.ToString();
    r.reasoning = reason;
    (void)store_->Audit(r);
  }

  // ---- API ----------------------------------------------------------------

  Result<ApplyResult> Apply(const ApplyRequest& req, std::vector<Diagnostic>* diags,
                            bool gated = true) {
    std::lock_guard<std::mutex> lk(mu_);
    auto built = Build(req.yaml, req.filename, req.vars, req.sets, req.params, diags, req.use_env,
                       req.sandbox ? opts_.sandbox.get() : nullptr);
    json args = {{"dry_run", req.dry_run}, {"filename", req.filename}};
    if (!built.ok()) {
      if (!req.dry_run) AuditLocked(req.caller, "apply", "", args, built.status(), req.reason);
      return built.status();
    }
    ApplyResult r;
    r.name = built->graph->spec().metadata.name;
    r.dry_run = req.dry_run;
    r.plan = built->graph->ToPlanText();
    for (const auto& d : *diags)
      if (d.severity != Diagnostic::Severity::kError) r.diagnostics.push_back(d);
    auto current = store_->GetPipeline(r.name);
    std::string before;
    int current_version = 0;
    if (current.ok()) {
      current_version = current->current_version;
      auto v = store_->GetVersion(r.name, current_version);
      if (v.ok()) before = v->yaml;
    }
    r.diff =
        UnifiedDiff(before, built->canonical_yaml,
                    current_version ? r.name + "@v" + std::to_string(current_version) : "/dev/null",
                    r.name + "@new");
    auto dep = deployments_.find(r.name);
    bool running = dep != deployments_.end() && !dep->second->finished;
    r.unchanged = current_version > 0 && before == built->canonical_yaml && running;
    if (req.dry_run) {
      r.version = r.unchanged ? current_version : current_version + 1;
      r.state = running ? "running" : "not running";
      return r;
    }
    args["name"] = r.name;
    if (r.unchanged) {
      r.version = current_version;
      r.state = "running";
      AuditLocked(req.caller, "apply", r.name, args, Status::OK(), req.reason);
      return r;
    }
    if (Governed(gated)) {
      const PipelineSpec& spec = built->graph->spec();
      std::vector<std::string> kinds = {"create-new-pipeline"};
      auto labels = spec.metadata.labels;
      if (current_version > 0) {
        // The running version's labels count too: relabelling a production
        // pipeline does not make its change a non-production one.
        auto old = config::LoadString(before, r.name, config::LoadOptions{});
        if (old.ok() && !old.documents.empty())
          for (const auto& [k, v] : old.documents[0].metadata.labels) labels.emplace(k, v);
        kinds = {"modify-pipeline"};
        if (IsProduction(labels)) kinds.insert(kinds.begin(), "modify-production-pipeline");
      }
      kinds.insert(kinds.begin(), req.actions.begin(), req.actions.end());
      json request = {{"op", "apply"},         {"yaml", req.yaml}, {"filename", req.filename},
                      {"vars", req.vars},      {"sets", req.sets}, {"params", req.params},
                      {"sandbox", req.sandbox}};
      Status g = GovernLocked(kinds, r.name, labels, req.caller, req.reason, &spec, request);
      if (!g.ok()) {
        AuditLocked(req.caller, "apply", r.name, args, g, req.reason);
        return g;
      }
    }
    auto version = store_->PutVersion(r.name, built->canonical_yaml, req.caller);
    if (!version.ok()) return version.status();
    r.version = version.value();
    StopLocked(r.name);
    ClearCrashes(r.name);  // applied again: a quarantine ends, the count restarts
    Status st = StartLocked(std::move(built->graph), r.version, built->canonical_yaml, req.sandbox);
    args["version"] = r.version;
    AuditLocked(req.caller, "apply", r.name, args, st, req.reason);
    if (!st.ok()) {
      // The new version cannot start: bring back the one that ran before.
      Status restored = running ? RestartVersionLocked(r.name, current_version) : Status::OK();
      if (!running || !restored.ok()) (void)store_->SetDesiredState(r.name, "stopped");
      return Status(st.code(),
                    "version " + std::to_string(r.version) + " cannot start: " + st.message() +
                        (running && restored.ok()
                             ? "; version " + std::to_string(current_version) + " is running again"
                             : ""));
    }
    r.state = "running";
    return r;
  }

  ValidateResult Validate(const std::string& yaml, const std::string& filename,
                          const std::map<std::string, std::string>& vars) const {
    ValidateResult r;
    config::LoadOptions lo;
    lo.vars = vars;
    lo.use_env = false;
    lo.template_files = false;
    auto loaded = config::LoadString(yaml, filename, lo);
    r.diagnostics = loaded.diagnostics;
    r.valid = loaded.ok();
    for (const auto& doc : loaded.documents) {
      if (!doc.Runnable()) continue;
      if (opts_.sandbox) {
        auto refused = CheckSandboxPaths(doc.pipeline, registry_, *opts_.sandbox);
        if (!refused.empty()) {
          for (auto& d : refused) r.diagnostics.push_back(std::move(d));
          r.valid = false;
          continue;  // no component check runs on a refused file
        }
      }
      BuildResult b = BuildGraph(doc.pipeline, registry_);
      for (auto& d : b.diagnostics) r.diagnostics.push_back(d);
      if (b.ok())
        r.pipelines.push_back(doc.pipeline.metadata.name);
      else
        r.valid = false;
    }
    return r;
  }

  PipelineInfo InfoLocked(const store::PipelineRecord& p, bool with_yaml) const {
    PipelineInfo info;
    info.name = p.name;
    info.version = p.current_version;
    info.desired_state = p.desired_state;
    auto it = deployments_.find(p.name);
    if (it != deployments_.end()) {
      const Deployment& d = *it->second;
      info.snapshot = d.finished ? d.last : d.run->Snapshot();
      info.state = info.snapshot.state;
      if (d.finished && p.desired_state == "stopped" && info.state == "cancelled")
        info.state = "stopped";
      if (with_yaml) info.yaml = d.yaml;
      info.version = d.version;
    } else if (p.desired_state == "stopped") {
      info.state = "stopped";
    } else if (p.desired_state == "quarantined") {
      info.state = "quarantined";
      auto counts = opts_.state_dir.empty() ? std::map<std::string, int>{} : ReadCrashCounts();
      info.snapshot.state = "quarantined";
      info.snapshot.error = QuarantineReason(counts.count(p.name) ? counts.at(p.name) : 0);
    } else {
      // Not running here (a finished bounded pipeline after a restart, or
      // one that could not be recovered): report how its last run ended.
      auto runs = store_->ListRuns(p.name, 1);
      info.state = runs.ok() && !runs->empty() ? runs->front().status : "pending";
    }
    if (with_yaml && info.yaml.empty()) {
      auto v = store_->GetVersion(p.name, p.current_version);
      if (v.ok()) info.yaml = v->yaml;
    }
    return info;
  }

  std::vector<PipelineInfo> List() const {
    std::lock_guard<std::mutex> lk(mu_);
    std::vector<PipelineInfo> out;
    auto all = store_->ListPipelines();
    if (!all.ok()) return out;
    // Listing never needs the documents: no per-pipeline store read.
    for (const auto& p : all.value()) out.push_back(InfoLocked(p, false));
    return out;
  }

  Result<PipelineInfo> Get(const std::string& name) const {
    std::lock_guard<std::mutex> lk(mu_);
    auto p = store_->GetPipeline(name);
    if (!p.ok()) return NotFound(name);
    return InfoLocked(p.value(), true);
  }

  Status NotFound(const std::string& name) const {
    std::vector<std::string> names;
    auto all = store_->ListPipelines();
    if (all.ok())
      for (const auto& p : all.value()) names.push_back(p.name);
    std::string dym = DidYouMean(name, names);
    return Status::NotFound(
        "no pipeline '" + name + "'" + (dym.empty() ? "" : " (did you mean '" + dym + "'?)") +
        (names.empty() ? "; none are applied" : "; pipelines: " + Join(names, ", ")));
  }

  Status Stop(const std::string& name, const std::string& caller, const std::string& reason,
              bool gated = true) {
    std::lock_guard<std::mutex> lk(mu_);
    Status st = store_->GetPipeline(name).ok() ? Status::OK() : NotFound(name);
    if (st.ok() && Governed(gated))
      st = GovernLocked({"stop"}, name, LabelsLocked(name), caller, reason, nullptr,
                        {{"op", "stop"}, {"name", name}});
    if (st.ok()) {
      StopLocked(name);
      st = store_->SetDesiredState(name, "stopped");
    }
    AuditLocked(caller, "stop", name, json::object(), st, reason);
    return st;
  }

  Status Delete(const std::string& name, const std::string& caller, const std::string& reason,
                bool gated = true) {
    std::lock_guard<std::mutex> lk(mu_);
    Status st = store_->GetPipeline(name).ok() ? Status::OK() : NotFound(name);
    if (st.ok() && Governed(gated))
      st = GovernLocked({"delete-resources"}, name, LabelsLocked(name), caller, reason, nullptr,
                        {{"op", "delete"}, {"name", name}});
    if (st.ok()) {
      StopLocked(name);
      deployments_.erase(name);
      st = store_->DeletePipeline(name);
      if (!opts_.state_dir.empty()) {
        std::error_code ec;
        fs::remove_all(fs::path(store::CheckpointRoot(opts_.state_dir)) / name, ec);
      }
    }
    AuditLocked(caller, "delete", name, json::object(), st, reason);
    return st;
  }

  Result<ApplyResult> Rollback(const std::string& name, int to_version, const std::string& caller,
                               const std::string& reason, bool gated = true,
                               const std::vector<std::string>& actions = {}) {
    std::lock_guard<std::mutex> lk(mu_);
    json args = {{"to_version", to_version}};
    auto p = store_->GetPipeline(name);
    Status st = p.ok() ? Status::OK() : NotFound(name);
    if (st.ok() && Governed(gated)) {
      std::vector<std::string> kinds = actions;
      kinds.push_back("rollback");
      st = GovernLocked(kinds, name, LabelsLocked(name), caller, reason, nullptr,
                        {{"op", "rollback"}, {"name", name}, {"to_version", to_version}});
    }
    if (!st.ok()) {
      AuditLocked(caller, "rollback", name, args, st, reason);
      return st;
    }
    int target = to_version > 0 ? to_version : p->current_version - 1;
    if (target < 1) {
      Status st(StatusCode::kFailedPrecondition, "pipeline '" + name + "' has no version before v" +
                                                     std::to_string(p->current_version));
      AuditLocked(caller, "rollback", name, args, st, reason);
      return st;
    }
    auto v = store_->GetVersion(name, target);
    auto cur = store_->GetVersion(name, p->current_version);
    if (!v.ok()) {
      AuditLocked(caller, "rollback", name, args, v.status(), reason);
      return v.status();
    }
    std::vector<Diagnostic> diags;
    auto built = Build(v->yaml, name + "@v" + std::to_string(target), {}, {}, {}, &diags, false,
                       opts_.sandbox.get());
    if (!built.ok()) {
      AuditLocked(caller, "rollback", name, args, built.status(), reason);
      return built.status();
    }
    ApplyResult r;
    r.name = name;
    r.version = target;
    r.diff = UnifiedDiff(cur.ok() ? cur->yaml : "", v->yaml,
                         name + "@v" + std::to_string(p->current_version),
                         name + "@v" + std::to_string(target));
    StopLocked(name);
    st = store_->SetCurrentVersion(name, target);
    if (st.ok()) st = StartLocked(std::move(built->graph), target, v->yaml);
    args["version"] = target;  // the version that runs now, as apply records it
    AuditLocked(caller, "rollback", name, args, st, reason);
    if (!st.ok()) return st;
    r.state = "running";
    return r;
  }

  Status Restart(const std::string& name, const std::string& caller, const std::string& reason,
                 const std::vector<std::string>& actions, bool gated = true) {
    std::lock_guard<std::mutex> lk(mu_);
    auto p = store_->GetPipeline(name);
    Status st = p.ok() ? Status::OK() : NotFound(name);
    auto dep = deployments_.find(name);
    if (st.ok() && (dep == deployments_.end() || dep->second->finished))
      st = Status(StatusCode::kFailedPrecondition, "pipeline '" + name + "' is not running");
    if (st.ok() && Governed(gated))
      st = GovernLocked(actions.empty() ? std::vector<std::string>{"stop"} : actions, name,
                        LabelsLocked(name), caller, reason, nullptr,
                        {{"op", "restart"}, {"name", name}, {"actions", actions}});
    if (st.ok()) {
      StopLocked(name);
      st = RestartVersionLocked(name, p->current_version);
      if (!st.ok()) (void)store_->SetDesiredState(name, "stopped");
    }
    AuditLocked(caller, "restart", name, json{{"version", p.ok() ? p->current_version : 0}}, st,
                reason);
    return st;
  }

  void Shutdown() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stopping_) return;
      stopping_ = true;
      for (auto& [name, d] : deployments_)
        if (!d->finished) d->run->Cancel();
      for (auto& [name, d] : deployments_) {
        if (d->finished) continue;
        Status st = d->run->Wait();
        RecordEnd(*d, st);
      }
      cv_.notify_all();
    }
    if (supervisor_.joinable()) supervisor_.join();
  }

  EngineOptions opts_;
  Registry registry_;
  // Declared before store_: released only after the store has closed.
  std::unique_ptr<store::StateDirLock> lock_;
  std::unique_ptr<store::Store> store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Deployment>> deployments_;
  std::thread supervisor_;
  std::unique_ptr<store::MetricHistory> history_;
  int64_t last_sample_ms_ = 0;
  bool stopping_ = false;
  // Requests of other rooms an approval may run (Engine::OnApproved).
  std::map<std::string, std::function<Status(const governance::Approval&)>> approved_ops_;
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  Status st = impl->Init();
  if (!st.ok()) return st;
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::SetControlAddress(const std::string& address) {
  if (!impl_->lock_) return;
  Status st = impl_->lock_->SetAddress(address);
  if (!st.ok()) spdlog::warn("{}", st.message());
}

Result<ApplyResult> Engine::Apply(const ApplyRequest& r, std::vector<Diagnostic>* d) {
  return impl_->Apply(r, d);
}
ValidateResult Engine::Validate(const std::string& yaml, const std::string& filename,
                                const std::map<std::string, std::string>& vars) const {
  return impl_->Validate(yaml, filename, vars);
}
std::vector<PipelineInfo> Engine::List() const { return impl_->List(); }
Result<PipelineInfo> Engine::Get(const std::string& name) const { return impl_->Get(name); }
Status Engine::Stop(const std::string& n, const std::string& c, const std::string& r) {
  return impl_->Stop(n, c, r);
}
Status Engine::Delete(const std::string& n, const std::string& c, const std::string& r) {
  return impl_->Delete(n, c, r);
}
Result<ApplyResult> Engine::Rollback(const std::string& n, int v, const std::string& c,
                                     const std::string& r, const std::vector<std::string>& a) {
  return impl_->Rollback(n, v, c, r, true, a);
}
Status Engine::Restart(const std::string& n, const std::string& c, const std::string& r,
                       const std::vector<std::string>& a) {
  return impl_->Restart(n, c, r, a);
}
Result<std::vector<store::PipelineVersion>> Engine::Versions(const std::string& name) const {
  if (!impl_->store_->GetPipeline(name).ok()) return impl_->NotFound(name);
  return impl_->store_->ListVersions(name);
}
Result<std::vector<store::RunRecord>> Engine::Runs(const std::string& name, int limit) const {
  return impl_->store_->ListRuns(name, limit);
}
Result<std::vector<store::AuditRecord>> Engine::AuditLog(const std::string& target,
                                                         int limit) const {
  return impl_->store_->ListAudit(target, limit);
}
Result<std::vector<store::AuditRecord>> Engine::AuditLog(const store::AuditQuery& q) const {
  return impl_->store_->ListAudit(q);
}
Result<int> Engine::PruneAudit() { return impl_->PruneAudit(UnixMs()); }
Status Engine::Audit(const store::AuditRecord& record) {
  auto r = impl_->store_->Audit(record);
  return r.ok() ? Status::OK() : r.status();
}
const Registry& Engine::registry() const { return impl_->registry_; }

Result<std::vector<store::MetricPoint>> Engine::Metrics(const std::string& name,
                                                        const std::string& node,
                                                        int64_t since_s) const {
  int64_t now = UnixMs();
  return impl_->history_->Query(name, node, now - since_s * 1000, now + 1, now);
}

Result<std::vector<store::ErrorGroup>> Engine::Errors(const std::string& name,
                                                      const std::string& node,
                                                      int64_t since_s) const {
  return impl_->history_->Errors(name, node, UnixMs() - since_s * 1000);
}

Result<std::vector<store::SchemaEpoch>> Engine::Schemas(const std::string& name,
                                                        const std::string& node,
                                                        int64_t since_s) const {
  return impl_->history_->Schemas(name, node, UnixMs() - since_s * 1000);
}

Result<nlohmann::json> Engine::ExplainDecision(const std::string& id) const {
  if (impl_->opts_.state_dir.empty())
    return Status::NotFound("this engine keeps no state dir, so no decision records");
  return ai::FindDecision(impl_->opts_.state_dir, id);
}
void Engine::Shutdown() { impl_->Shutdown(); }

Result<governance::Approval> Engine::DecideApproval(const std::string& id, const std::string& who,
                                                    bool approve, const std::string& reason) {
  governance::Gate* gate = impl_->opts_.gate.get();
  if (gate == nullptr)
    return Status(StatusCode::kFailedPrecondition, "this engine has no governance gate");
  auto decided = gate->Decide(id, who, approve, reason);
  json args = {{"approval", id}};
  {
    std::lock_guard<std::mutex> lk(impl_->mu_);
    impl_->AuditLocked(who, approve ? "approve" : "deny", decided.ok() ? decided->pipeline : "",
                       args, decided.ok() ? Status::OK() : decided.status(), reason);
  }
  if (!decided.ok() || !approve) return decided;
  // Run what was asked, as it was asked, by whom it was asked.
  const governance::Approval& a = decided.value();
  const json& q = a.request;
  std::string op = q.value("op", "");
  std::string why = "approved by " + who + " (" + id + ")" + (reason.empty() ? "" : ": " + reason) +
                    (a.reason.empty() ? "" : "; asked: " + a.reason);
  Status st;
  if (op == "apply") {
    ApplyRequest r;
    r.yaml = q.value("yaml", "");
    r.filename = q.value("filename", "<request>");
    r.vars = q.value("vars", std::map<std::string, std::string>{});
    r.sets = q.value("sets", std::vector<std::pair<std::string, std::string>>{});
    r.params = q.value("params", std::vector<std::pair<std::string, std::string>>{});
    r.sandbox = q.value("sandbox", true);
    r.caller = a.requested_by;
    r.reason = why;
    std::vector<Diagnostic> diags;
    auto applied = impl_->Apply(r, &diags, false);
    st = applied.ok() ? Status::OK() : applied.status();
  } else if (op == "stop") {
    st = impl_->Stop(a.pipeline, a.requested_by, why, false);
  } else if (op == "delete") {
    st = impl_->Delete(a.pipeline, a.requested_by, why, false);
  } else if (op == "rollback") {
    auto rb = impl_->Rollback(a.pipeline, q.value("to_version", 0), a.requested_by, why, false);
    st = rb.ok() ? Status::OK() : rb.status();
  } else if (op == "restart") {
    st = impl_->Restart(a.pipeline, a.requested_by, why, {}, false);
  } else if (op == "delete-policy") {
    st = gate->DeletePolicy(a.pipeline);
  } else {
    std::function<Status(const governance::Approval&)> run;
    {
      std::lock_guard<std::mutex> lk(impl_->mu_);
      auto it = impl_->approved_ops_.find(op);
      if (it != impl_->approved_ops_.end()) run = it->second;
    }
    st = run ? run(a)
             : Status::Internal("approval " + id + " holds no request this engine runs ('" + op +
                                "')");
  }
  if (op == "delete-policy") {  // the other ops audit themselves
    std::lock_guard<std::mutex> lk(impl_->mu_);
    impl_->AuditLocked(a.requested_by, op, a.pipeline, args, st, why);
  }
  (void)gate->Record(id, st.ok() ? "ok" : st.ToString());
  return gate->Get(id);
}

const governance::Gate* Engine::gate() const { return impl_->opts_.gate.get(); }

void Engine::OnApproved(const std::string& op,
                        std::function<Status(const governance::Approval&)> run) {
  std::lock_guard<std::mutex> lk(impl_->mu_);
  impl_->approved_ops_[op] = std::move(run);
}

Status Engine::Govern(const std::vector<std::string>& kinds, const std::string& name,
                      const std::string& caller, const std::string& reason,
                      const nlohmann::json& request) {
  std::lock_guard<std::mutex> lk(impl_->mu_);
  return impl_->GovernLocked(kinds, name, {}, caller, reason, nullptr, request);
}

}  // namespace flowctl::engine
