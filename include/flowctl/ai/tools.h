// One registry of agent tools: name, description written for a model, input
// and output JSON schemas, annotations, and a handler that calls the engine.
// It feeds `flowctl ai tools` (openai | anthropic | mcp | json) and, later,
// the MCP server and the gRPC AIAgentService — never separate copies.
//
// Contract: registration happens at start-up; afterwards the registry is
// read-only. Call validates arguments against the input schema before the
// handler runs; handlers are thread-safe (they only call the EngineApi).
#ifndef FLOWCTL_AI_TOOLS_H_
#define FLOWCTL_AI_TOOLS_H_

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowctl/ai/engine_api.h"
#include "flowctl/base/status.h"
#include "flowctl/engine/engine.h"

namespace flowctl::ai {

struct ToolAnnotations {
  bool read_only = false;
  bool destructive = false;
  bool idempotent = false;
};

struct ToolSpec {
  std::string name;
  std::string title;
  std::string description;
  nlohmann::json input_schema;
  nlohmann::json output_schema;
  ToolAnnotations annotations;
  std::function<Result<nlohmann::json>(const nlohmann::json& args)> handler;
  // Other spellings of an argument (alias -> canonical): Call renames them
  // before validation, so handlers and schemas know only the canonical name.
  std::map<std::string, std::string> aliases;
};

class ToolRegistry {
 public:
  Status Register(ToolSpec spec);
  const ToolSpec* Find(const std::string& name) const;
  std::vector<const ToolSpec*> List() const;  // registration order
  // Renames aliases, validates args, then runs the handler. Bad arguments:
  // kInvalidArgument naming the field and what is valid.
  Result<nlohmann::json> Call(const std::string& name, const nlohmann::json& args) const;

  // The tool list in the function-calling format of each consumer.
  nlohmann::json ToOpenAI() const;
  nlohmann::json ToAnthropic() const;
  nlohmann::json ToMcp() const;
  nlohmann::json ToJson() const;

 private:
  std::vector<ToolSpec> tools_;
};

// The built-in tools, acting on engine (which must outlive the registry):
// an in-process engine, or any EngineApi (e.g. a running daemon's client).
void RegisterBuiltinTools(ToolRegistry& registry, EngineApi* engine);
void RegisterBuiltinTools(ToolRegistry& registry, engine::Engine* engine);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_TOOLS_H_
