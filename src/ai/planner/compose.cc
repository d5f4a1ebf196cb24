// Intent -> PipelineSpec: source -> parse -> filter -> dedupe -> transform
// -> ml -> rag -> ai -> (late filter) -> route/ai-router -> sinks, each node
// with the reason it is there. Conditions on fields an AI/ML node writes
// (sentiment_label, urgent, fraud_flag ...) are placed after that node.
#include <algorithm>
#include <regex>
#include <set>

#include "internal.h"

namespace flowctl::ai::planner {
namespace compose_impl {

using nlohmann::json;

const std::vector<std::string>& AiFields() {
  static const std::vector<std::string> k = {"sentiment", "sentiment_label", "priority", "urgent",
                                             "category", "entities", "summary", "actions"};
  return k;
}

bool Mentions(const std::string& expr, const std::string& field) {
  std::regex re("(^|[^A-Za-z0-9_.])" + field + "($|[^A-Za-z0-9_])");
  return std::regex_search(expr, re);
}

class Builder {
 public:
  Builder(const Intent& in, Composed* out) : in_(in), out_(out) {}

  void Build(const std::string& name) {
    PipelineSpec& s = out_->spec;
    s.api_version = "flowctl/v1";
    s.metadata.name = name;
    s.metadata.labels["generated-by"] = "flowctl-ai";
    ApplyConstraints();
    Source();
    // One conditional destination and nothing else: the condition is a filter
    // on the stream (it then runs before any costly node it does not need).
    {
      int cond = 0, other = 0;
      for (const auto& o : in_.outputs)
        (!o.condition.empty() && o.category.empty() && !o.rest) ? ++cond : ++other;
      if (cond == 1 && other == 0) {
        in_.conditions.push_back(in_.outputs[0].condition);
        in_.condition_why.push_back(in_.outputs[0].why);
        in_.outputs[0].condition.clear();
      }
    }
    bool ai = !in_.ai_tasks.empty();
    std::vector<std::string> early, late, early_why, late_why;
    for (size_t i = 0; i < in_.conditions.size(); ++i) {
      bool is_late = false;
      if (ai)
        for (const auto& f : AiFields()) is_late = is_late || Mentions(in_.conditions[i], f);
      if (in_.ml) is_late = is_late || Mentions(in_.conditions[i], "fraud_flag") ||
                            Mentions(in_.conditions[i], "fraud_score");
      // A condition on a field the transform sets runs after the transform.
      for (const auto& [f, e] : in_.set.items()) is_late = is_late || Mentions(in_.conditions[i], f);
      (is_late ? late : early).push_back(in_.conditions[i]);
      (is_late ? late_why : early_why).push_back(i < in_.condition_why.size() ? in_.condition_why[i] : "");
    }
    if (in_.parse_json) {
      Processor("parse", "parse-json", {{"field", in_.parse_field}},
                "parses the JSON text in " + in_.parse_field + " into fields", true);
    }
    Filter("filter", early, early_why);
    if (!in_.dedupe_key.empty())
      Processor("dedupe", "dedupe", {{"key", in_.dedupe_key}}, in_.dedupe_why, false);
    Transform();
    if (in_.ml) {
      json c = {{"model", "examples/models/fraud-detector-v2.json"}, {"sensitivity", in_.sensitivity}};
      Processor(in_.ml_why.find("fraud") != std::string::npos ? "fraud-scorer" : "anomaly-scorer",
                "ml-processor", c, in_.ml_why + "; writes fraud_score, fraud_flag, fraud_reasons",
                true);
    }
    if (in_.rag) {
      json vs = {{"type", "embedded"}, {"index", in_.rag_index}};
      if (!in_.rag_documents.empty()) vs["documents"] = in_.rag_documents;
      json c = {{"vector_store", vs}, {"retrieval", {{"top_k", 3}, {"similarity_threshold", 0.2}}}};
      if (!in_.text_field.empty()) c["text_field"] = in_.text_field;
      Processor("knowledge", "rag-processor", c,
                in_.rag_why + "; adds rag.matches (the 3 most similar passages of index " +
                    in_.rag_index + ")",
                true);
    }
    if (ai) Ai();
    Filter("keep", late, late_why);
    Outputs();
    DeadLetter();
  }

 private:
  std::string Unique(const std::string& base_in) {
    std::string base = base_in.empty() ? "node" : base_in;
    std::string id = base;
    for (int n = 2; ids_.count(id); ++n) id = base + "-" + std::to_string(n);
    ids_.insert(id);
    return id;
  }

