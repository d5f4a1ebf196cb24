// What the metric history costs a running pipeline: the work done once a
// second (MetricFeed::RecordInto: rates from two snapshots, then the SQLite
// insert and the tier folding) timed over a simulated hour on a real file,
// reported as microseconds per second of pipeline time and as the share of
// one core. Prints the figures; asserts nothing (bench/README.md).
//   flowctl_history_bench [NODES] [SECONDS]   (default 4 nodes, 3600 s)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "flowctl/engine/metric_feed.h"
#include "flowctl/store/metric_history.h"

int main(int argc, char** argv) {
  int nodes = argc > 1 ? std::atoi(argv[1]) : 4;
  int seconds = argc > 2 ? std::atoi(argv[2]) : 3600;
  if (nodes < 1 || seconds < 2) {
    std::fprintf(stderr, "usage: flowctl_history_bench [NODES>=1] [SECONDS>=2]\n");
    return 2;
  }
  auto dir = std::filesystem::temp_directory_path() /
             ("flowctl-history-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto h = flowctl::store::MetricHistory::Open((dir / "metrics.db").string());
  if (!h.ok()) {
    std::fprintf(stderr, "%s\n", h.status().message().c_str());
    return 1;
  }
  flowctl::engine::MetricFeed feed;
  flowctl::RunSnapshot snap;
  snap.pipeline = "bench";
  snap.state = "running";
  for (int i = 0; i < nodes; ++i) {
    flowctl::NodeSnapshot n;
    n.id = "node" + std::to_string(i);
    n.kind = i == 0 ? "source" : i == nodes - 1 ? "sink" : "processor";
    snap.nodes.push_back(n);
  }
  const int64_t t0 = 1'700'000'000'000;
  double total_us = 0, worst_us = 0;
  for (int s = 0; s <= seconds; ++s) {
    for (auto& n : snap.nodes) {  // a pipeline moving 1M events a second
      n.in += 1'000'000;
      n.out += 1'000'000;
      n.busy_ms += 500;
      n.latency_buckets[8] += 4000;
    }
    auto start = std::chrono::steady_clock::now();
    auto st = feed.RecordInto(*h.value(), "bench", snap, t0 + int64_t{s} * 1000);
    double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
    total_us += us;
    worst_us = std::max(worst_us, us);
  }
  double mean = total_us / (seconds + 1);
  std::printf("metric history: %d nodes, %d simulated seconds (one sample each)\n", nodes, seconds);
  std::printf("  mean %.1f us per sample, worst %.1f us\n", mean, worst_us);
  std::printf("  = %.4f%% of one core at one sample a second\n", mean / 1e6 * 100);
  std::filesystem::remove_all(dir);
  return 0;
}
