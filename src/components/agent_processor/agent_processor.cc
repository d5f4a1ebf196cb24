// agent-processor: a bounded tool-using loop per event. With a remote model
// the model reads the event, calls the configured tools (sql, http, cache,
// redis) and gives a final JSON answer; every event is held to max_steps,
// max_tool_calls, max_time_ms and max_cost_usd, and breaking a limit fails
// the event (its on_error policy applies). The embedded provider cannot
// plan, so there the tools that have a scripted `call` run in order.
#include <chrono>

#include "../ai_common/ai_node.h"
#include "../builtin_list.h"
#include "flowctl/ai/agent_tools.h"
#include "flowctl/base/strings.h"
#include "flowctl/data/json.h"
#include "flowctl/data/json_bounded.h"

namespace flowctl::components {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Limits {
  int max_steps = 5;
  int max_tool_calls = 10;
  int max_time_ms = 20000;
  double max_cost_usd = 0.05;
};

class UnconfiguredTool : public ai::AgentTool {
 public:
  UnconfiguredTool(const json& c, std::string why) : why_(std::move(why)) {
    def_.name = c.value("name", "tool");
    def_.description = c.value("description", "(not configured: " + why_ + ")");
    def_.parameters = {{"type", "object"}};
  }
  const ai::ToolDefinition& definition() const override { return def_; }
  json Run(const json&, const ai::CallBounds&) override {
    return {{"error", "not configured: " + why_}};
  }

 private:
  ai::ToolDefinition def_;
  std::string why_;
};

struct AgentShared {
  std::vector<std::unique_ptr<ai::AgentTool>> tools;
  std::vector<json> calls;  // scripted call per tool (null = none)
};

// Fills {field} in every string of a scripted call's arguments.
json RenderArgs(const json& args, const Event& e) {
  if (args.is_string()) {
    std::string s = args.get<std::string>();
    // A string that is exactly {field} keeps the field's JSON type.
    if (s.size() > 2 && s.front() == '{' && s.back() == '}' &&
        s.find('{', 1) == std::string::npos) {
      if (const Value* v = e.body().FindPath(s.substr(1, s.size() - 2)))
        return ai_common::ToJson(*v);
    }
    return ai_common::RenderTemplate(s, e, json(), {}, "");
  }
  if (args.is_object()) {
    json out = json::object();
    for (auto it = args.begin(); it != args.end(); ++it) out[it.key()] = RenderArgs(*it, e);
    return out;
  }
  if (args.is_array()) {
    json out = json::array();
    for (const auto& x : args) out.push_back(RenderArgs(x, e));
    return out;
  }
  return args;
}

class AgentProcessor : public Processor {
 public:
  std::shared_ptr<ai_common::NodeState> state_;
  std::shared_ptr<AgentShared> shared_;
  Limits limits_;
  std::string system_, target_;
  json schema_;
  bool scripted_ = false;
  int max_concurrency_ = 4;
  std::atomic<int64_t>* steps_ = nullptr;
  std::atomic<int64_t>* tool_calls_ = nullptr;
  std::atomic<int64_t>* limit_hits_ = nullptr;
  const std::atomic<bool>* stop_ = nullptr;  // the run was aborted

  // A tool call ends by the event's deadline or when the run stops.
  ai::CallBounds Bounds(Clock::time_point start) const {
    ai::CallBounds b;
    b.deadline = start + std::chrono::milliseconds(limits_.max_time_ms);
    b.stop = stop_;
    return b;
  }
  bool Stopped() const { return stop_ != nullptr && stop_->load(); }

  struct Outcome {
    Status status;
    Value result;
    std::string decision;  // id, "" without decision records
  };

  Status Limit(const std::string& what) {
    if (limit_hits_) limit_hits_->fetch_add(1);
    return Status(StatusCode::kResourceExhausted, "agent stopped: " + what);
  }

