// `flowctl ai predict`: the report of ai/predict.h.
#include "ai_predict.h"

#include <cmath>
#include <ctime>
#include <iostream>

#include "commands.h"
#include "flowctl/ai/predict.h"
#include "history_access.h"

namespace flowctl::cli {

namespace {

std::string In(double s) {
  char buf[32];
  if (s <= 0) return "now";
  if (s < 120)
    std::snprintf(buf, sizeof buf, "in %.0f s", s);
  else if (s < 7200)
    std::snprintf(buf, sizeof buf, "in %.0f min", s / 60);
  else
    std::snprintf(buf, sizeof buf, "in %.1f h", s / 3600);
  return buf;
}

std::string UtcTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S UTC", std::gmtime(&secs));
  return buf;
}

void PrintPrediction(const ai::PredictionReport& r) {
  std::printf("🔮 Predictions for %s, next %lld s, from %.0f s of samples\n", r.name.c_str(),
              static_cast<long long>(r.horizon_s), r.window_s);
  for (const auto& n : r.notes) std::printf("   note: %s\n", n.c_str());
  if (r.failures.empty()) {
    std::printf("✅ No failure predicted within the horizon\n");
  } else {
    std::printf("Predicted failures:\n");
    int i = 0;
    for (const auto& f : r.failures)
      std::printf("  %d. %s: %s (score %.2f)\n", ++i, In(f.eta_s).c_str(), f.title.c_str(),
                  f.score);
  }
  if (!r.forecasts.empty()) {
    std::printf("Forecasts:\n");
    for (const auto& f : r.forecasts)
      std::printf("  %-15s now %.4g, in %.0f s %.4g (95%%: %.4g .. %.4g)%s%s\n", f.metric.c_str(),
                  f.now, f.horizon_s, f.at, f.low, f.high, f.note.empty() ? "" : "; ",
                  f.note.c_str());
  }
  if (!r.anomalies.empty()) {
    std::printf("Anomalies:\n");
    for (const auto& a : r.anomalies)
      std::printf("  %s %s at %s: %.4g against a usual %.4g (z %.1f)\n", a.node.c_str(),
                  a.metric.c_str(), UtcTime(a.ts_ms).c_str(), a.value, a.baseline, a.z);
  }
  std::printf("(%s)\n", r.algorithms.c_str());
}

}  // namespace

int AiPredict(const AiPredictOptions& o, const RemoteOptions& r) {
  if (auto span = store::ParseSpan(o.since); !span.ok()) {
    std::cerr << "flowctl ai predict: --since: " << span.status().message() << "\n";
    return kExitUsage;
  }
  auto opts = ai::ParsePredictOptions(o.horizon, o.forecast, o.sensitivity);
  if (!opts.ok()) {
    std::cerr << "flowctl ai predict: " << opts.status().message() << "\n";
    return kExitUsage;
  }
  auto access = HistoryAccess::Open(o.state_dir, r);
  if (!access.ok()) {
    std::cerr << "flowctl ai predict: " << access.status().message() << "\n";
    return OpsExitCode(access.status());
  }
  auto in = access->Gather(o.name, o.since, "");
  if (!in.ok()) {
    std::cerr << "flowctl ai predict: " << in.status().message() << "\n";
    return OpsExitCode(in.status());
  }
  ai::PredictionReport report = ai::PredictFailures(in.value(), opts.value());
  if (r.output == "json")
    std::cout << ai::ToJson(report).dump(2) << "\n";
  else
    PrintPrediction(report);
  return kExitOk;
}

}  // namespace flowctl::cli
