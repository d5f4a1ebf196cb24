#include "commands.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "flowctl/ai/tools.h"
#include "flowctl/base/clock.h"
#include "flowctl/base/strings.h"
#include "flowctl/base/version.h"
#include "flowctl/component/registry.h"
#include "flowctl/config/loader.h"
#include "flowctl/engine/metric_feed.h"
#include "flowctl/graph/graph.h"
#include "flowctl/runtime/runtime.h"
#include "flowctl/store/layout.h"
#include "flowctl/store/metric_history.h"
#include "flowctl/store/state_lock.h"
#include "remote.h"
#include "report.h"

namespace flowctl::cli {

namespace fs = std::filesystem;

using nlohmann::json;

sigset_t BlockTerminationSignals() {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  return sigs;
}

bool ParsePairs(const std::vector<std::string>& pairs, const std::string& flag,
                std::vector<std::pair<std::string, std::string>>* out) {
  for (const auto& s : pairs) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "flowctl: " << flag << " expects KEY=VALUE, got '" << s << "'\n";
      return false;
    }
    out->emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  return true;
}

bool ParseSets(const std::vector<std::string>& sets,
               std::vector<std::pair<std::string, std::string>>* out) {
  return ParsePairs(sets, "--set", out);
}

namespace {

const Registry& BuiltinRegistry() {
  static const Registry* r = [] {
    auto* reg = new Registry();
    RegisterBuiltins(*reg);
    return reg;
  }();
  return *r;
}

json DiagJson(const Diagnostic& d) {
  return {{"severity", d.severity == Diagnostic::Severity::kError     ? "error"
                       : d.severity == Diagnostic::Severity::kWarning ? "warning"
                                                                      : "note"},
          {"file", d.mark.file},
          {"line", d.mark.line},
          {"column", d.mark.column},
          {"node", d.node_id},
          {"message", d.message},
          {"hint", d.hint}};
}

// Notes are information, not problems: -q leaves them out.
void PrintDiags(const std::vector<Diagnostic>& diags, bool quiet = false) {
  for (const auto& d : diags)
    if (!quiet || d.severity != Diagnostic::Severity::kNote) std::cerr << d.ToString() << "\n";
}

struct Loaded {
  config::LoadResult load;
  std::vector<BuildResult> builds;  // one per runnable document
  std::vector<size_t> build_docs;   // parallel: its index in load.documents
  // AIMonitor and AIGovernancePolicy documents: kind, name (a daemon runs them).
  std::vector<std::pair<std::string, std::string>> daemon_docs;
  std::vector<Diagnostic> diagnostics;
  bool ok = true;
};

bool MakeLoadOptions(const CommonOptions& o, config::LoadOptions* lo) {
  return ParseSets(o.sets, &lo->overrides) && ParsePairs(o.params, "--param", &lo->params);
}

Loaded LoadAndBuild(const std::string& file, const config::LoadOptions& lo) {
  Loaded l;
  l.load = config::LoadFile(file, lo);
  l.diagnostics = l.load.diagnostics;
  if (!l.load.ok()) {
    l.ok = false;
    // Still build graphs of the documents that loaded, so that every
    // problem is reported at once.
  }
  for (size_t i = 0; i < l.load.documents.size(); ++i) {
    const Document& doc = l.load.documents[i];
    if (!doc.Runnable()) {
      // A template a Pipeline of the file instantiates is not run itself; a
      // Pipeline whose template failed to instantiate has its errors.
      if (doc.kind == "PipelineTemplate" || doc.kind == "Pipeline") continue;
      // A monitor or a policy is checked by the loader and runs on the daemon.
      if (doc.kind == "AIMonitor" || doc.kind == "AIGovernancePolicy") {
        l.daemon_docs.emplace_back(doc.kind, doc.metadata.name);
        continue;
      }
      l.diagnostics.push_back(
          {Diagnostic::Severity::kWarning, doc.mark, "",
           "kind " + doc.kind + " '" + doc.metadata.name + "' is accepted but cannot run yet",
           "only kind Pipeline runs in this version"});
      continue;
    }
    BuildResult b = BuildGraph(doc.pipeline, BuiltinRegistry());
    for (auto& d : b.diagnostics) l.diagnostics.push_back(d);
    if (!b.ok()) l.ok = false;
    l.builds.push_back(std::move(b));
    l.build_docs.push_back(i);
  }
  return l;
}

// Which template a pipeline came from and the value of each parameter, so
// that users (and agents) see what they can tune.
json InstanceJson(const Instantiation& inst) {
  json params = json::array();
  for (const auto& p : inst.parameters) {
    auto v = inst.values.find(p.name);
    params.push_back({{"name", p.name},
                      {"type", ParameterTypeName(p.type)},
                      {"value", v != inst.values.end() ? v->second : json()},
                      {"default", p.has_default ? p.default_value : json()},
                      {"ai_tunable", p.ai_tunable},
                      {"description", p.description}});
    if (!p.ai_recommendations.is_null()) params.back()["ai_recommendations"] = p.ai_recommendations;
  }
  return {{"name", inst.template_name}, {"parameters", params}};
}

void PrintInstance(const Instantiation& inst) {
  for (const auto& p : inst.parameters) {
    auto v = inst.values.find(p.name);
    std::cout << "  parameter " << p.name << " = "
              << (v != inst.values.end() ? v->second.dump() : "?") << " ("
              << ParameterTypeName(p.type) << (p.ai_tunable ? ", ai-tunable" : "") << ")"
              << (p.description.empty() ? "" : ": " + p.description) << "\n";
  }
}

}  // namespace

