// flowctl ai create "<goal>": the planner on the command line. YAML on
// stdout (or -o FILE), the explanation on stderr, or one JSON object with
// --output json; on a terminal, the seed's follow-up menu.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/ai_optimize.h"
#include "cli/commands.h"
#include "flowctl/ai/monitor.h"
#include "flowctl/ai/optimize.h"
#include "flowctl/ai/planner.h"
#include "flowctl/component/registry.h"
#include "flowctl/config/loader.h"
#include "flowctl/graph/graph.h"

namespace flowctl::cli {
namespace {

// Shows that a remote model is working: one line per step, and on a
// terminal a seconds counter until the step ends.
class Progress {
 public:
  explicit Progress(bool tty) : tty_(tty) {}
  ~Progress() { Stop(); }
  void Step(const std::string& line) {
    Stop();
    std::fprintf(stderr, "\xF0\x9F\xA4\x96 %s\n", line.c_str());
    if (!tty_) return;
    running_ = true;
    thread_ = std::thread([this] {
      auto start = std::chrono::steady_clock::now();
      while (running_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        auto s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                  start);
        std::fprintf(stderr, "\r   waiting for the model... %llds",
                     static_cast<long long>(s.count()));
      }
      std::fprintf(stderr, "\r\033[K");
    });
  }
  void Stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }

 private:
  bool tty_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

bool WriteText(const std::string& path, const std::string& text) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

std::string ReadLine() {
  std::string line;
  if (!std::getline(std::cin, line)) return "q";
  return line;
}

// A plan of the run, nothing started (flowctl apply --dry-run's text).
int DryRun(const ai::Plan& plan, const Registry& registry) {
  BuildResult r = BuildGraph(plan.spec, registry);
  if (!r.ok()) {
    for (const auto& d : r.diagnostics) std::cerr << d.ToString() << "\n";
    return kExitInvalid;
  }
  std::cerr << "Dry run (nothing started):\n" << r.graph->ToPlanText();
  return kExitOk;
}

std::string Monitoring(const ai::Plan& plan, const std::string& file) {
  std::string f = file.empty() ? plan.spec.metadata.name + ".yaml" : file;
  bool ai = false;
  for (const NodeSpec* n : plan.spec.AllNodes())
    ai = ai || n->type.rfind("ai-", 0) == 0 || n->type == "ml-processor" ||
         n->type == "rag-processor";
  std::string s =
      "Monitoring:\n"
      "  flowctl serve &                                   # control plane 127.0.0.1:8080, "
      "Prometheus text at http://127.0.0.1:8081/metrics\n"
      "  flowctl apply " +
      f +
      " --server 127.0.0.1:8080\n"
      "  flowctl status " +
      plan.spec.metadata.name +
      "    # per-node counters, queues, p99\n"
      "  flowctl top " +
      plan.spec.metadata.name +
      "       # live rates\n"
      "  or, for one foreground run: flowctl apply " +
      f + " --control-plane-port 0\n";
  if (ai)
    s += "  AI/ML decisions: run with --state-dir DIR, then `flowctl explain ID --state-dir DIR` "
         "(the ID is in each event's _ai.decision)\n";
  s += "  dead letters: every failed event is a line in the dlq sink's file, with the reason\n";
  return s;
}

// What the estimates assume before the pipeline has run: the goal's
// required_throughput, else 10 events/s.
ai::PlanAssumptions Assumed(const AiCreateOptions& o) {
  ai::PlanAssumptions a;
  if (o.required_throughput > 0) a.events_per_second = o.required_throughput;
  return a;
}

int Start(const ai::Plan& plan, const AiCreateOptions& o, std::string* file) {
  if (file->empty()) {
    *file = plan.spec.metadata.name + ".yaml";
    if (!WriteText(*file, plan.yaml)) {
      std::cerr << "flowctl ai create: cannot write " << *file << "\n";
      return kExitRuntime;
    }
    std::cerr << "wrote " << *file << "\n";
  }
  ApplyOptions a;
  a.state_dir = o.state_dir;
  a.workers = o.workers;
  return Apply(*file, a, CommonOptions{});
}

int Menu(const ai::Plan& plan, const Registry& registry, const AiCreateOptions& o,
         std::string file) {
  for (;;) {
    std::cout << "\nWould you like me to:\n  1. Explain the pipeline design\n  2. Suggest "
                 "optimizations\n  3. Estimate costs\n  4. Start the pipeline\n  5. Set up "
                 "monitoring\n  6. Save it to a file\n  q. Quit\n\nChoice: "
              << std::flush;
    std::string c = ReadLine();
    if (c == "1") {
      std::cout << plan.Explanation();
    } else if (c == "2") {
      std::cout << "\xF0\x9F\x8E\xAF Optimization suggestions:\n" << std::flush;
      ai::OptimizationReport r = ai::OptimizePlan(plan.spec, Assumed(o));
      PrintSuggestions(r, false);
      for (const auto& n : r.notes) std::printf("     (%s)\n", n.c_str());
      std::fflush(stdout);
      for (const auto& s : ai::SuggestOptimizations(plan)) std::cout << "- " << s << "\n";
    } else if (c == "3") {
      auto e = ai::EstimateCost(plan, Assumed(o).events_per_second);
      std::printf("Estimated model cost: $%.4f/hour\n", e.usd_per_hour);
      for (const auto& l : e.lines) std::cout << "  " << l << "\n";
    } else if (c == "4") {
      std::cout << "Start " << plan.spec.metadata.name << " now, in the foreground? (y/N) "
                << std::flush;
      std::string yes = ReadLine();
      if (yes == "y" || yes == "Y" || yes == "yes") return Start(plan, o, &file);
    } else if (c == "5") {
      // An AIMonitor for it (ai/monitor.h), checked before it is written.
      std::string name = plan.spec.metadata.name;
      std::string doc = ai::MonitorDocumentFor(name);
      std::string mf = name + "-monitor.yaml";
      auto checked = config::LoadString(doc, mf, config::LoadOptions{});
      if (!checked.ok() || !WriteText(mf, doc)) {
        std::cerr << "cannot write a valid " << mf << "\n";
      } else {
        std::cout << "wrote " << mf
                  << ": failure predictions 30 min ahead, 7-day capacity "
                     "forecasts and anomalies for "
                  << name << "\n  flowctl apply " << mf
                  << " --server ADDR   # the daemon runs it; flowctl get monitors\n";
      }
      std::cout << Monitoring(plan, file);
    } else if (c == "6") {
      std::string def = file.empty() ? plan.spec.metadata.name + ".yaml" : file;
      std::cout << "File [" << def << "]: " << std::flush;
      std::string f = ReadLine();
      if (f.empty() || f == "q") f = def;
      if (!WriteText(f, plan.yaml)) {
        std::cerr << "cannot write " << f << "\n";
      } else {
        file = f;
        std::cout << "wrote " << f << "\n";
      }
    } else if (c == "q" || c == "Q" || c == "quit" || c.empty()) {
      return kExitOk;
    } else {
      std::cout << "choose 1-6 or q\n";
    }
    (void)registry;
  }
}

}  // namespace

