// The tools an agent-processor may use on each event: read-only SQL against
// a SQLite file, HTTP GET against one allowed origin, and a key-value cache
// (in-process, or Redis). Each tool states its JSON schema for the model and
// runs with bounds: rows, bytes, time.
//
// Contract: a Tool is thread-safe (sql opens a connection per call; http a
// client per call; the caches lock). Run never throws; a tool failure is a
// result the model can read ({"error": ...}), not a Status, unless the call
// itself is malformed.
#ifndef FLOWCTL_AI_AGENT_TOOLS_H_
#define FLOWCTL_AI_AGENT_TOOLS_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowctl/ai/provider.h"
#include "flowctl/base/status.h"

namespace flowctl::ai {

// What bounds one tool call: the event's deadline (max_time_ms) and the
// run's stop flag. A call past either gives up and answers an error.
struct CallBounds {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* stop = nullptr;  // may be null
  bool Expired() const {
    return (stop != nullptr && stop->load(std::memory_order_relaxed)) ||
           std::chrono::steady_clock::now() >= deadline;
  }
};

class AgentTool {
 public:
  virtual ~AgentTool() = default;
  virtual const ToolDefinition& definition() const = 0;
  // Arguments as the model (or a scripted call) gives them.
  virtual nlohmann::json Run(const nlohmann::json& args, const CallBounds& bounds) = 0;
  nlohmann::json Run(const nlohmann::json& args) { return Run(args, CallBounds{}); }
};

// config: {name, type: sql|http|cache|redis, description?, ...}:
//   sql:   database (path), max_rows (100)
//   http:  base_url (the only origin allowed), timeout_ms (5000), max_bytes (4096)
//   cache: max_entries (10000)
//   redis: address (host:port, or unix:PATH), ttl_s (0 = none)
// A tool whose connection is not configured (no database, base_url or
// address) is kFailedPrecondition; the others kInvalidArgument.
// Builds the tool and runs what it needs first (a sql tool's .sql script,
// into an in-memory database that cannot attach files).
Result<std::unique_ptr<AgentTool>> MakeAgentTool(const nlohmann::json& config);
// For validate: the same errors as MakeAgentTool, from the config and
// read-only looks at the files it names. Runs no script, creates no file.
Status CheckAgentTool(const nlohmann::json& config);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_AGENT_TOOLS_H_
