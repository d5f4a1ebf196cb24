// The metric history on the wire: points (store/metric_history.h) to the
// gRPC MetricHistoryResponse and back. The server and every client (the
// CLI, the remote EngineApi behind `flowctl mcp --server`) use these two.
//
// Contract: pure functions; PointsFromProto rejects series whose value
// lists do not match their timestamps.
#ifndef FLOWCTL_CONTROL_METRICS_PROTO_H_
#define FLOWCTL_CONTROL_METRICS_PROTO_H_

#include <vector>

#include "flowctl/base/status.h"
#include "flowctl/store/metric_history.h"
#include "flowctl/v1/flowctl.pb.h"

namespace flowctl::control {

void PointsToProto(const std::vector<store::MetricPoint>& points, v1::MetricHistoryResponse* out);
Result<std::vector<store::MetricPoint>> PointsFromProto(const v1::MetricHistoryResponse& in);
void ErrorsToProto(const std::vector<store::ErrorGroup>& groups, v1::MetricHistoryResponse* out);
std::vector<store::ErrorGroup> ErrorsFromProto(const v1::MetricHistoryResponse& in);
void SchemasToProto(const std::vector<store::SchemaEpoch>& epochs, v1::MetricHistoryResponse* out);
std::vector<store::SchemaEpoch> SchemasFromProto(const v1::MetricHistoryResponse& in);

}  // namespace flowctl::control

#endif  // FLOWCTL_CONTROL_METRICS_PROTO_H_