int AiCreate(const AiCreateOptions& o) {
  bool blank = true;
  for (char c : o.goal) blank = blank && std::isspace(static_cast<unsigned char>(c));
  if (blank) {
    std::cerr << "flowctl ai create: the goal is empty; e.g. flowctl ai create \"read "
                 "orders.jsonl, keep orders over $100, write them to big.jsonl\"\n";
    return kExitUsage;
  }
  if (o.goal.size() > ai::kMaxGoalBytes) {
    std::cerr << "flowctl ai create: " << ai::GoalTooLarge(o.goal.size()).message() << "\n";
    return kExitUsage;
  }
  bool interactive = isatty(0) && isatty(1) && o.output == "text";
  if (o.apply && !o.dry_run && !o.yes && !interactive) {
    std::cerr << "flowctl ai create: --apply starts the pipeline; without a terminal to confirm "
                 "on, add --yes (or use --dry-run to see the plan)\n";
    return kExitUsage;
  }
  Registry registry;
  RegisterBuiltins(registry);
  ai::PlanRequest req;
  req.goal = o.goal;
  req.name = o.name;
  req.provider = o.provider;
  req.model = o.model;
  req.max_repairs = o.max_repairs;
  req.constraints.max_latency_ms = o.max_latency_ms;
  req.constraints.max_cost_per_hour = o.max_cost_per_hour;
  req.constraints.required_throughput = o.required_throughput;
  Progress progress(isatty(2) != 0);
  req.progress = [&](const std::string& line) { progress.Step(line); };
  bool remote = (!o.provider.empty() && o.provider != "embedded") ||
                (o.provider.empty() && !o.model.empty() && o.model != "embedded");
  if (o.output == "text")
    std::fprintf(stderr, "\xF0\x9F\xA4\x96 Analyzing requirements%s...\n",
                 remote ? "" : " (embedded planner: no network, no key)");
  auto plan = ai::PlanPipeline(req, registry);
  progress.Stop();
  if (!plan.ok()) {
    std::cerr << "flowctl ai create: " << plan.status().message() << "\n";
    return plan.status().code() == StatusCode::kUnavailable ? kExitRuntime : kExitInvalid;
  }
  const ai::Plan& p = plan.value();
  std::string file = o.file;
  if (!file.empty() && !WriteText(file, p.yaml)) {
    std::cerr << "flowctl ai create: cannot write " << file << "\n";
    return kExitRuntime;
  }
  if (o.output == "json") {
    nlohmann::json j = p.ToJson();
    j["explanation"] = p.Explanation();
    j["optimizations"] = ai::SuggestOptimizations(p);
    j["suggestions"] = ai::ToJson(ai::OptimizePlan(p.spec, Assumed(o)))["suggestions"];
    auto cost = ai::EstimateCost(p, Assumed(o).events_per_second);
    j["cost_estimate"] = {{"usd_per_hour", cost.usd_per_hour},
                          {"events_per_second", cost.events_per_second},
                          {"lines", cost.lines}};
    if (!file.empty()) j["file"] = file;
    std::cout << j.dump(2) << "\n" << std::flush;
  } else {
    if (file.empty()) std::cout << p.yaml << std::flush;
    std::cerr << "\xE2\x9C\x85 Pipeline created: " << p.spec.metadata.name
              << (file.empty() ? "" : " (written to " + file + ")") << "\n"
              << p.Explanation();
  }
  if (o.dry_run) return DryRun(p, registry);
  if (o.apply) {
    if (interactive && !o.yes) {
      std::cout << "Start " << p.spec.metadata.name << " now, in the foreground? (y/N) "
                << std::flush;
      std::string yes = ReadLine();
      if (yes != "y" && yes != "Y" && yes != "yes") return kExitOk;
    }
    return Start(p, o, &file);
  }
  if (interactive && !o.yes) return Menu(p, registry, o, file);
  return kExitOk;
}

}  // namespace flowctl::cli
