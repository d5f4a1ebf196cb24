// ai-processor: runs a model task on each event (classify-and-enrich,
// sentiment, classify, priority, extract, summarize) and merges the answer,
// validated against output_schema, into the event. On the embedded provider
// the models run in-process per event; remote providers are called with up
// to max_concurrency requests in flight per node.
#include <chrono>

#include "../ai_common/ai_node.h"
#include "../builtin_list.h"
#include "flowctl/base/strings.h"
#include "flowctl/data/json.h"

namespace flowctl::components {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

json DefaultSchema(const std::vector<std::string>& tasks,
                   const std::vector<ai::embedded::CategoryDef>& cats) {
  json props = json::object();
  json cat_enum = json::array();
  for (const auto& c : cats) cat_enum.push_back(c.name);
  auto category = [&] {
    json p = {{"type", "string"}};
    if (!cat_enum.empty()) p["enum"] = cat_enum;
    return p;
  };
  json priority = {{"type", "string"}, {"enum", {"low", "medium", "high", "critical"}}};
  json sentiment = {{"type", "number"}, {"minimum", -1}, {"maximum", 1}};
  for (const auto& t : tasks) {
    if (t == "classify-and-enrich") {
      props["category"] = category();
      props["sentiment"] = sentiment;
      props["priority"] = priority;
      props["actions"] = {{"type", "array"}, {"items", {{"type", "string"}}}};
    } else if (t == "sentiment") {
      props["sentiment"] = sentiment;
      props["sentiment_label"] = {{"type", "string"},
                                  {"enum", {"negative", "neutral", "positive"}}};
    } else if (t == "classify") {
      props["category"] = category();
    } else if (t == "priority") {
      props["priority"] = priority;
      props["urgent"] = {{"type", "boolean"}};
    } else if (t == "extract") {
      props["entities"] = {{"type", "object"}};
    } else if (t == "summarize") {
      props["summary"] = {{"type", "string"}};
    }
  }
  json required = json::array();
  for (auto it = props.begin(); it != props.end(); ++it) required.push_back(it.key());
  return {{"type", "object"}, {"properties", props}, {"required", required}};
}

std::vector<std::string> TasksOf(const json& c) {
  if (c.contains("tasks") && c["tasks"].is_array() && !c["tasks"].empty())
    return c["tasks"].get<std::vector<std::string>>();
  return {c.value("task", "classify-and-enrich")};
}

// Sets the fields on the event: appended to the original bytes when the
// event is still undecoded and none of the fields exists in it yet.
void Merge(Event& e, std::vector<Member>& fields, const std::string& target) {
  if (!target.empty()) {
    Value obj(std::move(fields));
    if (e.lazy()) {
      thread_local Value view;
      if (ExtractTopLevel(e.raw(), {target}, &view).ok() && view.Find(target) == nullptr) {
        e.PatchTopLevel(target, std::move(obj));
        return;
      }
    }
    e.Mutable().SetPath(target, std::move(obj));
    return;
  }
  if (e.lazy()) {
    thread_local Value view;
    thread_local std::vector<std::string> keys;
    keys.clear();
    for (const auto& m : fields) keys.push_back(m.key);
    if (ExtractTopLevel(e.raw(), keys, &view).ok()) {
      bool clash = false;
      for (const auto& m : fields) clash = clash || view.Find(m.key) != nullptr;
      if (!clash) {
        for (auto& m : fields) e.PatchTopLevel(m.key, std::move(m.value));
        return;
      }
    }
  }
  Value& body = e.Mutable();
  for (auto& m : fields) body.Set(m.key, std::move(m.value));
}

class AiProcessor : public Processor {
 public:
  std::shared_ptr<ai_common::NodeState> state_;
  std::vector<std::string> tasks_;
  std::vector<std::string> text_fields_;
  std::vector<std::string> category_names_;
  std::string target_, decision_field_, prompt_template_, system_;
  json schema_;  // normalized output schema the answer is validated against
  bool embedded_ = true;
  ai::embedded::Filler filler_;
  int max_tokens_ = 1024;
  double temperature_ = 0;
  int max_concurrency_ = 8;

