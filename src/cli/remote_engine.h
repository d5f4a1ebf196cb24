// The agent tools' EngineApi over a running `flowctl serve`: each call is
// one PipelineService / ComponentService RPC (for `flowctl mcp --server`).
//
// Contract: thread-safe (gRPC stubs are). A daemon that is not there is
// kUnavailable "no flowctl server at ADDR: start one with `flowctl serve`"
// on every call, not a failure at construction, so the MCP server starts
// before the daemon does. Other errors carry the daemon's message;
// invalid documents also fill the diagnostics from the error envelope.
#ifndef FLOWCTL_CLI_REMOTE_ENGINE_H_
#define FLOWCTL_CLI_REMOTE_ENGINE_H_

#include <memory>

#include "flowctl/ai/engine_api.h"
#include "remote.h"

namespace flowctl::cli {

std::unique_ptr<ai::EngineApi> RemoteEngineApi(const RemoteOptions& r);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_REMOTE_ENGINE_H_
