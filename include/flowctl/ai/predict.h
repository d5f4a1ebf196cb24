// Failure predictions, capacity forecasts and anomalies from the metric
// history (the algorithms of ai/forecast.h). One implementation behind
// `flowctl ai predict`, the predict_failures tool, gRPC PredictFailures and
// the AIMonitor documents.
//
//   - failures: a least-squares trend of a node's input queue (towards its
//     capacity: backpressure), of its error share (towards 10%), and of the
//     process memory (towards 90% of the memory limit), reported when the
//     trend reaches the threshold within the horizon. score is the trend's
//     r2 (the share of the series a line explains), not a calibrated
//     probability; the AIMonitor's alert-threshold compares with it.
//   - forecasts: Holt's linear smoothing of throughput, p99 latency and
//     error share, at the end of a window, with a 95% interval.
//   - anomalies: the last samples' robust z-score against the window before
//     them (median/MAD), per node, for rates, p99 and errors.
//
// Contract: pure functions over an OpsInput (ai/ops.h); thread-safe.
#ifndef FLOWCTL_AI_PREDICT_H_
#define FLOWCTL_AI_PREDICT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flowctl/ai/ops.h"

namespace flowctl::ai {

struct PredictedFailure {
  std::string kind;    // queue_full, error_rate, memory_exhaustion
  std::string node;    // "" = the pipeline
  std::string metric;  // queue_depth, error_share, rss_mb
  double current = 0, threshold = 0;
  double eta_s = 0;  // seconds from the last sample until the trend reaches threshold
  double score = 0;  // the trend's r2
  std::string title;
  nlohmann::json evidence = nlohmann::json::object();
};

struct CapacityForecast {
  std::string metric;  // throughput_eps, p99_us, error_share
  double now = 0, at = 0, low = 0, high = 0;
  double horizon_s = 0;
  std::string note;
};

struct Anomaly {
  std::string node, metric;
  int64_t ts_ms = 0;
  double value = 0, baseline = 0, z = 0;
};

struct PredictOptions {
  int64_t horizon_s = 1800;    // failures reached within this
  int64_t forecast_s = 0;      // capacity forecasts this far ahead (0: none)
  double anomaly_z = 3.5;      // |robust z| that counts (high sensitivity 3, low 5)
  double min_score = 0.3;      // trends explaining less than this are not reported
  double memory_limit_mb = 0;  // 0: this host's (cgroup limit, else physical memory)
};

// "high" 3, "medium" 3.5, "low" 5; "" = medium. Other: kInvalidArgument.
Result<double> SensitivityZ(const std::string& sensitivity);
// The options from their spellings on every surface: horizon and forecast
// as spans ("30m", "7d"; "" = 30m and none), sensitivity as above.
Result<PredictOptions> ParsePredictOptions(const std::string& horizon, const std::string& forecast,
                                           const std::string& sensitivity);

struct PredictionReport {
  std::string name;
  int64_t horizon_s = 0;
  double window_s = 0;                     // seconds of samples read
  std::vector<PredictedFailure> failures;  // soonest first
  std::vector<CapacityForecast> forecasts;
  std::vector<Anomaly> anomalies;  // largest |z| first
  std::vector<std::string> notes;
  std::string algorithms;  // named, for the reader
};

PredictionReport PredictFailures(const OpsInput& in, const PredictOptions& o);

nlohmann::json ToJson(const PredictedFailure& f);
nlohmann::json ToJson(const PredictionReport& r);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_PREDICT_H_
