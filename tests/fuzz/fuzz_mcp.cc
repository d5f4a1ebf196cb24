// Fuzz target: the MCP server's JSON-RPC handler (src/ai/mcp/), called the
// way the stdio transport calls it: each line of the input is one message of
// one session (so an initialize line can unlock the lines after it). Every
// message must get a JSON-RPC answer or none, never a crash. The server is
// read-only over an in-memory engine: tools that change anything are not
// callable, and model providers see no keys and a closed local port.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "flowctl/ai/mcp.h"
#include "flowctl/ai/tools.h"
#include "flowctl/engine/engine.h"

namespace {

struct World {
  std::unique_ptr<flowctl::engine::Engine> engine;
  flowctl::ai::ToolRegistry tools;
  std::unique_ptr<flowctl::ai::mcp::Server> server;
};

World& TheWorld() {
  static World* w = [] {
    for (const char* var : {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL",
                            "ANTHROPIC_BASE_URL", "FLOWCTL_AI_PROVIDER", "FLOWCTL_SERVER"})
      ::unsetenv(var);
    ::setenv("OLLAMA_HOST", "http://127.0.0.1:9", 1);
    auto* w = new World();
    flowctl::engine::EngineOptions eo;
    eo.workers = 1;
    eo.recover = false;
    auto e = flowctl::engine::Engine::Open(eo);
    if (!e.ok()) std::abort();
    w->engine = std::move(e).value();
    flowctl::ai::RegisterBuiltinTools(w->tools, w->engine.get());
    flowctl::ai::mcp::ServerOptions so;
    so.read_only = true;
    w->server = std::make_unique<flowctl::ai::mcp::Server>(&w->tools, w->engine.get(), so);
    return w;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  flowctl::ai::mcp::Session session;
  size_t start = 0;
  while (start <= input.size()) {
    size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    std::string_view line = input.substr(start, nl - start);
    start = nl + 1;
    if (line.empty()) continue;
    std::string reply = w.server->HandleText(line, &session);
    // An answer is one JSON-RPC object (or a batch of them).
    if (!reply.empty() && !nlohmann::json::accept(reply)) __builtin_trap();
  }
  return 0;
}
