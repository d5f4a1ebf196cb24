// The gRPC client side of a flowctl control plane, shared by the remote
// commands (remote.cc) and the MCP server's --server mode
// (remote_engine.cc): address and token resolution, connecting, and decoding
// the error envelope the daemon sends.
//
// Contract: a Client is used from one thread at a time per call context;
// the stubs themselves are thread-safe (gRPC channels are).
#ifndef FLOWCTL_CLI_CLIENT_H_
#define FLOWCTL_CLI_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "ai/obsrvr/flowctl/agent.grpc.pb.h"
#include "flowctl/base/status.h"
#include "flowctl/v1/flowctl.grpc.pb.h"
#include "remote.h"

namespace flowctl::cli {

class Client {
 public:
  explicit Client(const RemoteOptions& r);

  // Fails with the one clear line on stderr when nothing listens there.
  bool Connect();
  // The same as a Status (kUnavailable: "no flowctl server at ADDR: ..."),
  // printing nothing; waits up to timeout_s for the channel.
  Status Ready(int timeout_s);

  // Adds the bearer token and a deadline.
  void Prepare(grpc::ClientContext* ctx, int timeout_s = 30) const;

  v1::PipelineService::Stub& stub() { return *stub_; }
  v1::ComponentService::Stub& components() { return *components_; }
  ::ai::obsrvr::flowctl::AIAgentService::Stub& agents() { return *agents_; }
  const std::string& address() const { return addr_; }

 private:
  std::string addr_;
  std::string token_;
  std::string token_error_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PipelineService::Stub> stub_;
  std::unique_ptr<v1::ComponentService::Stub> components_;
  std::unique_ptr<::ai::obsrvr::flowctl::AIAgentService::Stub> agents_;
};

// The "no flowctl server at ADDR" message, for UNAVAILABLE.
std::string NoServerMessage(const std::string& addr);

// The v1::ErrorDetails a failed call carries in its google.rpc.Status
// envelope; false when it has none.
bool DecodeErrorDetails(const grpc::Status& st, v1::ErrorDetails* details);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_CLIENT_H_
