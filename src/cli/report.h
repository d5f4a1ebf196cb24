// How the CLI shows plans, progress, run summaries and the component catalog.
#ifndef FLOWCTL_CLI_REPORT_H_
#define FLOWCTL_CLI_REPORT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowctl/component/registry.h"
#include "flowctl/graph/graph.h"
#include "flowctl/runtime/metrics.h"

namespace flowctl::cli {

void PrintPlan(const Graph& graph, int workers, bool json);
void PrintProgress(const RunSnapshot& s);
void PrintSummary(const RunSnapshot& s);
nlohmann::json SnapshotJson(const RunSnapshot& s);
nlohmann::json DescriptorJson(const ComponentDescriptor& d);
void PrintComponents(const std::vector<const ComponentDescriptor*>& list, bool detailed);
// docs/pipeline-reference.md is exactly this text.
std::string ReferenceMarkdown(const std::vector<const ComponentDescriptor*>& list);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_REPORT_H_
