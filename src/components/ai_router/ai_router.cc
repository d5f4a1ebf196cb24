// ai-router: routes events to named outputs (destinations) by explicit
// rules, by a category field an upstream ai-processor set, by keyword rules
// it learned from the first classified events (rules_generation: automatic),
// or by asking the model. Destinations may name their sink directly
// (destinations: {billing: {sink: billing-queue}}), as in the design seed.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "../ai_common/ai_node.h"
#include "../builtin_list.h"
#include "../common/expr_config.h"
#include "flowctl/base/strings.h"
#include "flowctl/data/json.h"

namespace flowctl::components {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::vector<std::string> PortNames(const json& c) {
  std::vector<std::string> ports;
  if (c.contains("destinations") && c["destinations"].is_object()) {
    for (auto it = c["destinations"].begin(); it != c["destinations"].end(); ++it)
      ports.push_back(it.key());
  } else {
    for (const auto& cd : ai_common::Categories(c)) ports.push_back(cd.name);
  }
  if (c.contains("rules") && c["rules"].is_array())
    for (const auto& r : c["rules"])
      if (r.is_object() && r.contains("name") && r["name"].is_string()) {
        std::string n = r["name"].get<std::string>();
        if (std::find(ports.begin(), ports.end(), n) == ports.end()) ports.push_back(n);
      }
  return ports;
}

bool Learns(const json& c) {
  if (c.value("rules_generation", "none") == "automatic") return true;
  return c.contains("routing_rules") && c["routing_rules"].is_object() &&
         c["routing_rules"].value("generate", "none") == "automatic";
}

// What the router learned: per destination, words that predict it.
struct Learner {
  std::mutex mu;
  size_t want = 200;
  size_t seen = 0;
  bool done = false;
  std::map<std::string, std::map<std::string, int>> counts;  // word -> port -> n
  std::vector<std::pair<std::string, size_t>> rules;         // word -> port
  std::string description;
};

class AiRouter : public Processor {
 public:
  std::shared_ptr<ai_common::NodeState> state_;
  std::shared_ptr<Learner> learner_;
  std::vector<std::string> ports_;  // without "default"
  std::vector<std::shared_ptr<const expr::Program>> rule_progs_;
  std::vector<size_t> rule_ports_;
  std::vector<std::string> rule_texts_;  // the `when` of each rule, for evidence
  std::string field_, metric_, annotate_field_, state_dir_, node_id_;
  std::vector<std::string> text_fields_;
  json destinations_ = json::object();
  std::unique_ptr<ai::embedded::Classifier> classifier_;
  bool embedded_ = true, learn_ = false, use_field_ = true, use_model_ = true;
  std::atomic<int64_t>* learned_rules_ = nullptr;
  std::atomic<int64_t>* via_learned_ = nullptr;

  int PortOf(const std::string& name) const {
    for (size_t i = 0; i < ports_.size(); ++i)
      if (ports_[i] == name) return static_cast<int>(i);
    return -1;
  }

