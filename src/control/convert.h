// proto <-> domain conversion and error mapping for the control plane.
#ifndef FLOWCTL_CONTROL_CONVERT_H_
#define FLOWCTL_CONTROL_CONVERT_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "flowctl/base/clock.h"
#include "flowctl/base/status.h"
#include "flowctl/engine/engine.h"
#include "flowctl/v1/flowctl.pb.h"

namespace flowctl::control {

void ToProto(const Diagnostic& d, v1::ErrorDetail* out);
void ToProto(const RunSnapshot& s, int version, v1::PipelineStatus* out);
void ToProto(const engine::PipelineInfo& info, v1::PipelineSummary* out);

// A failed call: the code, a one-line message, and a google.rpc.Status in
// the status details holding ErrorDetails (diagnostics and suggestions).
grpc::Status ToGrpc(const Status& st, const std::vector<Diagnostic>& diags = {},
                    const std::vector<std::string>& suggestions = {});

// INVALID_ARGUMENT for one request field, named in ErrorDetail.field;
// message is the whole sentence ("yaml is required").
grpc::Status FieldError(const std::string& field, const std::string& message);


// Finishes a unary call at once with st.
inline grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* ctx, grpc::Status st) {
  auto* r = ctx->DefaultReactor();
  r->Finish(std::move(st));
  return r;
}

}  // namespace flowctl::control

#endif  // FLOWCTL_CONTROL_CONVERT_H_
