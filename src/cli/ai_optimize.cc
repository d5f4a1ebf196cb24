// `flowctl ai optimize PIPELINE`: the report of ai/optimize.h on a terminal
// or as JSON, and applying one of its changes through the daemon.
#include "ai_optimize.h"

#include <unistd.h>

#include <ctime>
#include <iostream>

#include "commands.h"
#include "flowctl/ai/optimize.h"
#include "history_access.h"

namespace flowctl::cli {

namespace {

std::string MetricValue(const std::optional<double>& v, const std::string& metric) {
  if (!v) return "?";
  char buf[48];
  if (metric == "cost_usd_per_h")
    std::snprintf(buf, sizeof buf, "%.4f USD/h", *v);
  else if (metric == "queue_wait_ms")
    std::snprintf(buf, sizeof buf, "%.2f ms", *v);
  else if (metric == "lost_events_per_h")
    std::snprintf(buf, sizeof buf, "%.0f events/h", *v);
  else
    std::snprintf(buf, sizeof buf, "%.0f events/s", *v);
  return buf;
}

const char* MetricLabel(const std::string& metric) {
  if (metric == "throughput_bound_eps") return "throughput bound";
  if (metric == "queue_wait_ms") return "queue wait";
  if (metric == "cost_usd_per_h") return "AI cost";
  if (metric == "lost_events_per_h") return "events lost";
  return metric.c_str();
}

std::string AppliedAt(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&secs));
  return buf;
}

}  // namespace

void PrintSuggestions(const ai::OptimizationReport& r, bool apply_hint) {
  int i = 0;
  for (const auto& s : r.suggestions) {
    std::printf("  %d. [%s] %s\n", ++i, s.goal.c_str(), s.title.c_str());
    for (const auto& p : s.predicted)
      std::printf("       %s: %s -> %s\n", MetricLabel(p.metric),
                  MetricValue(p.before, p.metric).c_str(),
                  p.after ? MetricValue(p.after, p.metric).c_str() : "not predictable");
    if (!s.predicted.empty()) std::printf("       how: %s\n", s.predicted.front().how.c_str());
    if (!s.note.empty()) std::printf("       note: %s\n", s.note.c_str());
    if (apply_hint && !s.yaml.empty())
      std::printf("       (changes the pipeline: --apply %d)\n", i);
  }
}

namespace {

void PrintReport(const ai::OptimizationReport& r) {
  const ai::PipelineModel& m = r.model;
  std::printf("🎯 Optimizing %s for %s, from the last %s (%.0f s of samples)\n", r.name.c_str(),
              r.goal.empty() ? "every goal" : r.goal.c_str(), r.since.c_str(), m.window_s);
  if (m.window_s > 0) {
    std::printf("   input %.0f events/s, output %.0f events/s", m.input_per_s, m.output_per_s);
    if (m.bound_eps > 0)
      std::printf(", bound %.0f events/s (bottleneck: %s)", m.bound_eps, m.bottleneck.c_str());
    if (m.cpu_bound_eps > 0) std::printf(", CPU bound %.0f on %d cores", m.cpu_bound_eps, m.cores);
    if (m.cost_per_h > 0) std::printf(", AI cost %.4f USD/h", m.cost_per_h);
    std::printf("\n");
  }
  for (const auto& n : r.notes) std::printf("   note: %s\n", n.c_str());
  if (r.suggestions.empty()) {
    std::printf("✅ No change to suggest from these measurements\n");
  } else {
    std::printf("\nSuggestions (predicted from the measurements):\n");
    PrintSuggestions(r, true);
  }
  if (!r.outcomes.empty()) {
    std::printf("\nEarlier optimizations, predicted and measured since:\n");
    for (const auto& o : r.outcomes) {
      std::string over = o.measured
                             ? " over " + std::to_string(static_cast<int>(o.measured_over_s)) + " s"
                             : " (no samples yet)";
      std::printf("  v%d at %s: %s\n       %s: predicted %s, measured %s%s\n", o.version,
                  AppliedAt(o.applied_ms).c_str(), o.title.c_str(), MetricLabel(o.predicted.metric),
                  MetricValue(o.predicted.after, o.predicted.metric).c_str(),
                  MetricValue(o.measured, o.predicted.metric).c_str(), over.c_str());
    }
  }
}

bool ChangesPipeline(const ai::OptimizationReport& r, int n) {
  return n >= 1 && n <= static_cast<int>(r.suggestions.size()) &&
         !r.suggestions[n - 1].yaml.empty();
}

int Apply(ai::EngineApi& api, const ai::OptimizationReport& r, int n, bool quiet) {
  if (!ChangesPipeline(r, n)) {
    std::cerr << "flowctl ai optimize: suggestion " << n << " does not change the pipeline\n";
    return kExitUsage;
  }
  const ai::Suggestion& s = r.suggestions[n - 1];
  return ApplyDocument(api, s.yaml, "suggestion " + std::to_string(n), "ai-optimize",
                       ai::OptimizationReason(s), quiet, "ai optimize");
}

}  // namespace

int AiOptimize(const AiOptimizeOptions& o, const RemoteOptions& r) {
  if (auto span = store::ParseSpan(o.since); !span.ok()) {
    std::cerr << "flowctl ai optimize: --since: " << span.status().message() << "\n";
    return kExitUsage;
  }
  if (o.simulate && o.apply > 0) {
    std::cerr << "flowctl ai optimize: --simulate changes nothing; leave it out to --apply\n";
    return kExitUsage;
  }
  auto access = HistoryAccess::Open(o.state_dir, r);
  if (!access.ok()) {
    std::cerr << "flowctl ai optimize: " << access.status().message() << "\n";
    return OpsExitCode(access.status());
  }
  auto in = access->Gather(o.name, o.since, o.file);
  if (!in.ok()) {
    std::cerr << "flowctl ai optimize: " << in.status().message() << "\n";
    return OpsExitCode(in.status());
  }
  auto report = ai::OptimizePipeline(in.value(), o.goal);
  if (!report.ok()) {
    std::cerr << "flowctl ai optimize: " << report.status().message() << "\n";
    return kExitUsage;
  }
  const ai::OptimizationReport& rep = report.value();
  if (o.show > 0) {
    if (!ChangesPipeline(rep, o.show)) {
      std::cerr << "flowctl ai optimize: suggestion " << o.show
                << " does not change the pipeline\n";
      return kExitUsage;
    }
    std::cout << rep.suggestions[o.show - 1].yaml;
    return kExitOk;
  }
  if (r.output == "json")
    std::cout << ai::ToJson(rep).dump(2) << "\n";
  else
    PrintReport(rep);
  ai::EngineApi* api = access->daemon();
  if (o.apply > 0) {
    if (api == nullptr) {
      std::cerr << "flowctl ai optimize: --apply needs the daemon that runs the pipeline; for a "
                   "foreground run, --show N writes the changed document\n";
      return kExitUsage;
    }
    return Apply(*api, rep, o.apply, r.output == "json");
  }
  if (o.simulate || api == nullptr || o.yes || r.output == "json" || !::isatty(0) || !::isatty(1))
    return kExitOk;
  for (size_t i = 0; i < rep.suggestions.size(); ++i)
    if (!rep.suggestions[i].yaml.empty()) {
      std::printf("\nApply suggestion %zu? (y/N) ", i + 1);
      std::fflush(stdout);
      std::string answer;
      std::getline(std::cin, answer);
      if (answer == "y" || answer == "Y" || answer == "yes")
        return Apply(*api, rep, static_cast<int>(i) + 1, false);
      break;
    }
  return kExitOk;
}

}  // namespace flowctl::cli