  Outcome RunScripted(Event& e) {
    Outcome o;
    auto start = Clock::now();
    Value results = Value::MakeObject();
    Value used = Value::MakeArray();
    int steps = 0;
    for (size_t i = 0; i < shared_->tools.size(); ++i) {
      if (shared_->calls[i].is_null()) continue;
      if (steps >= limits_.max_steps) {
        o.status = Limit("max_steps " + std::to_string(limits_.max_steps) + " reached");
        return o;
      }
      if (std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() >
          limits_.max_time_ms) {
        o.status = Limit("max_time_ms " + std::to_string(limits_.max_time_ms) + " passed");
        return o;
      }
      ++steps;
      const auto& def = shared_->tools[i]->definition();
      if (Stopped()) {
        o.status = Status::Cancelled("agent stopped: the run was aborted");
        return o;
      }
      json r = shared_->tools[i]->Run(RenderArgs(shared_->calls[i], e), Bounds(start));
      results.Set(def.name, ai_common::FromJson(r));
      used.as_array().emplace_back(def.name);
      if (Clock::now() - start > std::chrono::milliseconds(limits_.max_time_ms)) {
        o.status = Limit("max_time_ms " + std::to_string(limits_.max_time_ms) + " passed in " +
                         def.name + ": " + r.value("error", std::string("a slow call")));
        return o;
      }
    }
    if (steps_) steps_->fetch_add(steps);
    if (tool_calls_) tool_calls_->fetch_add(steps);
    o.result = Value::MakeObject();
    o.result.Set("results", std::move(results));
    o.result.Set("steps", Value(steps));
    o.result.Set("tools_used", std::move(used));
    return o;
  }

  Outcome RunModel(Event& e, double* cost_total) {
    Outcome o;
    auto start = Clock::now();
    ai::CompletionRequest req;
    req.model = state_->model;
    req.system = system_;
    req.output_schema = schema_;
    std::string ev;
    e.AppendJson(&ev);
    req.messages.push_back({"user", "Event: " + ev, "", json()});
    for (const auto& t : shared_->tools) req.tools.push_back(t->definition());
    int calls = 0;
    Value used = Value::MakeArray();
    for (int step = 1;; ++step) {
      if (step > limits_.max_steps) {
        o.status = Limit("max_steps " + std::to_string(limits_.max_steps) +
                         " reached without a final answer");
        break;
      }
      if (std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() >
          limits_.max_time_ms) {
        o.status = Limit("max_time_ms " + std::to_string(limits_.max_time_ms) + " passed");
        break;
      }
      if (Stopped()) {
        o.status = Status::Cancelled("agent stopped: the run was aborted");
        break;
      }
      if (*cost_total > limits_.max_cost_usd) {
        o.status = Limit("max_cost_usd " + std::to_string(limits_.max_cost_usd) + " spent");
        break;
      }
      if (steps_) steps_->fetch_add(1);
      double cost = 0;
      auto r = state_->client->Complete(req, &cost);
      *cost_total += cost;
      if (!r.ok()) {
        o.status = r.status();
        break;
      }
      const auto& resp = r.value();
      if (resp.tool_calls.empty()) {
        json answer = resp.structured;
        if (answer.is_null()) answer = ParseJsonBoundedOrDiscarded(resp.text);
        if (answer.is_discarded() || !answer.is_object()) {
          o.status = Status::Invalid("agent's final answer is not a JSON object");
          break;
        }
        Status valid = ai_common::ValidateAnswer(schema_, answer);
        if (!valid.ok()) {
          if (state_->invalid_answers) state_->invalid_answers->fetch_add(1);
          o.status = valid;
          break;
        }
        o.result = Value::MakeObject();
        o.result.Set("answer", ai_common::FromJson(answer));
        o.result.Set("steps", Value(step));
        o.result.Set("tools_used", std::move(used));
        break;
      }
      json call_json = json::array();
      for (const auto& c : resp.tool_calls)
        call_json.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
      req.messages.push_back({"assistant", resp.text, "", call_json});
      bool over = false;
      for (const auto& c : resp.tool_calls) {
        if (++calls > limits_.max_tool_calls) {
          over = true;
          break;
        }
        if (tool_calls_) tool_calls_->fetch_add(1);
        json result = {{"error", "no tool named '" + c.name + "'"}};
        for (const auto& t : shared_->tools)
          if (t->definition().name == c.name) {
            result = t->Run(c.arguments, Bounds(start));
            used.as_array().emplace_back(c.name);
          }
        req.messages.push_back({"tool", result.dump(), c.id, json()});
      }
      if (over) {
        o.status = Limit("max_tool_calls " + std::to_string(limits_.max_tool_calls) + " reached");
        break;
      }
    }
    return o;
  }

