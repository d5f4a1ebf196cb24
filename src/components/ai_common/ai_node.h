// What the AI components share: the model fields of their configs, the
// per-node model client and decision log, reading the text of an event,
// prompt templates and validating a model's answer against output_schema.
#ifndef FLOWCTL_COMPONENTS_AI_COMMON_AI_NODE_H_
#define FLOWCTL_COMPONENTS_AI_COMMON_AI_NODE_H_

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowctl/ai/client.h"
#include "flowctl/ai/decisions.h"
#include "flowctl/ai/embedded.h"
#include "flowctl/component/component.h"
#include "flowctl/component/registry.h"
#include "flowctl/data/event.h"

namespace flowctl::components::ai_common {

// Adds the model/provider/limits/cost/decisions properties to a schema.
void AddModelProperties(nlohmann::json* properties, const std::string& default_model);

// Notes for validate: which provider a node will use and why; a missing key
// is a warning here and an error when the pipeline starts.
std::vector<ComponentDescriptor::Check> ProviderChecks(const nlohmann::json& config);

// Shared by all instances of one node for one run.
struct NodeState {
  std::string component;
  std::string model;
  std::string provider;  // embedded, openai, anthropic, ollama
  std::unique_ptr<ai::ModelClient> client;
  std::unique_ptr<ai::DecisionLog> decisions;
  std::atomic<int64_t>* decisions_made = nullptr;
  std::atomic<int64_t>* invalid_answers = nullptr;
  std::atomic<int64_t>* confidence_milli_total = nullptr;
  std::shared_ptr<void> extra;  // component-specific shared state
};

// The node's shared state, created by the first instance.
Result<std::shared_ptr<NodeState>> GetNodeState(const ComponentContext& ctx,
                                                const std::string& component);

// The fields that hold an event's text, in order of preference.
std::vector<std::string> TextFields(const nlohmann::json& config);
// The text of an event: the first text field present (strings as they are,
// other values as JSON), or every string member joined when none is.
std::string EventText(const Event& e, const std::vector<std::string>& fields);

// Fills {field}, {event_data} / {event}, {output_schema}, {categories},
// {retrieved_context}; {{ and }} are literal braces.
std::string RenderTemplate(const std::string& tmpl, const Event& e, const nlohmann::json& schema,
                           const std::vector<std::string>& categories,
                           const std::string& retrieved_context);

// output_schema as JSON schema: the seed's min/max become minimum/maximum
// and an object with properties gets type object.
nlohmann::json NormalizeSchema(nlohmann::json schema);
// The model's answer checked against the schema; the error names the field.
Status ValidateAnswer(const nlohmann::json& schema, const nlohmann::json& answer);

// Runs fn(0..n-1) on up to max_threads threads (the caller's among them):
// model calls of one batch in flight at once, bounded by the node's limit.
void ParallelFor(size_t n, int max_threads, const std::function<void(size_t)>& fn);

// {"text": TEXT} with the text cut at 512 bytes: a decision record's input.
std::string TextInputJson(const std::string& text);

Value FromJson(const nlohmann::json& j);
nlohmann::json ToJson(const Value& v);

// Every AI node that decides on an event lists its decision id in the
// event's top-level `_ai.decisions`, so an event that passed several AI nodes
// names each decision (`flowctl explain` takes any of them). DecisionList
// reads the list (empty when none); SetDecisionList writes it, keeping the
// rest of `_ai`. A node that rewrites `_ai` itself reads the list before.
Value DecisionList(Event& e);
void SetDecisionList(Event& e, Value list);
// DecisionList + id, then SetDecisionList; nothing when id is empty (the
// node keeps no decision records).
void AppendDecision(Event& e, const std::string& id);

// Categories from config.categories or config.classification.categories
// (strings or {name, keywords}).
std::vector<ai::embedded::CategoryDef> Categories(const nlohmann::json& config);

}  // namespace flowctl::components::ai_common

#endif  // FLOWCTL_COMPONENTS_AI_COMMON_AI_NODE_H_