int Validate(const std::vector<std::string>& files, const CommonOptions& o) {
  config::LoadOptions lo;
  if (!MakeLoadOptions(o, &lo)) return kExitUsage;
  bool all_ok = true;
  json report = json::array();
  for (const auto& f : files) {
    Loaded l = LoadAndBuild(f, lo);
    all_ok = all_ok && l.ok;
    json pipelines = json::array();
    std::vector<const Document*> docs;  // parallel to pipelines
    for (size_t i = 0; i < l.builds.size(); ++i) {
      const BuildResult& b = l.builds[i];
      if (!b.ok()) continue;
      const Document& doc = l.load.documents[l.build_docs[i]];
      json p = {{"name", b.graph->spec().metadata.name}, {"nodes", b.graph->nodes().size()}};
      if (doc.instance) p["template"] = InstanceJson(*doc.instance);
      pipelines.push_back(p);
      docs.push_back(&doc);
    }
    if (o.output == "json") {
      json diags = json::array();
      for (const auto& d : l.diagnostics) diags.push_back(DiagJson(d));
      report.push_back(
          {{"file", f}, {"valid", l.ok}, {"pipelines", pipelines}, {"diagnostics", diags}});
      continue;
    }
    PrintDiags(l.diagnostics, o.quiet);
    if (l.ok && !o.quiet) {
      for (size_t i = 0; i < pipelines.size(); ++i) {
        const json& p = pipelines[i];
        std::cout << f << ": pipeline '" << p["name"].get<std::string>() << "' is valid ("
                  << p["nodes"].get<size_t>() << " nodes)";
        if (docs[i]->instance) {
          std::cout << ", from template '" << docs[i]->instance->template_name << "'\n";
          PrintInstance(*docs[i]->instance);
        } else {
          std::cout << "\n";
        }
      }
      for (const auto& [kind, name] : l.daemon_docs)
        std::cout << f << ": " << kind << " '" << name
                  << "' is valid (it runs on the daemon: flowctl apply " << f
                  << " --server ADDR)\n";
      if (pipelines.empty() && l.daemon_docs.empty())
        std::cout << f << ": no runnable pipeline in this file\n";
    } else if (!l.ok) {
      size_t errors = 0;
      for (const auto& d : l.diagnostics)
        if (d.severity == Diagnostic::Severity::kError) ++errors;
      std::cerr << f << ": invalid (" << errors << " error" << (errors == 1 ? "" : "s") << ")\n";
    }
  }
  if (o.output == "json") std::cout << report.dump(2) << "\n";
  return all_ok ? kExitOk : kExitInvalid;
}

