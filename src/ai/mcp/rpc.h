// Helpers shared by the MCP server's files (private to src/ai/mcp).
#ifndef FLOWCTL_SRC_AI_MCP_RPC_H_
#define FLOWCTL_SRC_AI_MCP_RPC_H_

#include <nlohmann/json.hpp>
#include <string>

#include "flowctl/base/status.h"

namespace flowctl::ai::mcp {

// One JSON-RPC message, on stdio and HTTP alike: far above any real one.
constexpr size_t kMaxMessageBytes = 16u << 20;

// A JSON-RPC error response; data is left out when null.
nlohmann::json RpcError(const nlohmann::json& id, int code, const std::string& message,
                        nlohmann::json data = nullptr);

// Bad params of a request: becomes -32602 (Invalid params).
Status ParamError(const std::string& message);

// params[name] as a non-empty string, or a ParamError naming it.
Result<std::string> StringParam(const nlohmann::json& params, const char* name);

}  // namespace flowctl::ai::mcp

#endif  // FLOWCTL_SRC_AI_MCP_RPC_H_