  void OnError(NodeSpec* n) {
    n->has_on_error = true;
    n->on_error.kind = ErrorPolicy::Kind::kDeadLetter;
    n->on_error.dead_letter_to = "dlq";
  }

  void ApplyConstraints() {
    const auto& c = in_.constraints;
    if (c.max_latency_ms > 0 && c.max_latency_ms <= 200) out_->spec.batch_size = 64;
    if (c.required_throughput >= 10000) out_->spec.batch_size = 1024;
    ids_.insert("dlq");
  }

  void Source() {
    NodeSpec n;
    n.kind = NodeKind::kSource;
    n.type = in_.source_type;
    n.id = Unique(Slug(in_.source_id));
    n.config = in_.source_config;
    if (n.type == "file" || n.type == "stdin") OnError(&n);
    out_->why[n.id] = in_.source_why;
    last_ = n.id;
    out_->spec.sources.push_back(std::move(n));
  }

  std::string Processor(const std::string& id, const std::string& type, json config,
                        const std::string& why, bool on_error) {
    NodeSpec n;
    n.kind = NodeKind::kProcessor;
    n.type = type;
    n.id = Unique(id);
    n.inputs = {last_};
    n.config = std::move(config);
    if (on_error) OnError(&n);
    out_->why[n.id] = why;
    last_ = n.id;
    out_->spec.processors.push_back(std::move(n));
    return last_;
  }

  void Filter(const std::string& id, const std::vector<std::string>& conds,
              const std::vector<std::string>& why) {
    if (conds.empty()) return;
    std::string expr;
    for (const auto& c : conds)
      expr += (expr.empty() ? "" : " && ") + (conds.size() > 1 && c.find("||") != std::string::npos
                                                  ? "(" + c + ")"
                                                  : c);
    std::string w;
    for (const auto& x : why) w += (w.empty() ? "" : ", ") + x;
    Processor(id, "filter", {{"condition", expr}}, "keeps only events where " + expr +
                                                       (w.empty() ? "" : " (from " + w + ")"),
              false);
  }

  void Transform() {
    json c = json::object();
    if (!in_.set.empty()) c["set"] = in_.set;
    if (!in_.rename.empty()) c["rename"] = in_.rename;
    if (!in_.drop.empty()) c["delete"] = in_.drop;
    if (c.empty()) return;
    std::string w;
    for (const auto& x : in_.transform_why) w += (w.empty() ? "" : ", ") + x;
    Processor("enrich", "transform", c, "changes fields as the goal asks (" + w + ")", true);
  }

  void Ai() {
    json c = json::object();
    if (in_.ai_tasks.size() == 1) c["task"] = in_.ai_tasks[0];
    else c["tasks"] = in_.ai_tasks;
    if (std::find(in_.ai_tasks.begin(), in_.ai_tasks.end(), "classify") != in_.ai_tasks.end() &&
        !in_.categories.empty())
      c["categories"] = in_.categories;
    c["model"] = in_.ai_model;
    if (!in_.text_field.empty()) c["text_field"] = in_.text_field;
    std::string id = in_.ai_tasks.size() == 1 ? in_.ai_tasks[0] : "analyze";
    std::string what;
    for (const auto& t : in_.ai_tasks) {
      std::string f = t == "sentiment"  ? "sentiment, sentiment_label"
                      : t == "priority" ? "priority, urgent"
                      : t == "classify" ? "category"
                      : t == "extract"  ? "entities"
                                        : "summary";
      what += (what.empty() ? "" : "; ") + t + " -> " + f;
    }
    std::string w;
    for (const auto& x : in_.ai_why) w += (w.empty() ? "" : ", ") + x;
    Processor(id, "ai-processor", c,
              "runs " + what + " on the " + (in_.ai_model == "embedded" ? "embedded models (no key, no network)" : "model " + in_.ai_model) +
                  " (" + w + ")",
              true);
    ai_node_ = last_;
  }

  NodeSpec Sink(const Output& o) {
    NodeSpec n;
    n.kind = NodeKind::kSink;
    n.id = Unique(Slug(o.id.empty() ? "out" : o.id));
    if (o.target == Output::Target::kStdout) {
      n.type = "stdout";
    } else {
      n.type = "file";
      n.config = {{"path", o.path}};
    }
    out_->why[n.id] = o.why.empty() ? "writes the events" : o.why;
    return n;
  }

