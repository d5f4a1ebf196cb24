// The model path: the model drafts a document against a JSON schema built
// from the registry and a compact catalog; the draft is loaded and
// validated here; the errors go back to the model, at most max_repairs
// times. Whatever the model says, only a locally valid document returns.
#include <algorithm>

#include "flowctl/ai/client.h"
#include "flowctl/config/loader.h"
#include "flowctl/graph/graph.h"
#include "internal.h"

namespace flowctl::ai {
namespace llm_impl {

using nlohmann::json;

json OnErrorSchema() {
  json dl = {
      {"type", "object"},
      {"properties", {{"to", {{"type", "string"}, {"description", "id of a dead-letter sink"}}}}},
      {"required", {"to"}}};
  json retry = {
      {"type", "object"},
      {"properties", {{"max", {{"type", "integer"}}}, {"backoff", {{"type", "string"}}}}}};
  json obj = {{"type", "object"},
              {"properties",
               {{"dead_letter", dl},
                {"retry", retry},
                {"then", {{"description", "drop, fail or {dead_letter: {to: ID}}"}}}}},
              {"additionalProperties", false}};
  json word = {{"type", "string"}, {"enum", {"drop", "fail"}}};
  json any = json::array();
  any.push_back(word);
  any.push_back(obj);
  return {{"oneOf", any}};
}

json NodeSchema(const ComponentDescriptor& d) {
  json props = {{"id", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]+$"}}},
                {"type", {{"const", d.type}}},
                {"config", d.config_schema},
                {"concurrency", {{"type", "integer"}, {"minimum", 1}}},
                {"on_error", OnErrorSchema()}};
  std::vector<std::string> required = {"id", "type"};
  if (d.kind != NodeKind::kSource) {
    props["inputs"] = {{"type", "array"},
                       {"items", {{"type", "string"}}},
                       {"description", "ids read from; ROUTER.NAME picks a named output"}};
    if (!d.inputs_optional && d.kind == NodeKind::kProcessor) required.push_back("inputs");
  }
  if (d.kind == NodeKind::kSink)
    props["filter"] = {{"type", "string"}, {"description", "expression; false = skipped"}};
  return {{"type", "object"},
          {"description", d.summary},
          {"properties", props},
          {"required", required},
          {"additionalProperties", false}};
}

std::string ExtractDocument(const std::string& text) {
  size_t fence = text.find("```");
  if (fence == std::string::npos) return text;
  size_t body = text.find('\n', fence);
  if (body == std::string::npos) return text;
  size_t end = text.find("```", body + 1);
  return text.substr(body + 1, end == std::string::npos ? std::string::npos : end - body - 1);
}

std::string SystemPrompt(const Registry& registry) {
  std::string s =
      "You write pipeline documents for flowctl, a stream-processing engine. Answer with exactly "
      "one YAML document in a ```yaml fenced block and nothing else.\n"
      "Rules: apiVersion flowctl/v1, kind Pipeline, metadata.name in kebab-case. Sources have no "
      "inputs; processors and sinks list the node ids they read in inputs; ROUTER.NAME reads a "
      "named output of a route or ai-router node (ROUTER.default: events no route matched); an "
      "ai-router destination may name its sink ({billing: {sink: billing-queue}}), which then "
      "needs no inputs. Failed events: on_error: {dead_letter: {to: dlq}} with a dead-letter "
      "sink dlq. Expressions (filter conditions, route when, transform set, sink filter): field "
      "paths (geo.country), literals ('text', 10, true), == != < <= > >=, && || !, x in ['a', "
      "'b'], has(x), s.contains('x'), s.lower(), size(x), now(). Use only the component types "
      "below and only the config fields their schemas list.\n\nJSON schema of the document:\n";
  s += PipelineDocumentSchema(registry).dump() +
       "\n\nComponents (type, kind, what it does, example):\n";
  for (const ComponentDescriptor* d : registry.List()) {
    s += "- " + d->type + " (" + NodeKindName(d->kind) + "): " + d->summary + "\n";
    if (!d->example.empty()) {
      std::string ex = d->example;
      std::string indented = "    ";
      for (char c : ex) {
        indented += c;
        if (c == '\n') indented += "    ";
      }
      s += indented + "\n";
    }
  }
  return s;
}

std::string UserPrompt(const PlanRequest& r) {
  std::string s = "Goal: " + r.goal + "\n";
  if (!r.name.empty()) s += "metadata.name: " + r.name + "\n";
  const auto& c = r.constraints;
  if (c.max_latency_ms > 0)
    s += "Constraint: max_latency_ms " + std::to_string(c.max_latency_ms) + "\n";
  if (c.max_cost_per_hour >= 0)
    s += "Constraint: max_cost_per_hour " + std::to_string(c.max_cost_per_hour) + " USD\n";
  if (c.required_throughput > 0)
    s += "Constraint: required_throughput " + std::to_string(c.required_throughput) + " events/s\n";
  for (const auto& [k, v] : r.context)
    if (k != "provider" && k != "model" && k != "name") s += "Context: " + k + ": " + v + "\n";
  return s;
}

// Loads and validates a draft; errors come back as diagnostics.
bool CheckDraft(const std::string& text, const PlanRequest& req, const Registry& registry,
                PipelineSpec* out, std::vector<Diagnostic>* diags) {
  config::LoadOptions lo;
  lo.use_env = false;
  auto loaded = config::LoadString(text, "draft.yaml", lo);
  *diags = loaded.diagnostics;
  if (!loaded.ok()) return false;
  if (loaded.documents.size() != 1 || loaded.documents[0].kind != "Pipeline") {
    Diagnostic d;
    d.mark.file = "draft.yaml";
    d.message = "the answer must be exactly one document of kind Pipeline (got " +
                std::to_string(loaded.documents.size()) + " documents)";
    diags->push_back(d);
    return false;
  }
  PipelineSpec spec = loaded.documents[0].pipeline;
  if (!req.name.empty()) spec.metadata.name = planner::Slug(req.name);
  BuildResult r = BuildGraph(spec, registry);
  *diags = r.diagnostics;
  if (!r.ok()) return false;
  *out = std::move(spec);
  return true;
}

}  // namespace llm_impl

nlohmann::json PipelineDocumentSchema(const Registry& registry) {
  using nlohmann::json;
  json kinds[3] = {json::array(), json::array(), json::array()};
  for (const ComponentDescriptor* d : registry.List())
    kinds[static_cast<int>(d->kind)].push_back(llm_impl::NodeSchema(*d));
  auto section = [&](NodeKind k) {
    return json{{"type", "array"}, {"items", {{"oneOf", kinds[static_cast<int>(k)]}}}};
  };
  json spec = {{"type", "object"},
               {"properties",
                {{"batch_size", {{"type", "integer"}, {"minimum", 1}}},
                 {"channel_capacity", {{"type", "integer"}, {"minimum", 1}}},
                 {"sources", section(NodeKind::kSource)},
                 {"processors", section(NodeKind::kProcessor)},
                 {"sinks", section(NodeKind::kSink)}}},
               {"required", {"sources", "sinks"}},
               {"additionalProperties", false}};
  json strmap = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"title", "flowctl Pipeline document"},
          {"type", "object"},
          {"properties",
           {{"apiVersion", {{"type", "string"}, {"enum", {"flowctl/v1", "v1"}}}},
            {"kind", {{"const", "Pipeline"}}},
            {"metadata",
             {{"type", "object"},
              {"properties",
               {{"name", {{"type", "string"}, {"pattern", "^[a-z0-9][a-z0-9-]*$"}}},
                {"labels", strmap},
                {"annotations", strmap}}},
              {"required", {"name"}}}},
            {"spec", spec}}},
          {"required", {"apiVersion", "kind", "metadata", "spec"}},
          {"additionalProperties", false}};
}

