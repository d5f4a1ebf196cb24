// Helpers shared by the analyses of ai/ops.h (debug, optimize, predict):
// sums over measured series, number formatting, and the spec patches that
// fixes and optimizations propose. Not a public header.
#ifndef FLOWCTL_SRC_AI_OPS_INTERNAL_H_
#define FLOWCTL_SRC_AI_OPS_INTERNAL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flowctl/ai/ops.h"
#include "flowctl/ai/optimize.h"
#include "flowctl/spec/spec.h"
#include "flowctl/store/metric_history.h"

namespace flowctl::ai::ops_internal {

using Series = std::vector<const store::MetricPoint*>;

// The count behind a rate: rate x the seconds each sample covers.
double Sum(const Series& s, store::Metric m);
// The seconds the samples cover.
double Seconds(const Series& s);
// The mean of m over the samples, weighted by the seconds each covers.
double Mean(const Series& s, store::Metric m);
std::string Pct(double f);
std::string Num(double v);

// The error groups of node seen at or after since_ms, as findings show them.
nlohmann::json Clusters(const std::vector<store::ErrorGroup>& errors, const std::string& node,
                        int64_t since_ms = 0);

const NodeSpec* FindNode(const PipelineSpec& spec, const std::string& id);
NodeSpec* FindNode(PipelineSpec& spec, const std::string& id);
// The document as a spec, when there is one and it loads.
std::optional<PipelineSpec> LoadSpec(const std::string& yaml);

// Patches: the whole document with one change, "" when the node is not in it.
// Failures of node go to a dead-letter sink (added when there is none).
std::string DeadLetterFix(PipelineSpec spec, const std::string& node);
// node runs `to` instances; an AI node's model calls in flight follow.
std::string ConcurrencyFix(PipelineSpec spec, const std::string& node, int to);
// One config key of a node set (a model, a cache).
std::string ConfigFix(PipelineSpec spec, const std::string& node, const std::string& key,
                      const nlohmann::json& value);

// text to path through path.tmp and a rename: readers see the old file or
// the new one, never half of one (the ops room's state files).
Status WriteAtomically(const std::string& path, const std::string& text);

// The JSON object a state file holds; {} when it is missing or not one
// (a state file that cannot be read starts the settings afresh).
nlohmann::json ReadJsonObject(const std::string& path);

// POSTs body (JSON) to url, retrying a failed attempt with backoff: what
// happened ({webhook, delivered, attempts, status | error}).
nlohmann::json PostWebhook(const std::string& url, const std::string& body);

// Whether more than one instance of the stage's component may run (the
// registry says; true when in has none).
bool ParallelSafe(const OpsInput& in, const StageModel& s);

// ai debug's schema drift findings (schema_drift.cc): the changes between
// consecutive schema epochs of a source, with the nodes whose failures
// began then and a normalizing transform where the change allows one.
void DetectSchemaDrift(const OpsInput& in, const std::optional<PipelineSpec>& spec,
                       const std::map<std::string, Series>& by_node, std::vector<Finding>* out);

}  // namespace flowctl::ai::ops_internal

#endif  // FLOWCTL_SRC_AI_OPS_INTERNAL_H_