  void Outputs() {
    std::vector<const Output*> semantic, conditional, rest, plain;
    for (const auto& o : in_.outputs) {
      if (!o.category.empty()) semantic.push_back(&o);
      else if (o.rest) rest.push_back(&o);
      else if (!o.condition.empty()) conditional.push_back(&o);
      else plain.push_back(&o);
    }
    std::string before = last_;
    if (!semantic.empty()) {
      json dest = json::object();
      std::vector<NodeSpec> sinks;
      for (const Output* o : semantic) {
        if (dest.contains(o->category)) continue;
        NodeSpec n = Sink(*o);
        out_->why[n.id] = "the " + o->category + " destination of the router; " + out_->why[n.id];
        dest[o->category] = {{"sink", n.id}};
        sinks.push_back(std::move(n));
      }
      std::string router = Processor("router", "ai-router", {{"field", "category"}, {"destinations", dest}},
                                     "sends each event to the destination named by its category "
                                     "(set by the ai-processor) " + in_.route_why,
                                     true);
      for (auto& n : sinks) out_->spec.sinks.push_back(std::move(n));
      for (const Output* o : rest) {
        NodeSpec n = Sink(*o);
        n.inputs = {router + ".default"};
        out_->spec.sinks.push_back(std::move(n));
      }
      rest.clear();
    } else if (conditional.size() >= 2 || (conditional.size() == 1 && !rest.empty())) {
      json routes = json::array();
      std::vector<NodeSpec> sinks;
      std::set<std::string> names;
      for (const Output* o : conditional) {
        NodeSpec n = Sink(*o);
        std::string port = n.id;
        names.insert(port);
        routes.push_back({{"name", port}, {"when", o->condition}});
        n.inputs = {"router." + port};
        out_->why[n.id] += " (when " + o->condition + ")";
        sinks.push_back(std::move(n));
      }
      std::string router = Processor("router", "route", {{"routes", routes}},
                                     "sends each event to the first route whose condition holds", false);
      for (auto& n : sinks) {
        for (auto& i : n.inputs) i = router + i.substr(i.find('.'));
        out_->spec.sinks.push_back(std::move(n));
      }
      if (rest.empty()) {
        NodeSpec n;
        n.kind = NodeKind::kSink;
        n.type = "null";
        n.id = Unique("unmatched");
        n.inputs = {router + ".default"};
        out_->why[n.id] = "events matching no route are dropped on purpose (counted)";
        out_->spec.sinks.push_back(std::move(n));
      }
      for (const Output* o : rest) {
        NodeSpec n = Sink(*o);
        n.inputs = {router + ".default"};
        out_->spec.sinks.push_back(std::move(n));
      }
      rest.clear();
      conditional.clear();
    }
    // One conditional output beside others: a selective sink.
    for (const Output* o : conditional) {
      NodeSpec n = Sink(*o);
      if (n.type == "file") n.type = "selective-sink";
      n.filter = o->condition;
      n.inputs = {before};
      out_->why[n.id] += " (only events where " + o->condition + ")";
      out_->spec.sinks.push_back(std::move(n));
    }
    for (const Output* o : rest) plain.push_back(o);
    for (const Output* o : plain) {
      NodeSpec n = Sink(*o);
      n.inputs = {before};
      out_->spec.sinks.push_back(std::move(n));
    }
  }

  void DeadLetter() {
    // Only when some node can send it something (a generator feeding a
    // filter cannot fail an event).
    bool used = false;
    for (const NodeSpec* n : out_->spec.AllNodes())
      used = used || (n->has_on_error && n->on_error.dead_letter_to == "dlq");
    if (!used) return;
    NodeSpec n;
    n.kind = NodeKind::kSink;
    n.type = "dead-letter";
    n.id = "dlq";
    n.config = {{"path", in_.dead_letter_path}};
    out_->why[n.id] = in_.dead_letter_named
                          ? "the dead-letter queue the goal asks for: failed events with the reason"
                          : "failed events (malformed lines, errors) with the reason, so that one "
                            "bad event never blocks the rest";
    out_->spec.sinks.push_back(std::move(n));
  }

  Intent in_;
  Composed* out_;
  std::set<std::string> ids_;
  std::string last_;
  std::string ai_node_;
};

}  // namespace compose_impl

Composed Compose(const Intent& intent, const std::string& name) {
  Composed c;
  compose_impl::Builder b(intent, &c);
  b.Build(name);
  return c;
}

}  // namespace flowctl::ai::planner