  void Learn(const std::string& text, size_t port) {
    std::lock_guard<std::mutex> lk(learner_->mu);
    if (learner_->done) return;
    std::vector<std::string> words = ai::embedded::Words(text);
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    for (const auto& w : words)
      if (w.size() >= 4) learner_->counts[w][ports_[port]]++;
    if (++learner_->seen < learner_->want) return;
    learner_->done = true;
    // A word becomes a rule when it is frequent and nearly always seen with
    // one destination (precision >= 0.9 over >= 3 events); 3 per destination.
    std::map<std::string, std::vector<std::pair<int, std::string>>> best;
    for (const auto& [w, by_port] : learner_->counts) {
      int total = 0, top = 0;
      std::string top_port;
      for (const auto& [p, n] : by_port) {
        total += n;
        if (n > top) {
          top = n;
          top_port = p;
        }
      }
      if (top >= 3 && top >= 0.9 * total) best[top_port].emplace_back(top, w);
    }
    std::vector<std::string> parts;
    for (auto& [p, list] : best) {
      std::sort(list.rbegin(), list.rend());
      std::vector<std::string> words_for;
      for (size_t i = 0; i < list.size() && i < 3; ++i) {
        learner_->rules.emplace_back(list[i].second, static_cast<size_t>(PortOf(p)));
        words_for.push_back(list[i].second);
      }
      parts.push_back(p + " <- " + Join(words_for, "|"));
    }
    learner_->description = parts.empty() ? "no rule found" : Join(parts, "; ");
    if (learned_rules_) learned_rules_->store(static_cast<int64_t>(learner_->rules.size()));
    learner_->counts.clear();
    if (!state_dir_.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(state_dir_) / "rules", ec);
      json j = {{"learned_from", learner_->seen}, {"rules", json::array()}};
      for (const auto& [w, p] : learner_->rules)
        j["rules"].push_back(
            {{"word", w},
             {"destination", ports_[p]},
             {"when", "lower(" + text_fields_.front() + ").contains('" + w + "')"}});
      std::ofstream f(std::filesystem::path(state_dir_) / "rules" / (node_id_ + ".json"));
      f << j.dump(2) << "\n";
    }
  }

  // The port chosen for an event and how.
  struct Choice {
    int port = -1;
    const char* via = "none";
    double confidence = 0;
    std::string detail;
  };

  Choice Choose(Event& e, const std::string& text, Emitter& out, bool* failed) {
    Choice c;
    for (size_t i = 0; i < rule_progs_.size(); ++i) {
      auto r = rule_progs_[i]->EvalBool(e);
      if (!r.ok()) {
        out.Fail(std::move(e),
                 Status::Invalid("rule " + ports_[rule_ports_[i]] + ": " + r.status().message()));
        *failed = true;
        return c;
      }
      if (r.value()) return {static_cast<int>(rule_ports_[i]), "rule", 1.0, rule_texts_[i]};
    }
    if (use_field_) {
      const Value* v = e.body().FindPath(field_);
      if (v != nullptr && v->is_string() && ports_.empty()) {
        c.via = "field";
        c.confidence = 1.0;
        c.detail = v->as_string();
        return c;
      }
      if (v != nullptr && v->is_string()) {
        int p = PortOf(v->as_string());
        if (p >= 0) {
          if (learn_) Learn(text, static_cast<size_t>(p));
          return {p, "field", 1.0, field_};
        }
        // The upstream node decided on a class without a destination.
        return {-1, "field", 1.0, v->as_string() + " has no destination"};
      }
    }
    if (learn_ && metric_ != "accuracy") {
      std::lock_guard<std::mutex> lk(learner_->mu);
      if (learner_->done && !learner_->rules.empty()) {
        std::vector<std::string> words = ai::embedded::Words(text);
        for (const auto& [w, p] : learner_->rules)
          if (std::find(words.begin(), words.end(), w) != words.end()) {
            if (via_learned_) via_learned_->fetch_add(1, std::memory_order_relaxed);
            return {static_cast<int>(p), "learned", 0.8, "contains '" + w + "'"};
          }
      }
    }
    if (!use_model_ || ports_.empty()) return c;
    if (embedded_) {
      auto a = ai::embedded::Analyze(text, classifier_.get(), 0);
      c = {static_cast<int>(a.category.index), "model", a.category.confidence,
           a.category.matched ? "keywords" : "fallback"};
    } else {
      ai::CompletionRequest req;
      req.model = state_->model;
      req.system = "You route events of a data pipeline. Answer with JSON only.";
      req.output_schema = {{"type", "object"},
                           {"properties",
                            {{"destination", {{"type", "string"}, {"enum", ports_}}},
                             {"confidence", {{"type", "number"}}}}},
                           {"required", {"destination"}}};
      std::string ev;
      e.AppendJson(&ev);
      req.messages.push_back({"user",
                              "Destinations: " + Join(ports_, ", ") +
                                  ". Pick the one this event belongs to.\nEvent: " + ev,
                              "", json()});
      req.task = "classify";
      req.text = text;
      req.categories = ports_;
      auto r = state_->client->Complete(req);
      if (!r.ok()) {
        out.Fail(std::move(e), r.status());
        *failed = true;
        return c;
      }
      Status valid = ai_common::ValidateAnswer(req.output_schema, r.value().structured);
      if (!valid.ok()) {
        if (state_->invalid_answers) state_->invalid_answers->fetch_add(1);
        out.Fail(std::move(e), valid);
        *failed = true;
        return c;
      }
      const json& s = r.value().structured;
      c = {PortOf(s["destination"].get<std::string>()), "model",
           s.contains("confidence") && s["confidence"].is_number() ? s["confidence"].get<double>()
                                                                   : 1.0,
           ""};
    }
    if (learn_ && c.port >= 0) Learn(text, static_cast<size_t>(c.port));
    return c;
  }

