// The one shape of a pipeline's metric history for people and machines:
// per node the series (interval starts and one list per metric) and a
// summary over the window (mean, max, last). `flowctl metrics -o json`, the
// MCP resource flowctl://pipelines/{name}/metrics and the get_metrics tool
// all print this; the gRPC MetricHistory RPC carries the same series.
//
// Contract: pure functions.
#ifndef FLOWCTL_ENGINE_METRICS_JSON_H_
#define FLOWCTL_ENGINE_METRICS_JSON_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowctl/store/metric_history.h"

namespace flowctl::engine {

// points as returned by MetricHistory::Query (sorted by node, then time).
nlohmann::json MetricsJson(const std::string& pipeline, const std::string& since,
                           const std::vector<store::MetricPoint>& points);

}  // namespace flowctl::engine

#endif  // FLOWCTL_ENGINE_METRICS_JSON_H_
