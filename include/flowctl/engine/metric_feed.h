// MetricFeed turns successive RunSnapshots of one pipeline into the per-node
// samples of the metric history (store/metric_history.h): counter deltas
// over the interval as rates, the interval's own batch-latency quantiles
// (from histogram deltas), queue depth now, busy time over worker time,
// process memory, AI calls/tokens/cost/cache hits. The daemon's supervisor
// and a foreground `apply --state-dir` both call it once a second.
//
// Contract: not thread-safe (one caller per run). A run's counters start
// at zero, so its first sample covers it from its start (elapsed_s before
// the first snapshot). A new run (counters going down) starts over.
// Intervals shorter than kMinIntervalMs are not samples (the next one
// covers them) unless the run is over.
#ifndef FLOWCTL_ENGINE_METRIC_FEED_H_
#define FLOWCTL_ENGINE_METRIC_FEED_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "flowctl/runtime/metrics.h"
#include "flowctl/store/metric_history.h"

namespace flowctl::engine {

class MetricFeed {
 public:
  static constexpr int64_t kMinIntervalMs = 50;
  // The samples for the interval since the previous snapshot (empty for the
  // first one).
  // last: the run has ended, so however short the interval, it is the
  // last sample.
  std::vector<store::MetricPoint> Observe(const RunSnapshot& snap, int64_t now_ms,
                                          bool last = false);
  // Observe, then store what it found as pipeline's history: the failures
  // added since the previous call (the first call included), then the
  // samples. What the daemon and a foreground run both do once a second.
  Status RecordInto(store::MetricHistory& history, const std::string& pipeline,
                    const RunSnapshot& snap, int64_t now_ms, bool last = false);

 private:
  // Fills new_errors_ with the failures added since the last Observe.
  void DiffErrors(const RunSnapshot& snap, bool restarted);
  std::vector<store::ErrorGroup> new_errors_;
  // What each source's sampled events looked like over the interval Observe
  // turned into samples (none when it was too short).
  std::vector<std::pair<std::string, SchemaProfile>> new_schemas_;
  int64_t schemas_from_ms_ = 0;
  std::map<std::string, uint64_t> error_counts_;  // node + '\n' + template -> count seen
  bool have_prev_ = false;
  RunSnapshot prev_;
  int64_t prev_ms_ = 0;
};

// Resident set size of this process in MB (/proc/self/statm); 0 if unknown.
double ProcessRssMb();

}  // namespace flowctl::engine

#endif  // FLOWCTL_ENGINE_METRIC_FEED_H_