  // Why the destination: what fits how it was chosen (a rule's condition,
  // the field read, the learned word, or the keywords the classifier
  // matched). A remote model's own answer is its only evidence.
  json Evidence(const Choice& c, const std::string& text) const {
    json d = {{"kind", c.via}};
    std::string via = c.via;
    if (via == "rule")
      d["rule"] = c.detail;
    else if (via == "field")
      d["field"] = field_;
    else if (via == "learned")
      d["rule"] = c.detail;
    else if (via == "model" && embedded_ && classifier_)
      d = ai::embedded::CategoryEvidence(text, *classifier_);
    else if (via == "model")
      d["rule"] = "the model's answer (remote provider)";
    else
      d["rule"] = "no rule, field or model chose a destination";
    return {{"destination", d}};
  }

  Status Process(std::vector<Event>& events, Emitter& out) override {
    for (auto& e : events) {
      auto start = Clock::now();
      std::string text = ai_common::EventText(e, text_fields_);
      bool failed = false;
      Choice c = Choose(e, text, out, &failed);
      if (failed) continue;
      std::string dest = c.port >= 0                           ? ports_[static_cast<size_t>(c.port)]
                         : ports_.empty() && !c.detail.empty() ? c.detail
                                                               : "default";
      std::string id = state_->decisions->NextId();
      if (state_->decisions_made) state_->decisions_made->fetch_add(1);
      if (state_->decisions->persistent()) {
        std::string in = ai_common::TextInputJson(text);
        json o = {{"destination", dest}, {"via", c.via}, {"detail", c.detail}};
        auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
        state_->decisions->Record(id, "ai-router", state_->model, state_->provider, in, o.dump(),
                                  c.confidence, us, 0.0, Evidence(c, text).dump());
      }
      if (!annotate_field_.empty()) {
        Value r = Value::MakeObject();
        r.Set("destination", Value(dest));
        r.Set("via", Value(c.via));
        if (state_->decisions->persistent()) r.Set("decision", Value(id));
        if (destinations_.contains(dest) && destinations_[dest].is_object()) {
          const json& d = destinations_[dest];
          if (d.value("enrich", false) || d.contains("sla") || d.contains("alert")) {
            if (d.contains("sla")) r.Set("sla", Value(d["sla"].get<std::string>()));
            if (d.contains("alert")) r.Set("alert", Value(d["alert"].get<std::string>()));
          }
        }
        if (e.lazy() && e.raw().find("\"" + annotate_field_ + "\"") == std::string::npos)
          e.PatchTopLevel(annotate_field_, std::move(r));
        else
          e.Mutable().Set(annotate_field_, std::move(r));
        // Listed with the annotation: a router told not to annotate adds nothing.
        ai_common::AppendDecision(e, id);
      }
      if (ports_.empty()) {
        out.Emit(std::move(e));
        continue;
      }
      out.EmitTo(c.port >= 0 ? static_cast<size_t>(c.port) : ports_.size(), std::move(e));
    }
    state_->decisions->Flush();  // records reach the disk with their batch
    return Status::OK();
  }
};

}  // namespace

