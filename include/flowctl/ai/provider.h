// Model providers: one interface for chat completion (with JSON-schema
// constrained output and tool calls) and embeddings, implemented for
// OpenAI-compatible servers, Anthropic Messages, Ollama's native API and the
// embedded deterministic models (no network, no key).
//
// Contract: a Provider is thread-safe (calls may run concurrently; each call
// opens its own connection). Providers return kUnavailable for failures worth
// retrying (connection refused, timeouts, HTTP 429 and 5xx) and
// kInvalidArgument / kFailedPrecondition for ones that are not (bad request,
// bad key, malformed answer). Retries, circuit breaking, caching and cost
// accounting live in ModelClient (client.h), not here.
#ifndef FLOWCTL_AI_PROVIDER_H_
#define FLOWCTL_AI_PROVIDER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowctl/base/status.h"

namespace flowctl::ai {

struct ChatMessage {
  std::string role;  // user, assistant, tool
  std::string content;
  // assistant messages that asked for tools / tool results answering them
  std::string tool_call_id;
  nlohmann::json tool_calls;  // provider-neutral [{id, name, arguments}]
};

struct ToolDefinition {
  std::string name;
  std::string description;
  nlohmann::json parameters;  // JSON schema of the arguments
};

struct ToolCall {
  std::string id;
  std::string name;
  nlohmann::json arguments;  // always an object (OpenAI's string is parsed)
};

struct CompletionRequest {
  std::string model;
  std::string system;
  std::vector<ChatMessage> messages;
  nlohmann::json output_schema;  // null: free text; else the answer is JSON of it
  std::vector<ToolDefinition> tools;
  int max_tokens = 1024;
  double temperature = 0.0;
  // For the embedded models, which read no prompts: what to do and on what.
  std::string task;
  std::string text;
  std::vector<std::string> categories;
};

struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

struct CompletionResponse {
  std::string text;           // the answer as text (JSON text when a schema was asked)
  nlohmann::json structured;  // parsed answer when output_schema was set
  std::vector<ToolCall> tool_calls;
  Usage usage;
  std::string model;
  std::string provider;
  double confidence = -1;  // embedded models state one; -1 = not stated
  std::string stop_reason;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual const std::string& name() const = 0;
  virtual Result<CompletionResponse> Complete(const CompletionRequest& request) = 0;
  virtual Result<std::vector<std::vector<float>>> Embed(const std::string& model,
                                                        const std::vector<std::string>& texts) = 0;
};

struct ProviderOptions {
  std::string name;      // openai, anthropic, ollama, embedded
  std::string base_url;  // empty: the provider's default / environment
  std::string api_key;   // empty: from the environment
  int timeout_ms = 30000;
};

// Reads the environment through this seam (tests pass a map).
using EnvLookup = std::function<std::string(const std::string&)>;
EnvLookup ProcessEnv();

Result<std::unique_ptr<Provider>> MakeProvider(const ProviderOptions& options,
                                               const EnvLookup& env);

// A command line's --provider/--model for a remote model: an empty (or
// embedded) provider follows the model's name; an empty model is the
// vendor's small default (gpt-4o-mini, claude-3-5-haiku-latest,
// llama3.1:8b). kInvalidArgument when a model maps to no provider.
struct ModelChoice {
  std::string provider, model;
};
Result<ModelChoice> ResolveModelChoice(const std::string& provider, const std::string& model,
                                       const EnvLookup& env);

// Which provider serves a node, and why (validate prints the reason).
struct ProviderChoice {
  std::string provider;  // openai, anthropic, ollama, embedded
  std::string reason;    // e.g. "model 'gpt-4' maps to openai; OPENAI_API_KEY is set"
  Status usable;         // not OK: the provider needs what is missing (a key)
};
// explicit_provider: the node's `provider:`; override: --ai-provider or
// FLOWCTL_AI_PROVIDER ("" = none). Model names map gpt-*/o1-*/text-embedding-*
// -> openai, claude-* -> anthropic, names with ':' (llama3:8b) -> ollama,
// `embedded`/`embedded-*` -> embedded; any other name needs provider:.
ProviderChoice ChooseProvider(const std::string& model, const std::string& explicit_provider,
                              const std::string& override_provider, const EnvLookup& env);

// USD per million tokens for known models (0 for local ones); the node's
// cost config overrides it.
struct Pricing {
  double input_per_mtok = 0;
  double output_per_mtok = 0;
};
Pricing DefaultPricing(const std::string& provider, const std::string& model);

// The rows of data/pricing.tsv: a model takes the row of its vendor with the
// longest prefix of its lower-case name; prefix "*" is the vendor's default.
struct ModelPrice {
  std::string provider, prefix, kind;  // kind: chat or embed
  Pricing pricing;
};
const std::vector<ModelPrice>& PriceList();

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_PROVIDER_H_