  Status Process(std::vector<Event>& events, Emitter& out) override {
    std::vector<Outcome> outcomes(events.size());
    auto one = [&](size_t i) {
      auto start = Clock::now();
      double cost = 0;
      outcomes[i] = scripted_ ? RunScripted(events[i]) : RunModel(events[i], &cost);
      if (!outcomes[i].status.ok()) return;
      std::string id = state_->decisions->NextId();
      if (state_->decisions_made) state_->decisions_made->fetch_add(1);
      if (state_->decisions->persistent()) {
        std::string in;
        events[i].AppendJson(&in);
        if (in.size() > 2048) in = "{\"truncated\":true}";
        auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
        state_->decisions->Record(id, "agent-processor", state_->model, state_->provider, in,
                                  outcomes[i].result.ToJson(), 1.0, us, cost);
        outcomes[i].result.Set("decision", Value(id));
        outcomes[i].decision = id;
      }
    };
    // Scripted tools run in order per event; model turns are worth threads.
    ai_common::ParallelFor(events.size(), scripted_ ? 1 : max_concurrency_, one);
    for (size_t i = 0; i < events.size(); ++i) {
      if (!outcomes[i].status.ok()) {
        out.Fail(std::move(events[i]), outcomes[i].status);
        continue;
      }
      events[i].Mutable().Set(target_, std::move(outcomes[i].result));
      ai_common::AppendDecision(events[i], outcomes[i].decision);
      out.Emit(std::move(events[i]));
    }
    state_->decisions->Flush();  // records reach the disk with their batch
    return Status::OK();
  }
};

json AgentModelConfig(const json& c) {
  json out = c;
  json agent = c.value("agent", json::object());
  if (agent.contains("model")) out["model"] = agent["model"];
  if (agent.contains("provider")) out["provider"] = agent["provider"];
  return out;
}

}  // namespace