int Apply(const std::string& file, const ApplyOptions& a, const CommonOptions& o) {
  if (a.control_plane_port >= 0 && !a.dry_run) return ApplyWithControlPlane(file, a, o);
  config::LoadOptions lo;
  if (!MakeLoadOptions(o, &lo)) return kExitUsage;
  Loaded l = LoadAndBuild(file, lo);
  PrintDiags(l.diagnostics, o.quiet);
  if (!l.ok) {
    if (o.output == "json") {
      json diags = json::array();
      for (const auto& d : l.diagnostics) diags.push_back(DiagJson(d));
      std::cout << json{{"file", file}, {"valid", false}, {"diagnostics", diags}}.dump(2) << "\n";
    }
    return kExitInvalid;
  }
  if (l.builds.empty() && !l.daemon_docs.empty()) {
    std::cerr << "flowctl: " << file << ": " << l.daemon_docs[0].first << " '"
              << l.daemon_docs[0].second << "' runs on the daemon: flowctl apply " << file
              << " --server ADDR\n";
    return kExitUsage;
  }
  if (l.builds.size() != 1) {
    std::cerr << "flowctl: " << file << " holds " << l.builds.size()
              << " pipelines; apply runs exactly one per file\n";
    return kExitInvalid;
  }
  const Graph& graph = *l.builds[0].graph;
  if (a.dry_run) {
    PrintPlan(graph, a.workers, o.output == "json");
    return kExitOk;
  }

  sigset_t sigs = BlockTerminationSignals();

  // One owner per state dir: a daemon (or another apply) on it would run
  // the same pipelines from the same checkpoints.
  std::unique_ptr<store::StateDirLock> lock;
  if (!a.state_dir.empty()) {
    store::StateDirOwner me;
    me.command = "apply";
    auto l = store::StateDirLock::Acquire(a.state_dir, me);
    if (!l.ok()) {
      std::cerr << "flowctl: " << l.status().message() << "\n";
      return kExitRuntime;
    }
    lock = std::move(l).value();
  }
  RuntimeOptions ro;
  ro.workers = a.workers;
  if (!a.state_dir.empty()) {
    // One layout with the daemon (store/layout.h); a dir of the old one moves.
    const std::string& name = graph.spec().metadata.name;
    auto moved = store::MovePipelineDirToLayout(a.state_dir, name);
    if (!moved.ok()) {
      std::cerr << "flowctl: " << moved.status().message() << "\n";
      return kExitRuntime;
    }
    if (moved.value())
      spdlog::info("moved {}/{}/ to {}/{}/ (the layout the daemon uses)", a.state_dir, name,
                   store::CheckpointRoot(a.state_dir), name);
    ro.state_dir = store::CheckpointRoot(a.state_dir);
  }
  ro.batch_size = a.batch_size > 0 ? static_cast<size_t>(a.batch_size) : 0;
  auto run = Run::Create(graph, ro);
  if (!run.ok()) {
    std::cerr << "flowctl: cannot start pipeline '" << graph.spec().metadata.name
              << "': " << run.status().message() << "\n";
    return kExitRuntime;
  }
  Run& r = *run.value();
  // The metric history, as the daemon keeps it (store/metric_history.h).
  std::unique_ptr<store::MetricHistory> history;
  engine::MetricFeed feed;
  if (!a.state_dir.empty()) {
    auto h = store::MetricHistory::Open((fs::path(a.state_dir) / "metrics.db").string());
    if (h.ok())
      history = std::move(h).value();
    else
      spdlog::warn("no metric history: {}", h.status().message());
  }
  auto sample = [&](const RunSnapshot& snap, bool last) {
    if (!history) return;
    Status hs = feed.RecordInto(*history, graph.spec().metadata.name, snap, UnixMs(), last);
    if (!hs.ok()) spdlog::warn("metric history: {}", hs.message());
  };
  spdlog::info("pipeline '{}' starting: {} nodes, {} workers", graph.spec().metadata.name,
               graph.nodes().size(), r.workers());
  Status st = r.Start();
  if (!st.ok()) {
    std::cerr << "flowctl: " << st.message() << "\n";
    return kExitRuntime;
  }
  bool progress = !o.quiet && ::isatty(2);
  int signals = 0;
  auto last = std::chrono::steady_clock::now();
  auto last_sample = last;
  sample(r.Snapshot(), false);  // the baseline
  // Wake on completion at once; look for signals every 50 ms.
  while (!r.WaitFor(50)) {
    struct timespec ts {
      0, 0
    };
    int sig = sigtimedwait(&sigs, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM) {
      if (++signals == 1) {
        spdlog::info("signal {}: draining in-flight events (again to abort)", sig);
        r.Cancel();
      } else {
        spdlog::warn("second signal: aborting without draining");
        r.Abort();
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_sample >= std::chrono::seconds(1)) {
      last_sample = now;
      sample(r.Snapshot(), false);
    }
    if (progress && now - last > std::chrono::milliseconds(500)) {
      last = now;
      PrintProgress(r.Snapshot());
    }
  }
  st = r.Wait();
  if (progress) std::cerr << "\r\033[K";
  RunSnapshot snap = r.Snapshot();
  sample(snap, true);
  if (o.output == "json")
    std::cout << SnapshotJson(snap).dump(2) << "\n";
  else if (!o.quiet)
    PrintSummary(snap);
  if (!st.ok() && st.code() != StatusCode::kCancelled) {
    std::cerr << "flowctl: pipeline '" << graph.spec().metadata.name << "' failed: " << st.message()
              << "\n";
    return kExitRuntime;
  }
  if (signals > 1) return kExitRuntime;
  return kExitOk;
}

int Components(const std::string& type, const CommonOptions& o) {
  const Registry& reg = BuiltinRegistry();
  std::vector<const ComponentDescriptor*> list;
  if (!type.empty()) {
    list = reg.FindAll(type);
    if (list.empty()) {
      std::string dym = DidYouMean(type, reg.TypeNames());
      std::cerr << "flowctl: unknown component type '" << type << "'"
                << (dym.empty() ? "" : " (did you mean '" + dym + "'?)")
                << "; known: " << Join(reg.TypeNames(), ", ") << "\n";
      return kExitUsage;
    }
  } else {
    list = reg.List();
  }
  if (o.output == "json") {
    json out = json::array();
    for (const auto* d : list) out.push_back(DescriptorJson(*d));
    std::cout << out.dump(2) << "\n";
  } else if (o.output == "markdown") {
    std::cout << ReferenceMarkdown(list);
  } else {
    PrintComponents(list, !type.empty());
  }
  return kExitOk;
}

int GraphCmd(const std::string& file, const std::string& format, const CommonOptions& o) {
  config::LoadOptions lo;
  if (!MakeLoadOptions(o, &lo)) return kExitUsage;
  Loaded l = LoadAndBuild(file, lo);
  PrintDiags(l.diagnostics);
  if (!l.ok) return kExitInvalid;
  for (const auto& b : l.builds)
    std::cout << (format == "mermaid" ? b.graph->ToMermaid() : b.graph->ToDot());
  return kExitOk;
}

int AiTools(const std::string& format) {
  // Printing the specs needs no engine: the handlers are never called here.
  ai::ToolRegistry tools;
  ai::RegisterBuiltinTools(tools, static_cast<ai::EngineApi*>(nullptr));
  json out = format == "openai"      ? tools.ToOpenAI()
             : format == "anthropic" ? tools.ToAnthropic()
             : format == "mcp"       ? tools.ToMcp()
                                     : tools.ToJson();
  std::cout << out.dump(2) << "\n";
  return kExitOk;
}

int Version(const CommonOptions& o) {
  if (o.output == "json")
    std::cout << json{{"version", kVersion}}.dump() << "\n";
  else
    std::cout << "flowctl " << kVersion << "\n";
  return kExitOk;
}

}  // namespace flowctl::cli