namespace planner {

Result<Plan> DraftWithModel(const PlanRequest& req, const Registry& registry) {
  EnvLookup env = req.env ? req.env : ProcessEnv();
  auto chosen = ResolveModelChoice(req.provider, req.model, env);
  if (!chosen.ok()) return chosen.status();
  const std::string provider = chosen->provider;
  const std::string model = chosen->model;
  ProviderOptions po;
  po.name = provider;
  po.timeout_ms = 120000;
  auto made = MakeProvider(po, env);
  if (!made.ok())
    return Status::Unavailable("model provider " + provider + ": " + made.status().message());
  ClientOptions co;
  co.max_retries = 2;
  co.cache_entries = 0;
  ModelClient client(std::move(made).value(), co, ClientCounters{});
  CompletionRequest cr;
  cr.model = model;
  cr.system = llm_impl::SystemPrompt(registry);
  cr.max_tokens = 4096;
  cr.messages.push_back({"user", llm_impl::UserPrompt(req), "", nlohmann::json()});
  int attempts = 1 + std::max(0, req.max_repairs);
  std::string last;
  for (int a = 1; a <= attempts; ++a) {
    // A model call takes seconds: none is made for a caller who left.
    if (Cancelled(req)) return CancelledStatus();
    if (req.progress)
      req.progress(a == 1 ? "asking " + provider + ":" + model + " for a draft..."
                          : "asking " + provider + ":" + model + " to repair draft " +
                                std::to_string(a - 1) + " (attempt " + std::to_string(a) + " of " +
                                std::to_string(attempts) + ")...");
    auto r = client.Complete(cr);
    if (!r.ok())
      return Status::Unavailable("model provider " + provider + " (" + model +
                                 "): " + r.status().message());
    std::string text = llm_impl::ExtractDocument(r->text);
    PipelineSpec spec;
    std::vector<Diagnostic> diags;
    if (llm_impl::CheckDraft(text, req, registry, &spec, &diags)) {
      Plan plan;
      plan.spec = std::move(spec);
      plan.planner = provider + ":" + model;
      plan.attempts = a;
      if (plan.spec.metadata.annotations.find("description") ==
          plan.spec.metadata.annotations.end())
        plan.spec.metadata.annotations["description"] = req.goal;
      if (a > 1)
        plan.assumptions.push_back("the model's first draft was invalid; draft " +
                                   std::to_string(a) + " passed validation");
      Status st = Finalize(registry, {}, &plan);
      if (!st.ok()) return st;
      return plan;
    }
    last = DiagnosticsText(diags, true);
    if (last.empty()) last = "draft.yaml: error: the answer is not a pipeline document\n";
    if (last.size() > 4000) last = last.substr(0, 4000) + "...\n";
    cr.messages.push_back({"assistant", r->text, "", nlohmann::json()});
    cr.messages.push_back(
        {"user",
         "flowctl validate found these problems in your document:\n" + last +
             "Fix every one and answer with the whole corrected document only, in a ```yaml block.",
         "", nlohmann::json()});
  }
  return Status(StatusCode::kFailedPrecondition,
                "the model (" + provider + ":" + model + ") did not produce a valid pipeline in " +
                    std::to_string(attempts) + " drafts (the first + " +
                    std::to_string(attempts - 1) +
                    " repairs, the --max-repairs cap); the last draft's errors:\n" + last);
}

}  // namespace planner
}  // namespace flowctl::ai