ComponentDescriptor AgentProcessorDescriptor() {
  ComponentDescriptor d;
  d.type = "agent-processor";
  d.kind = NodeKind::kProcessor;
  d.summary =
      "Runs a bounded tool-using model loop per event (sql, http GET, cache, redis) "
      "and attaches the agent's answer.";
  d.description =
      "agent.model (gpt-*, claude-*, name:tag) reads the event, may call the tools and "
      "answers with JSON (validated against output_schema when given); the event gets "
      "TARGET {answer, steps, tools_used}. Limits per event: max_steps model calls, "
      "max_tool_calls, max_time_ms and max_cost_usd; breaking one fails the event with the "
      "reason (use on_error). Tools: sql (read-only SELECT on a SQLite file), http (GET under "
      "base_url only), cache (in-process key-value), redis (GET/SET at address). On the "
      "embedded provider (no model to plan) every tool with a scripted call "
      "({query, params: {x: '{field}'}}, {path}, {op, key, value}) runs in order and the "
      "event gets TARGET {results, steps, tools_used}.";
  d.keywords = {"agent",  "autonomous", "tools",  "tool use", "llm",
                "lookup", "database",   "sql",    "api",      "http",
                "cache",  "redis",      "enrich", "decision", "function calling"};
  json tool_schema = {
      {"type", "object"},
      {"properties",
       {{"name", {{"type", "string"}, {"minLength", 1}}},
        {"type", {{"type", "string"}, {"enum", {"sql", "http", "cache", "redis"}}}},
        {"description", {{"type", "string"}}},
        {"database",
         {{"type", "string"},
          {"description", "sql: SQLite file (opened read-only)"},
          {"x-flowctl-path", "read"}}},
        {"max_rows", {{"type", "integer"}, {"minimum", 1}}},
        {"base_url", {{"type", "string"}, {"description", "http: the only origin allowed"}}},
        {"timeout_ms", {{"type", "integer"}, {"minimum", 1}}},
        {"max_bytes", {{"type", "integer"}, {"minimum", 1}}},
        {"max_entries", {{"type", "integer"}, {"minimum", 1}}},
        {"address", {{"type", "string"}, {"description", "redis: host:port or unix:PATH"}}},
        {"ttl_s", {{"type", "integer"}, {"minimum", 0}}},
        {"call",
         {{"type", "object"}, {"description", "scripted arguments; {field} = event field"}}}}},
      {"required", {"name", "type"}},
      {"additionalProperties", false}};
  json props = {
      {"agent",
       {{"type", "object"},
        {"properties",
         {{"type",
           {{"type", "string"}, {"enum", {"autonomous", "scripted"}}, {"default", "autonomous"}}},
          {"model", {{"type", "string"}}},
          {"provider",
           {{"type", "string"}, {"enum", {"openai", "anthropic", "ollama", "embedded"}}}},
          {"capabilities", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"instructions", {{"type", "string"}}}}},
        {"additionalProperties", false}}},
      {"memory",
       {{"type", "object"},
        {"properties", {{"type", {{"type", "string"}}}, {"retention", {{"type", "string"}}}}},
        {"additionalProperties", false}}},
      {"tools", {{"type", "array"}, {"items", tool_schema}}},
      {"limits",
       {{"type", "object"},
        {"properties",
         {{"max_steps", {{"type", "integer"}, {"minimum", 1}, {"default", 5}}},
          {"max_tool_calls", {{"type", "integer"}, {"minimum", 0}, {"default", 10}}},
          {"max_time_ms", {{"type", "integer"}, {"minimum", 1}, {"default", 20000}}},
          {"max_cost_usd", {{"type", "number"}, {"minimum", 0}, {"default", 0.05}}}}},
        {"additionalProperties", false}}},
      {"output_schema", {{"type", "object"}}},
      {"target", {{"type", "string"}, {"default", "agent"}}}};
  ai_common::AddModelProperties(&props, "embedded");
  props["max_concurrency"]["default"] = 4;
  d.config_schema = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
  d.example =
      "- id: enrich-agent\n  type: agent-processor\n  inputs: [orders]\n  config:\n"
      "    agent: {model: gpt-4o-mini, capabilities: [data-enrichment]}\n"
      "    tools:\n      - {name: query-database, type: sql, database: customers.db}\n"
      "    limits: {max_steps: 4, max_cost_usd: 0.01}\n";
  d.check = [](const json& c) {
    using L = ComponentDescriptor::Check::Level;
    auto out = ai_common::ProviderChecks(AgentModelConfig(c));
    if (c.contains("memory"))
      out.push_back({L::kWarning, "/memory",
                     "memory is accepted but not acted on yet: each event starts fresh", ""});
    if (c.contains("tools"))
      for (size_t i = 0; i < c["tools"].size(); ++i) {
        // Validation only reads: the tool is checked, not built.
        Status t = ai::CheckAgentTool(c["tools"][i]);
        if (t.ok()) continue;
        bool unconfigured = t.code() == StatusCode::kFailedPrecondition;
        out.push_back(
            {unconfigured ? L::kWarning : L::kError, "/tools/" + std::to_string(i),
             t.message() + (unconfigured ? ": until it is set, calls to it answer that error" : ""),
             ""});
      }
    auto env = ai::ProcessEnv();
    json mc = AgentModelConfig(c);
    auto choice = ai::ChooseProvider(mc.value("model", "embedded"), mc.value("provider", ""),
                                     env("FLOWCTL_AI_PROVIDER"), env);
    if (choice.provider == "embedded") {
      bool any_call = false;
      if (c.contains("tools"))
        for (const auto& t : c["tools"]) any_call = any_call || t.contains("call");
      out.push_back({any_call ? L::kNote : L::kWarning, "",
                     std::string("the embedded provider cannot plan tool use: ") +
                         (any_call ? "the tools with a call: run in order"
                                   : "no tool has a call:, so the agent does nothing"),
                     "set agent.model to a remote model for an autonomous agent"});
    }
    return out;
  };
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    const json& c = ctx.config;
    ComponentContext local = ctx;
    local.config = AgentModelConfig(c);
    auto st = ai_common::GetNodeState(local, "agent-processor");
    if (!st.ok()) return st.status();
    auto p = std::make_unique<AgentProcessor>();
    p->state_ = st.value();
    if (!p->state_->extra) {
      auto shared = std::make_shared<AgentShared>();
      if (c.contains("tools"))
        for (const auto& tj : c["tools"]) {
          auto t = ai::MakeAgentTool(tj);
          if (!t.ok() && t.status().code() == StatusCode::kFailedPrecondition) {
            // The model sees the tool and, when it calls it, why it cannot work.
            shared->tools.push_back(std::make_unique<UnconfiguredTool>(tj, t.status().message()));
          } else if (!t.ok()) {
            return t.status();
          } else {
            shared->tools.push_back(std::move(t).value());
          }
          shared->calls.push_back(tj.contains("call") ? tj["call"] : json());
        }
      p->state_->extra = shared;
    }
    p->shared_ = std::static_pointer_cast<AgentShared>(p->state_->extra);
    json agent = c.value("agent", json::object());
    json lim = c.value("limits", json::object());
    p->limits_.max_steps = lim.value("max_steps", 5);
    p->limits_.max_tool_calls = lim.value("max_tool_calls", 10);
    p->limits_.max_time_ms = lim.value("max_time_ms", 20000);
    p->limits_.max_cost_usd = lim.value("max_cost_usd", 0.05);
    p->scripted_ = p->state_->provider == "embedded" || agent.value("type", "") == "scripted";
    p->target_ = c.value("target", "agent");
    p->max_concurrency_ = c.value("max_concurrency", 4);
    if (c.contains("output_schema")) p->schema_ = ai_common::NormalizeSchema(c["output_schema"]);
    std::string caps;
    if (agent.contains("capabilities"))
      caps = Join(agent["capabilities"].get<std::vector<std::string>>(), ", ");
    p->system_ =
        "You are an agent inside a data pipeline, processing one event at a time." +
        (caps.empty() ? std::string() : " Your capabilities: " + caps + ".") +
        " Use the tools when they help; you have at most " + std::to_string(p->limits_.max_steps) +
        " model turns. When done, answer with one JSON object" +
        (p->schema_.is_null() ? std::string(".") : std::string(" matching the given schema.")) +
        (agent.contains("instructions") ? "\n" + agent["instructions"].get<std::string>() : "");
    p->stop_ = ctx.stop;
    if (ctx.counters) {
      p->steps_ = ctx.counters->Get("agent_steps");
      p->tool_calls_ = ctx.counters->Get("agent_tool_calls");
      p->limit_hits_ = ctx.counters->Get("agent_limit_stops");
    }
    return std::unique_ptr<Processor>(std::move(p));
  };
  return d;
}

}  // namespace flowctl::components
