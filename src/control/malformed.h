// A request that does not parse as its method's message reaches no handler:
// gRPC's callback API answers it UNIMPLEMENTED with no message, which reads
// as "no such method". This server interceptor notices the failed parse and
// turns that answer into INVALID_ARGUMENT naming the method.
//
// Contract: MakeMalformedRequestInterceptors() returns the factories to give
// ServerBuilder::experimental().SetInterceptorCreators. Calls that parse are
// untouched; so is UNIMPLEMENTED for an unknown method.
#ifndef FLOWCTL_CONTROL_MALFORMED_H_
#define FLOWCTL_CONTROL_MALFORMED_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <vector>

namespace flowctl::control {

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeMalformedRequestInterceptors();

}  // namespace flowctl::control

#endif  // FLOWCTL_CONTROL_MALFORMED_H_