  // The annotation is the event's top-level `_ai` itself: it then carries
  // the decision list (ai_common::DecisionList) so that writing it keeps the
  // ids of the AI nodes before; otherwise the id is appended beside.
  bool OwnsAi() const { return target_.empty() && decision_field_ == "_ai"; }

  // prior: the event's decision list before this node.
  void Annotate(std::vector<Member>& fields, const std::string& id, double confidence,
                const std::string& model, Value prior) {
    if (decision_field_.empty()) return;
    Value a = Value::MakeObject();
    if (state_->decisions->persistent()) a.Set("decision", Value(id));
    a.Set("model", Value(model));
    a.Set("confidence", Value(confidence));
    if (OwnsAi() && !id.empty()) {
      prior.as_array().emplace_back(id);
      a.Set("decisions", std::move(prior));
    }
    fields.push_back({decision_field_, std::move(a)});
  }

  // After Merge: the id beside when the annotation did not carry it.
  void ListDecision(Event& e, const std::string& id) {
    if (!OwnsAi() && !decision_field_.empty()) ai_common::AppendDecision(e, id);
  }

  Value Prior(Event& e) {
    return OwnsAi() && state_->decisions->persistent() ? ai_common::DecisionList(e)
                                                       : Value::MakeArray();
  }

  void Account(double confidence) {
    if (state_->decisions_made) state_->decisions_made->fetch_add(1, std::memory_order_relaxed);
    if (state_->confidence_milli_total)
      state_->confidence_milli_total->fetch_add(static_cast<int64_t>(confidence * 1000),
                                                std::memory_order_relaxed);
  }

  Status ProcessEmbedded(std::vector<Event>& events, Emitter& out) {
    std::vector<Member> fields;
    for (auto& e : events) {
      auto start = Clock::now();
      std::string text = ai_common::EventText(e, text_fields_);
      fields.clear();
      double confidence = 0;
      filler_.Fill(text, &fields, &confidence);
      std::string id = state_->decisions->NextId();
      if (state_->decisions->persistent()) {
        auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
        Value outv(fields);
        state_->decisions->Record(id, "ai-processor", state_->model, "embedded",
                                  ai_common::TextInputJson(text), outv.ToJson(), confidence, us,
                                  0.0, filler_.Evidence(text).dump());
      }
      Account(confidence);
      Annotate(fields, id, confidence, state_->model, Prior(e));
      Merge(e, fields, target_);
      ListDecision(e, id);
      out.Emit(std::move(e));
    }
    return Status::OK();
  }

  struct Outcome {
    Status status;
    std::vector<Member> fields;
    double confidence = 0;
    std::string model;
    std::string decision;  // id, "" without decision records
  };

  Outcome CallOne(Event& e) {
    Outcome o;
    auto start = Clock::now();
    ai::CompletionRequest req;
    req.model = state_->model;
    req.system = system_;
    req.task = tasks_.front();
    req.text = ai_common::EventText(e, text_fields_);
    req.categories = category_names_;
    req.output_schema = schema_;
    req.max_tokens = max_tokens_;
    req.temperature = temperature_;
    req.messages.push_back(
        {"user", ai_common::RenderTemplate(prompt_template_, e, schema_, category_names_, ""), "",
         json()});
    double cost = 0;
    auto r = state_->client->Complete(req, &cost);
    if (!r.ok()) {
      o.status = r.status();
      return o;
    }
    Status valid = ai_common::ValidateAnswer(schema_, r.value().structured);
    if (!valid.ok() || !r.value().structured.is_object()) {
      if (state_->invalid_answers) state_->invalid_answers->fetch_add(1);
      o.status = valid.ok() ? Status::Invalid("model answer is not a JSON object") : valid;
      return o;
    }
    Value v = ai_common::FromJson(r.value().structured);
    o.fields = std::move(v.as_object());
    o.confidence = r.value().confidence >= 0 ? r.value().confidence : 1.0;
    if (r.value().structured.contains("confidence") &&
        r.value().structured["confidence"].is_number())
      o.confidence = r.value().structured["confidence"].get<double>();
    o.model = r.value().model.empty() ? state_->model : r.value().model;
    std::string id = state_->decisions->NextId();
    if (state_->decisions->persistent()) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
      state_->decisions->Record(id, "ai-processor", o.model, state_->provider,
                                ai_common::TextInputJson(req.text), r.value().structured.dump(),
                                o.confidence, us, cost);
    }
    Account(o.confidence);
    Annotate(o.fields, id, o.confidence, o.model, Prior(e));
    o.decision = id;
    return o;
  }

