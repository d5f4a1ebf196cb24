// Metric history: per-node time series of every pipeline run on a state dir
// (rates, batch latency, queue depth, busy fraction, memory, AI calls and
// cost), kept in STATE/metrics.db so that it survives restarts. It is the
// ground truth `flowctl metrics`, `ai debug` and the performance analysis
// read: numbers there are measured here or computed from what is here.
//
// Samples arrive once a second per node (tier 0). As they age they are
// folded into coarser tiers (1 min for a week, 1 h for 90 days by default)
// and dropped from the finer one, so the size per node is bounded whatever
// the uptime: rows per node <= sum over tiers of retention / resolution.
// Folding is SQL over what is stored, so it resumes after a restart.
//
// Contract: thread-safe (one mutex). Times are Unix ms given by the caller,
// so tests drive a fake clock. Nothing throws; SQLite errors are a Status.
#ifndef FLOWCTL_STORE_METRIC_HISTORY_H_
#define FLOWCTL_STORE_METRIC_HISTORY_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flowctl/base/status.h"
#include "flowctl/base/strings.h"
#include "flowctl/data/schema_profile.h"

namespace flowctl::store {

// The measured quantities, one column each. Order is the storage order.
enum Metric : int {
  kInPerS,
  kOutPerS,
  kErrorsPerS,
  kDroppedPerS,
  kDeadLetteredPerS,
  kRetriesPerS,
  kP50Us,  // batch latency over the interval
  kP99Us,
  kQueueDepth,  // events waiting at the node's input
  kBusy,        // fraction of the node's workers' time spent working, 0..1
  kRssMb,       // process resident memory (the pipeline row only)
  kAiCallsPerS,
  kAiTokensPerS,
  kAiCostUsdPerH,
  kAiCacheHitsPerS,
  kIntervalS,  // seconds the sample covers (rate x interval = count)
  kMetricCount
};

enum class Fold { kMean, kMax, kSum };

struct MetricInfo {
  const char* name;  // column and JSON name
  const char* unit;
  Fold fold;  // how samples fold into a coarser tier
};
const std::array<MetricInfo, kMetricCount>& Metrics();

// The pseudo-node that holds a pipeline's totals (events read by sources,
// written by sinks, errors of all nodes, process memory).
inline constexpr char kPipelineNode[] = "*";

struct MetricPoint {
  std::string node;
  int64_t ts_ms = 0;  // start of the interval
  int resolution_s = 1;
  std::array<double, kMetricCount> v{};
};

// Failures of a node grouped by message template (runtime/metrics.h
// ErrorSampler), with up to three example events. Stored per pipeline, node
// and template: counts add up across runs, examples are the first seen.
struct ErrorGroup {
  std::string node;
  std::string message_template;
  std::string example_message;
  int64_t count = 0;
  int64_t first_ms = 0, last_ms = 0;
  std::vector<std::string> examples;
};

// A stretch of time during which a source's events kept one shape, with the
// profile of what was sampled in it (store/schema_epochs.h).
struct SchemaEpoch {
  std::string node;
  int64_t from_ms = 0, to_ms = 0;
  SchemaProfile profile;
};

struct Tier {
  int resolution_s;
  int64_t retention_s;
};
// 1 s for 1 h, 60 s for 7 days, 3600 s for 90 days.
std::vector<Tier> DefaultTiers();

class MetricHistory {
 public:
  ~MetricHistory();
  // path: STATE/metrics.db, or ":memory:".
  static Result<std::unique_ptr<MetricHistory>> Open(const std::string& path,
                                                     std::vector<Tier> tiers = DefaultTiers());

  // The samples of one pipeline at now_ms (tier 0), then folding and
  // pruning of whatever tier buckets closed by now_ms.
  Status Add(const std::string& pipeline, const std::vector<MetricPoint>& points, int64_t now_ms);

  // Points of one node ("" = all) with since_ms <= ts < until_ms, from the
  // finest tier whose retention reaches back to since_ms, sorted by node
  // then time.
  Result<std::vector<MetricPoint>> Query(const std::string& pipeline, const std::string& node,
                                         int64_t since_ms, int64_t until_ms, int64_t now_ms) const;

  // Adds the counts of groups (new failures since the last call) to what is
  // stored. At most kMaxErrorGroups groups per node are kept (the most
  // recent); groups not seen for the longest retention are dropped.
  static constexpr int kMaxErrorGroups = 64;
  Status AddErrors(const std::string& pipeline, const std::vector<ErrorGroup>& groups);
  // Groups of one node ("" = all) seen at or after since_ms, most frequent first.
  Result<std::vector<ErrorGroup>> Errors(const std::string& pipeline, const std::string& node,
                                         int64_t since_ms) const;

  // A source's sampled profile over [from_ms, now_ms] (the feed's interval).
  // Stored once enough events are pending, or at once when final (the run
  // ended): it extends the node's current epoch, or starts a new one when
  // the shape changed. At most schema_epochs::kMaxEpochs per node are kept.
  Status AddSchema(const std::string& pipeline, const std::string& node,
                   const SchemaProfile& profile, int64_t from_ms, int64_t now_ms, bool final);
  // Epochs of one node ("" = all) that reach since_ms or later, by node
  // then time: the first of a node may have begun before since_ms.
  Result<std::vector<SchemaEpoch>> Schemas(const std::string& pipeline, const std::string& node,
                                           int64_t since_ms) const;

  // Pipelines with any history, sorted.
  Result<std::vector<std::string>> Pipelines() const;
  // Rows per tier resolution, for size checks.
  Result<std::vector<std::pair<int, int64_t>>> RowCounts() const;
  const std::vector<Tier>& tiers() const;

 private:
  struct Impl;
  explicit MetricHistory(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses "90s", "15m", "1h", "24h", "7d", "30d" into seconds.
using ::flowctl::ParseSpan;  // base/strings.h

}  // namespace flowctl::store

#endif  // FLOWCTL_STORE_METRIC_HISTORY_H_
