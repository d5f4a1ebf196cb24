// `flowctl ai debug PIPELINE`: the findings of ai/ops.h for a pipeline on
// the daemon, or for a foreground run's state dir; fixes that change the
// pipeline are previewed (a diff) and applied as a new version.
#include "ai_debug.h"

#include <unistd.h>

#include <ctime>
#include <iostream>
#include <optional>

#include "commands.h"
#include "flowctl/ai/ops.h"
#include "flowctl/base/clock.h"
#include "flowctl/store/metric_history.h"
#include "history_access.h"

namespace flowctl::cli {

namespace {

std::string Clock(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S UTC", std::gmtime(&secs));
  return buf;
}

const char* Mark(const std::string& severity) {
  return severity == "critical" ? "❌" : severity == "warning" ? "⚠️ " : "ℹ️ ";
}

void PrintReport(const ai::DebugReport& r) {
  std::printf("🔍 Analyzing pipeline health: %s, last %s (%zu samples at %d s)\n", r.name.c_str(),
              r.since.c_str(), r.samples, r.resolution_s);
  if (r.samples == 0) {
    std::printf("no samples in the window: a pipeline is sampled once a second while it runs\n");
    return;
  }
  if (r.findings.empty()) {
    std::printf("✅ No issues found between %s and %s\n", Clock(r.from_ms).c_str(),
                Clock(r.to_ms).c_str());
    return;
  }
  std::printf("Detected issues:\n");
  int i = 0;
  for (const auto& f : r.findings) {
    std::printf("  %d. %s [%s] %s (%s - %s)\n", ++i, Mark(f.severity), f.severity.c_str(),
                f.title.c_str(), Clock(f.from_ms).c_str(), Clock(f.to_ms).c_str());
    if (f.evidence.contains("clusters"))
      for (const auto& c : f.evidence["clusters"]) {
        std::printf("       %lld x %s\n", static_cast<long long>(c["count"].get<int64_t>()),
                    c["example_message"].get<std::string>().c_str());
        for (const auto& ex : c["examples"])
          std::printf("         e.g. %s\n", ex.get<std::string>().substr(0, 160).c_str());
      }
  }
  std::printf("\nSuggested fixes:\n");
  i = 0;
  for (const auto& f : r.findings) {
    ++i;
    std::string how = " (changes the pipeline: --apply " + std::to_string(i) + " or --apply " +
                      ai::FindingId(f) + ")";
    std::printf("  %d. %s%s\n", i, f.fix.c_str(), f.fix_yaml.empty() ? "" : how.c_str());
  }
}

// The fixes of r that change the pipeline, by their ids.
std::vector<std::string> PatchFixes(const ai::DebugReport& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings)
    if (!f.fix_yaml.empty()) out.push_back(ai::FindingId(f));
  return out;
}

// The finding `ref` names if it has a fix that changes the pipeline; else
// nullptr, with the reason and the valid choices on stderr.
const ai::Finding* PatchFinding(const ai::DebugReport& r, const std::string& ref) {
  int i = ai::FindFinding(r, ref);
  if (i >= 0 && !r.findings[i].fix_yaml.empty()) return &r.findings[i];
  std::cerr << "flowctl ai debug: " << (i < 0 ? "no finding " : "finding ") << ref
            << (i < 0 ? " in this analysis" : " has no fix that changes the pipeline");
  auto fixes = PatchFixes(r);
  if (!fixes.empty()) {
    std::cerr << " (those that do:";
    for (const auto& f : fixes) std::cerr << " " << f;
    std::cerr << ")";
  } else {
    std::cerr << " (no finding in this analysis has one)";
  }
  std::cerr << "\n";
  return nullptr;
}

int ApplyFix(ai::EngineApi& api, const ai::DebugReport& r, const std::string& ref, bool quiet) {
  const ai::Finding* f = PatchFinding(r, ref);
  if (!f) return kExitUsage;
  return ApplyDocument(api, f->fix_yaml, "fix " + ref, "ai-debug",
                       "ai debug fix " + ai::FindingId(*f) + ": " + f->title, quiet, "ai debug");
}

}  // namespace

int AiDebug(const AiDebugOptions& o, const RemoteOptions& r) {
  auto span = store::ParseSpan(o.since);
  if (!span.ok()) {
    std::cerr << "flowctl ai debug: --since: " << span.status().message() << "\n";
    return kExitUsage;
  }
  auto access = HistoryAccess::Open(o.state_dir, r);
  if (!access.ok()) {
    std::cerr << "flowctl ai debug: " << access.status().message() << "\n";
    return OpsExitCode(access.status());
  }
  ai::EngineApi* api = access->daemon();
  auto in = access->Gather(o.name, o.since, o.file);
  if (!in.ok()) {
    std::cerr << "flowctl ai debug: " << in.status().message() << "\n";
    return OpsExitCode(in.status());
  }
  ai::DebugReport report = ai::DebugPipeline(in.value());
  std::optional<ai::Narrative> narrative;
  if (o.narrate && !report.findings.empty() && o.show_fix.empty()) {
    auto n = ai::NarrateDebugReport(report, o.provider, o.model, ai::ProcessEnv());
    if (!n.ok()) {
      if (r.output != "json") PrintReport(report);
      std::cerr << "flowctl ai debug: --narrate: " << n.status().message() << "\n";
      return n.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitRuntime;
    }
    narrative = std::move(n).value();
  }
  // --show-fix prints the document alone, ready for a file.
  if (o.show_fix.empty() && r.output == "json") {
    auto j = ai::ToJson(report);
    if (narrative)
      j["narrative"] = {{"model", narrative->model},
                        {"text", narrative->text},
                        {"unverified_numbers", narrative->unverified_numbers}};
    std::cout << j.dump(2) << "\n";
  }
  if (o.show_fix.empty() && r.output != "json") {
    PrintReport(report);
    if (narrative) {
      std::printf("\n🤖 AI Analysis (%s, from the findings above only):\n%s\n",
                  narrative->model.c_str(), narrative->text.c_str());
      if (!narrative->unverified_numbers.empty()) {
        std::printf("⚠️  numbers that are not in the findings (the model's, unchecked):");
        for (const auto& x : narrative->unverified_numbers) std::printf(" %s", x.c_str());
        std::printf("\n");
      }
    }
  }
  if (!o.apply.empty()) {
    if (!api) {
      std::cerr << "flowctl ai debug: --apply needs the daemon that runs the pipeline; for a "
                   "foreground run, --show-fix N writes the fixed document\n";
      return kExitUsage;
    }
    return ApplyFix(*api, report, o.apply, r.output == "json");
  }
  if (!o.show_fix.empty()) {
    const ai::Finding* f = PatchFinding(report, o.show_fix);
    if (!f) return kExitUsage;
    std::cout << f->fix_yaml;
    return kExitOk;
  }
  // On a terminal, offer the fixes that change the pipeline.
  auto fixes = PatchFixes(report);
  if (api && !fixes.empty() && r.output != "json" && !o.yes && ::isatty(0) && ::isatty(1)) {
    std::printf("\nApply fix %s automatically? (y/N) ", fixes.front().c_str());
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer == "y" || answer == "Y" || answer == "yes")
      return ApplyFix(*api, report, fixes.front(), false);
  }
  return kExitOk;
}

}  // namespace flowctl::cli
