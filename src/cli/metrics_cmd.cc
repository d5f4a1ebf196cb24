// `flowctl metrics PIPELINE`: the metric history of a pipeline, from the
// daemon (gRPC MetricHistory) or straight from a state dir that no daemon
// owns (a foreground `apply --state-dir` writes STATE/metrics.db too).
#include "metrics_cmd.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "flowctl/base/clock.h"
#include "flowctl/engine/metrics_json.h"
#include "flowctl/store/metric_history.h"
#include "history_access.h"

namespace flowctl::cli {

namespace {

// Eight levels of a bar, for a trend at a glance.
std::string Sparkline(const nlohmann::json& values, size_t width) {
  static const char* kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (!values.is_array() || values.empty()) return "";
  size_t n = values.size();
  size_t cells = std::min(width, n);
  std::vector<double> cell(cells, 0);
  for (size_t c = 0; c < cells; ++c) {
    size_t from = c * n / cells, to = std::max(from + 1, (c + 1) * n / cells);
    double sum = 0;
    for (size_t i = from; i < to; ++i) sum += values[i].get<double>();
    cell[c] = sum / static_cast<double>(to - from);
  }
  double max = *std::max_element(cell.begin(), cell.end());
  std::string out;
  for (double v : cell)
    out += kBars[max <= 0 ? 0 : std::min(7, static_cast<int>(std::lround(v / max * 7)))];
  return out;
}

std::string Num(double v) {
  char buf[32];
  if (v == 0) return "0";
  if (std::fabs(v) >= 100)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

void PrintTable(const nlohmann::json& j) {
  const auto& nodes = j["nodes"];
  if (nodes.empty()) {
    std::printf(
        "no samples for %s in the last %s (a pipeline is sampled once a second while "
        "it runs)\n",
        j["pipeline"].get<std::string>().c_str(), j["since"].get<std::string>().c_str());
    return;
  }
  std::printf("pipeline %s, last %s: means over the window (p99 and queue: max)\n",
              j["pipeline"].get<std::string>().c_str(), j["since"].get<std::string>().c_str());
  std::printf("%-18s %6s %10s %10s %8s %8s %10s %7s %5s  %s\n", "NODE", "STEP", "IN/S", "OUT/S",
              "ERR/S", "DLQ/S", "P99(us)", "QUEUE", "BUSY", "OUT/S TREND");
  for (const auto& n : nodes) {
    const auto& s = n["summary"];
    auto mean = [&](const char* m) { return Num(s[m]["mean"].get<double>()); };
    auto max = [&](const char* m) { return Num(s[m]["max"].get<double>()); };
    std::string step = std::to_string(n["resolution_s"].get<int>()) + "s";
    std::printf("%-18s %6s %10s %10s %8s %8s %10s %7s %4.0f%%  %s\n",
                n["node"].get<std::string>().c_str(), step.c_str(), mean("in_per_s").c_str(),
                mean("out_per_s").c_str(), mean("errors_per_s").c_str(),
                mean("dead_lettered_per_s").c_str(), max("p99_us").c_str(),
                max("queue_depth").c_str(), s["busy"]["mean"].get<double>() * 100,
                Sparkline(n["metrics"]["out_per_s"], 24).c_str());
  }
  for (const auto& n : nodes)
    if (n["node"] == store::kPipelineNode)
      std::printf("memory: %s MB (max %s MB)\n", Num(n["summary"]["rss_mb"]["last"]).c_str(),
                  Num(n["summary"]["rss_mb"]["max"]).c_str());
}

}  // namespace

int MetricsCmd(const MetricsOptions& m, const RemoteOptions& r) {
  auto span = store::ParseSpan(m.since);
  if (!span.ok()) {
    std::cerr << "flowctl metrics: --since: " << span.status().message() << "\n";
    return kExitUsage;
  }
  auto access = HistoryAccess::Open(m.state_dir, r);
  if (!access.ok()) {
    std::cerr << "flowctl metrics: " << access.status().message() << "\n";
    return access.status().code() == StatusCode::kNotFound ? kExitInvalid : kExitRuntime;
  }
  auto points = access->Points(m.name, m.node, span.value());
  if (!points.ok()) {
    std::cerr << "flowctl metrics: " << points.status().message() << "\n";
    return points.status().code() == StatusCode::kNotFound ? kExitInvalid : kExitRuntime;
  }
  nlohmann::json j = engine::MetricsJson(m.name, m.since, points.value());
  if (r.output == "json")
    std::cout << j.dump(2) << "\n";
  else
    PrintTable(j);
  return kExitOk;
}

}  // namespace flowctl::cli