ComponentDescriptor AiRouterDescriptor() {
  ComponentDescriptor d;
  d.type = "ai-router";
  d.kind = NodeKind::kProcessor;
  d.summary =
      "Routes events to named destinations by rules, by a category field, by learned "
      "keyword rules or by asking a model.";
  d.description =
      "Destinations are outputs (consumers use inputs: [ROUTER.NAME], or a destination names "
      "its sink: destinations: {billing: {sink: billing-queue, sla: 100ms, alert: team}}). "
      "Order of decision: explicit rules (name + when expression), the event's category "
      "field (set by an upstream ai-processor), keyword rules learned from the first "
      "learn_after classified events (rules_generation: automatic; written to "
      "STATE/rules/NODE.json and stated in each decision), then the model (embedded "
      "keyword classifier over the destination names, or a remote model). "
      "optimization_metric accuracy always asks the model; balanced/cost/latency use learned "
      "rules first. Unmatched events go to ROUTER.default. Each event gets a _route field "
      "saying where it went and why.";
  d.keywords = {"route",        "router",   "routing", "ai",       "smart",
                "intelligent",  "dispatch", "queue",   "teams",    "support",
                "destinations", "classify", "send to", "escalate", "triage"};
  json dest_schema = {
      {"type", "object"},
      {"properties",
       {{"sink", {{"type", "string"}, {"description", "node fed by this destination"}}},
        {"sla", {{"type", "string"}}},
        {"alert", {{"type", "string"}}},
        {"enrich", {{"type", "boolean"}}}}},
      {"additionalProperties", false}};
  json props = {
      {"destinations",
       {{"type", "object"},
        {"additionalProperties", dest_schema},
        {"description", "destination name -> {sink, sla, alert, enrich}"}}},
      {"categories",
       {{"type", "array"}, {"description", "destination names when there are no destinations"}}},
      {"rules",
       {{"type", "array"},
        {"items",
         {{"type", "object"},
          {"properties",
           {{"name", {{"type", "string"}}},
            {"when", {{"type", "string"}, {"x-expression", true}}}}},
          {"required", {"name", "when"}},
          {"additionalProperties", false}}}}},
      {"field",
       {{"type", "string"},
        {"default", "category"},
        {"description", "event field naming the destination (from an ai-processor)"}}},
      {"routing_strategy",
       {{"type", "string"},
        {"enum", {"dynamic", "category", "rules", "model"}},
        {"default", "dynamic"},
        {"description",
         "dynamic: rules, field, learned rules, then model; category: field only; rules: "
         "explicit rules only; model: rules then model"}}},
      {"rules_generation",
       {{"type", "string"}, {"enum", {"automatic", "none"}}, {"default", "none"}}},
      {"routing_rules",
       {{"type", "object"},
        {"properties",
         {{"generate", {{"type", "string"}, {"enum", {"automatic", "none"}}}},
          {"optimize_for", {{"type", "string"}}},
          {"update_frequency", {{"type", "string"}}}}},
        {"additionalProperties", false}}},
      {"learn_after",
       {{"type", "integer"},
        {"minimum", 1},
        {"default", 200},
        {"description", "classified events to learn rules from"}}},
      {"optimization_metric",
       {{"type", "string"},
        {"enum", {"balanced", "accuracy", "cost", "latency"}},
        {"default", "balanced"}}},
      {"text_field", {{"type", "string"}}},
      {"text_fields", {{"type", "array"}, {"items", {{"type", "string"}}}}},
      {"route_field",
       {{"type", "string"},
        {"default", "_route"},
        {"description", "\"\" to leave events unmarked"}}}};
  ai_common::AddModelProperties(&props, "embedded");
  d.config_schema = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
  d.output_ports = [](const json& c) {
    auto ports = PortNames(c);
    if (ports.empty()) return ports;  // one unnamed output
    ports.push_back("default");
    return ports;
  };
  d.routes_to = [](const json& c) {
    std::vector<ComponentDescriptor::Route> out;
    if (c.contains("destinations") && c["destinations"].is_object())
      for (auto it = c["destinations"].begin(); it != c["destinations"].end(); ++it)
        if (it->is_object() && it->contains("sink") && (*it)["sink"].is_string())
          out.push_back(
              {it.key(), (*it)["sink"].get<std::string>(), "/destinations/" + it.key() + "/sink"});
    return out;
  };
  d.check = [](const json& c) {
    using L = ComponentDescriptor::Check::Level;
    auto out = ai_common::ProviderChecks(c);
    if (PortNames(c).empty())
      out.push_back({L::kNote, "",
                     "no destinations: one output; each event's route (its " +
                         c.value("field", std::string("category")) +
                         " field) is recorded in _route",
                     "set destinations: {NAME: {sink: ID}} to send each route to its own node"});
    if (c.contains("routing_rules") && c["routing_rules"].contains("optimize_for"))
      out.push_back({L::kNote, "/routing_rules/optimize_for",
                     "optimize_for is recorded but not acted on: optimization_metric (balanced, "
                     "accuracy, cost, latency) decides when learned rules are used",
                     ""});
    if (c.contains("routing_rules") && c["routing_rules"].contains("update_frequency"))
      out.push_back({L::kNote, "/routing_rules/update_frequency",
                     "rules are learned once per run, from the first learn_after events", ""});
    return out;
  };
  d.example =
      "- id: router\n  type: ai-router\n  inputs: [classify]\n  config:\n"
      "    destinations:\n      billing: {sink: billing-queue}\n"
      "      technical: {sink: tech-queue, sla: 15m}\n"
      "    rules_generation: automatic\n";
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    auto st = ai_common::GetNodeState(ctx, "ai-router");
    if (!st.ok()) return st.status();
    const json& c = ctx.config;
    auto p = std::make_unique<AiRouter>();
    p->state_ = st.value();
    p->ports_ = PortNames(c);
    p->field_ = c.value("field", "category");
    p->metric_ = c.value("optimization_metric", "balanced");
    p->annotate_field_ = c.value("route_field", "_route");
    p->text_fields_ = ai_common::TextFields(c);
    p->state_dir_ = ctx.state_dir;
    p->node_id_ = ctx.node_id;
    p->embedded_ = p->state_->provider == "embedded";
    if (c.contains("destinations")) p->destinations_ = c["destinations"];
    std::string strategy = c.value("routing_strategy", "dynamic");
    p->use_field_ = strategy == "dynamic" || strategy == "category";
    p->use_model_ = strategy == "dynamic" || strategy == "model";
    p->learn_ = Learns(c) && strategy == "dynamic";
    if (c.contains("rules"))
      for (const auto& r : c["rules"]) {
        auto prog =
            CompileField("rule " + r["name"].get<std::string>(), r["when"].get<std::string>());
        if (!prog.ok()) return prog.status();
        p->rule_progs_.push_back(prog.value());
        p->rule_texts_.push_back(r["when"].get<std::string>());
        p->rule_ports_.push_back(static_cast<size_t>(p->PortOf(r["name"].get<std::string>())));
      }
    std::vector<ai::embedded::CategoryDef> cats;
    auto configured = ai_common::Categories(c);
    for (const auto& name : p->ports_) {
      ai::embedded::CategoryDef cd{name, {}};
      for (const auto& k : configured)
        if (k.name == name) cd.keywords = k.keywords;
      cats.push_back(cd);
    }
    p->classifier_ = std::make_unique<ai::embedded::Classifier>(cats);
    // The learner is shared by the node's instances, like the model client
    // (factories run one at a time).
    if (!p->state_->extra) {
      auto learner = std::make_shared<Learner>();
      learner->want = static_cast<size_t>(c.value("learn_after", 200));
      p->state_->extra = learner;
    }
    p->learner_ = std::static_pointer_cast<Learner>(p->state_->extra);
    if (ctx.counters) {
      p->learned_rules_ = ctx.counters->Get("router_learned_rules");
      p->via_learned_ = ctx.counters->Get("router_routed_by_learned_rules");
    }
    return std::unique_ptr<Processor>(std::move(p));
  };
  return d;
}

}  // namespace flowctl::components