  Status ProcessRemote(std::vector<Event>& events, Emitter& out) {
    std::vector<Outcome> outcomes(events.size());
    ai_common::ParallelFor(events.size(), max_concurrency_,
                           [&](size_t i) { outcomes[i] = CallOne(events[i]); });
    for (size_t i = 0; i < events.size(); ++i) {
      if (!outcomes[i].status.ok()) {
        out.Fail(std::move(events[i]), outcomes[i].status);
        continue;
      }
      Merge(events[i], outcomes[i].fields, target_);
      ListDecision(events[i], outcomes[i].decision);
      out.Emit(std::move(events[i]));
    }
    return Status::OK();
  }

  Status Process(std::vector<Event>& events, Emitter& out) override {
    Status st = embedded_ ? ProcessEmbedded(events, out) : ProcessRemote(events, out);
    // Records reach the disk with their batch: nothing waits for a run end.
    state_->decisions->Flush();
    return st;
  }
};

const char kDefaultSystem[] =
    "You are a step in a data pipeline. Read the event and answer with one JSON object that "
    "matches the given JSON schema exactly: no prose, no code fences.";

}  // namespace

ComponentDescriptor AiProcessorDescriptor() {
  ComponentDescriptor d;
  d.type = "ai-processor";
  d.kind = NodeKind::kProcessor;
  d.summary =
      "Runs a model task per event (sentiment, classify, priority, extract, summarize) "
      "and merges the validated answer into the event.";
  d.description =
      "task classify-and-enrich (category, sentiment, priority, actions), sentiment "
      "(sentiment -1..1, sentiment_label), classify (category from the configured categories), "
      "priority (priority low..critical, urgent), extract (entities: emails, urls, phones, "
      "amounts, order ids) or summarize (summary); tasks: [..] combines several. With "
      "output_schema the answer has exactly those fields, validated locally (an answer that "
      "does not match fails the event: use on_error dead_letter). prompt_template fills "
      "{field}, {event_data}, {output_schema}, {categories}. model embedded (the default) "
      "runs local heuristic models with no key; gpt-*, claude-*, name:tag call OpenAI, "
      "Anthropic, Ollama with retries, a circuit breaker, a response cache and cost "
      "accounting. Each decision gets a record for `flowctl explain`.";
  d.keywords = {"ai",        "llm",      "model",    "sentiment", "classify", "classification",
                "enrich",    "priority", "urgency",  "urgent",    "extract",  "entities",
                "summarize", "summary",  "gpt",      "claude",    "openai",   "anthropic",
                "ollama",    "nlp",      "feedback", "category",  "analyze",  "detect"};
  json tasks_enum = json::array();
  for (const char* t : ai::embedded::kTasks) tasks_enum.push_back(t);
  json category_item = {{"type", "object"},
                        {"properties",
                         {{"name", {{"type", "string"}}},
                          {"keywords", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
                        {"required", {"name"}}};
  json props = {
      {"task",
       {{"type", "string"},
        {"enum", tasks_enum},
        {"default", "classify-and-enrich"},
        {"description", "what the model does"}}},
      {"tasks",
       {{"type", "array"},
        {"items", {{"type", "string"}, {"enum", tasks_enum}}},
        {"description", "several tasks at once (overrides task)"}}},
      {"prompt_template",
       {{"type", "string"},
        {"description", "user prompt; {field} = the event's field, {event_data} = the event"}}},
      {"system_prompt", {{"type", "string"}}},
      {"output_schema",
       {{"type", "object"},
        {"description", "JSON schema of the answer (min/max accepted for minimum/maximum)"}}},
      {"categories",
       {{"type", "array"},
        {"description", "classes for classify: names, or {name, keywords}"},
        {"items", json::object()}}},
      {"classification",
       {{"type", "object"},
        {"properties",
         {{"categories", {{"type", "array"}}},
          {"dynamic", {{"type", "boolean"}}},
          {"learn_from_feedback", {{"type", "boolean"}}}}},
        {"additionalProperties", false}}},
      {"text_field",
       {{"type", "string"},
        {"description", "field holding the text (default: message, text, feedback, body, ...)"}}},
      {"text_fields", {{"type", "array"}, {"items", {{"type", "string"}}}}},
      {"target",
       {{"type", "string"},
        {"default", ""},
        {"description", "field to put the answer under; \"\" merges it at the top level"}}}};
  ai_common::AddModelProperties(&props, "embedded");
  d.config_schema = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
  d.example =
      "- id: sentiment\n  type: ai-processor\n  inputs: [feedback]\n  config:\n"
      "    tasks: [sentiment, priority]\n    model: embedded      # or gpt-4o-mini, "
      "claude-3-haiku\n"
      "  on_error: {dead_letter: {to: dlq}}\n";
  d.check = [](const json& c) {
    using L = ComponentDescriptor::Check::Level;
    auto out = ai_common::ProviderChecks(c);
    if (c.contains("classification") && (c["classification"].value("dynamic", false) ||
                                         c["classification"].value("learn_from_feedback", false)))
      out.push_back({L::kWarning, "/classification",
                     "dynamic and learn_from_feedback are accepted but not acted on yet: the "
                     "categories stay as configured",
                     ""});
    // The embedded models must be able to fill the schema; say so now.
    auto env = ai::ProcessEnv();
    auto choice = ai::ChooseProvider(c.value("model", "embedded"), c.value("provider", ""),
                                     env("FLOWCTL_AI_PROVIDER"), env);
    if (choice.provider == "embedded") {
      auto f = ai::embedded::Filler::Make(
          TasksOf(c), ai_common::NormalizeSchema(c.value("output_schema", json())),
          ai_common::Categories(c));
      if (!f.ok())
        out.push_back({L::kError, c.contains("output_schema") ? "/output_schema" : "",
                       f.status().message(), ""});
    }
    return out;
  };
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    auto st = ai_common::GetNodeState(ctx, "ai-processor");
    if (!st.ok()) return st.status();
    auto p = std::make_unique<AiProcessor>();
    const json& c = ctx.config;
    p->state_ = st.value();
    p->tasks_ = TasksOf(c);
    p->text_fields_ = ai_common::TextFields(c);
    auto cats = ai_common::Categories(c);
    for (const auto& cd : cats) p->category_names_.push_back(cd.name);
    p->target_ = c.value("target", "");
    p->decision_field_ = c.value("decisions", json::object()).value("field", "_ai");
    p->embedded_ = p->state_->provider == "embedded";
    p->max_tokens_ = c.value("max_tokens", 1024);
    p->temperature_ = c.value("temperature", 0.0);
    p->max_concurrency_ = c.value("max_concurrency", 8);
    json schema =
        c.contains("output_schema") ? ai_common::NormalizeSchema(c["output_schema"]) : json();
    if (p->embedded_) {
      auto f = ai::embedded::Filler::Make(p->tasks_, schema, cats);
      if (!f.ok()) return f.status();
      p->filler_ = std::move(f).value();
    } else {
      p->schema_ = schema.is_null() ? DefaultSchema(p->tasks_, cats) : schema;
      p->system_ = c.value("system_prompt", std::string(kDefaultSystem));
      std::string tmpl = c.value("prompt_template", "");
      if (tmpl.empty())
        tmpl = "Task: " + Join(p->tasks_, ", ") +
               (cats.empty() ? "" : ". Categories: {categories}") +
               ".\nAnswer as JSON matching this schema: {output_schema}\nEvent: {event_data}";
      else if (tmpl.find("{event") == std::string::npos && tmpl.find('{') == std::string::npos)
        tmpl += "\n\nEvent: {event_data}\nAnswer as JSON matching: {output_schema}";
      p->prompt_template_ = tmpl;
    }
    return std::unique_ptr<Processor>(std::move(p));
  };
  return d;
}

}  // namespace flowctl::components
