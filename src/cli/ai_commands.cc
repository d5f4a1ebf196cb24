// AI commands that need no server: explain a decision record.
#include <cstdio>
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "flowctl/ai/decisions.h"
#include "flowctl/ai/embedded.h"

namespace flowctl::cli {

std::string DefaultStateDir() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.flowctl";
}

int Explain(const std::string& id, const std::string& state_dir, const CommonOptions& o) {
  std::string dir = state_dir.empty() ? DefaultStateDir() : state_dir;
  auto rec = ai::FindDecision(dir, id);
  if (!rec.ok()) {
    std::cerr << "flowctl explain: " << rec.status().message() << "\n";
    return rec.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInvalid;
  }
  nlohmann::json r = rec.value();
  std::string text;
  if (r.contains("input") && r["input"].is_object() && r["input"].contains("text") &&
      r["input"]["text"].is_string())
    text = r["input"]["text"].get<std::string>();
  // The embedded models are deterministic: running them again on the
  // recorded input shows the evidence they decided on.
  if (r.value("provider", "") == "embedded" && !text.empty())
    r["evidence"] = ai::embedded::Evidence(text);
  if (o.output == "json") {
    std::cout << r.dump(2) << "\n";
    return kExitOk;
  }
  std::time_t secs = static_cast<std::time_t>(r.value("ts_ms", int64_t{0}) / 1000);
  char when[32];
  std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&secs));
  std::printf("decision %s\n", r.value("id", "").c_str());
  std::printf("  pipeline    %s, node %s (%s)\n", r.value("pipeline", "").c_str(),
              r.value("node", "").c_str(), r.value("component", "").c_str());
  std::printf("  model       %s via %s\n", r.value("model", "").c_str(),
              r.value("provider", "").c_str());
  std::printf("  confidence  %.3f   latency %lld us   cost $%.6f   at %s\n",
              r.value("confidence", 0.0), static_cast<long long>(r.value("latency_us", int64_t{0})),
              r.value("cost_usd", 0.0), when);
  std::printf("  input       %s\n", r.value("input", nlohmann::json::object()).dump().c_str());
  std::printf("  output      %s\n", r.value("output", nlohmann::json::object()).dump().c_str());
  if (r.contains("evidence")) {
    const auto& e = r["evidence"];
    std::string words;
    for (const auto& w : e["opinion_words"])
      words += " " + w["word"].get<std::string>() + "(" + w["score"].dump() + ")";
    std::printf("  evidence    opinion words:%s\n", words.empty() ? " none" : words.c_str());
    words.clear();
    for (const auto& w : e["urgency_words"]) words += " " + w["word"].get<std::string>();
    std::printf("              urgency words:%s; negations: %zu; shouted words: %d; '!': %d\n",
                words.empty() ? " none" : words.c_str(), e["negations"].size(),
                e["shouted_words"].get<int>(), e["exclamations"].get<int>());
    std::printf("              (embedded models are heuristics: a lexicon, keyword lists and "
                "rules; see docs/ai.md)\n");
  }
  return kExitOk;
}

}  // namespace flowctl::cli
