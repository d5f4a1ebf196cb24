// Validation with repair, the explanation of each node, and retrieval over
// the component catalog (keywords, type names, summaries).
#include <algorithm>
#include <cmath>
#include <set>

#include "flowctl/expr/expr.h"
#include "flowctl/graph/graph.h"
#include "internal.h"

namespace flowctl::ai::planner {
namespace validate_impl {

// Removes node `id`; whoever read from it reads from its inputs instead.
void RemoveNode(PipelineSpec* s, const std::string& id) {
  std::vector<std::string> inputs;
  for (auto* list : {&s->sources, &s->processors, &s->sinks}) {
    for (auto it = list->begin(); it != list->end(); ++it)
      if (it->id == id) {
        inputs = it->inputs;
        list->erase(it);
        break;
      }
  }
  for (auto* list : {&s->processors, &s->sinks})
    for (auto& n : *list) {
      std::vector<std::string> next;
      for (const auto& in : n.inputs) {
        std::string base = in.substr(0, in.find('.'));
        if (base == id) {
          for (const auto& x : inputs)
            if (std::find(next.begin(), next.end(), x) == next.end()) next.push_back(x);
        } else if (std::find(next.begin(), next.end(), in) == next.end()) {
          next.push_back(in);
        }
      }
      n.inputs = next;
    }
  // Sinks a removed router fed through its destinations read its inputs.
  for (auto& n : s->sinks)
    if (n.inputs.empty() && n.type != "dead-letter" && !inputs.empty()) {
      bool fed = false;
      for (const auto& p : s->processors)
        if (p.config.is_object() && p.config.contains("destinations"))
          for (const auto& [k, v] : p.config["destinations"].items())
            fed = fed || (v.is_object() && v.value("sink", "") == n.id);
      if (!fed) n.inputs = inputs;
    }
}

NodeSpec* Find(PipelineSpec* s, const std::string& id) {
  for (auto* list : {&s->sources, &s->processors, &s->sinks})
    for (auto& n : *list)
      if (n.id == id) return &n;
  return nullptr;
}

}  // namespace validate_impl

Status ValidateAndRepair(const Registry& registry, Composed* c, std::vector<std::string>* warnings,
                         std::vector<Diagnostic>* diags) {
  PipelineSpec& s = c->spec;
  // Expressions first: a condition or a set expression that does not compile
  // is dropped by itself, not with its node.
  for (auto& n : s.processors) {
    if (n.type == "filter" && n.config.contains("condition")) {
      auto p = expr::Program::Compile(n.config["condition"].get<std::string>());
      if (!p.ok()) {
        warnings->push_back("the condition '" + n.config["condition"].get<std::string>() +
                            "' read from the goal is not a valid expression (" +
                            p.status().message() + "); node " + n.id + " was left out");
        n.config["condition"] = "";
      }
    }
    if (n.type == "transform" && n.config.contains("set")) {
      auto set = n.config["set"];
      for (auto it = set.begin(); it != set.end(); ++it) {
        auto p = expr::Program::Compile(it.value().get<std::string>());
        if (!p.ok()) {
          warnings->push_back("could not turn '" + it.value().get<std::string>() + "' into an "
                              "expression for " + it.key() + " (" + p.status().message() +
                              "); that field is not set");
          n.config["set"].erase(it.key());
        }
      }
      if (n.config["set"].empty()) n.config.erase("set");
    }
  }
  std::vector<std::string> empty;
  for (const auto& n : s.processors)
    if ((n.type == "filter" && n.config.value("condition", "").empty()) ||
        (n.type == "transform" && n.config.empty()))
      empty.push_back(n.id);
  for (const auto& id : empty) validate_impl::RemoveNode(&s, id);

  for (int round = 0; round < 12; ++round) {
    BuildResult r = BuildGraph(s, registry);
    *diags = r.diagnostics;
    if (r.ok()) return Status::OK();
    const Diagnostic* bad = nullptr;
    for (const auto& d : r.diagnostics)
      if (d.severity == Diagnostic::Severity::kError) {
        bad = &d;
        break;
      }
    if (bad == nullptr) return Status::Internal("validation failed without an error");
    NodeSpec* n = bad->node_id.empty() ? nullptr : validate_impl::Find(&s, bad->node_id);
    if (n == nullptr)
      return Status::Internal("the composed pipeline is invalid: " + bad->ToString());
    std::string what = n->id + " (" + n->type + "): " + bad->message;
    if (n->kind == NodeKind::kSink && !n->filter.empty()) {
      warnings->push_back("left out the filter of " + what);
      n->filter.clear();
      if (n->type == "selective-sink") n->type = "file";
    } else if (n->kind == NodeKind::kSource) {
      warnings->push_back("replaced the source " + what + " -- with generated events (nearest)");
      n->type = "generator";
      n->config = {{"shape", "bench"}, {"count", 1000}};
      n->has_on_error = false;
    } else if (n->kind == NodeKind::kSink && s.sinks.size() <= 2) {
      warnings->push_back("replaced the sink " + what + " -- with stdout (nearest)");
      n->type = "stdout";
      n->config = nlohmann::json::object();
      n->filter.clear();
    } else {
      warnings->push_back("left out " + what);
      std::string id = n->id;
      validate_impl::RemoveNode(&s, id);
      if (id == "dlq")
        for (auto* list : {&s.sources, &s.processors, &s.sinks})
          for (auto& x : *list)
            if (x.has_on_error && x.on_error.dead_letter_to == "dlq") x.has_on_error = false;
    }
  }
  return Status::Internal("the composed pipeline could not be repaired:\n" +
                          DiagnosticsText(*diags, true));
}

void ExplainNodes(const Registry& registry, const std::map<std::string, std::string>& why,
                  Plan* plan) {
  plan->nodes.clear();
  for (const NodeSpec* n : plan->spec.AllNodes()) {
    NodeExplanation e;
    e.id = n->id;
    e.type = n->type;
    e.kind = NodeKindName(n->kind);
    auto it = why.find(n->id);
    if (it != why.end() && !it->second.empty()) {
      e.why = it->second;
    } else if (const ComponentDescriptor* d = registry.Find(n->type, n->kind)) {
      e.why = d->summary;
    }
    std::string gist;
    if (n->config.is_object())
      for (const auto& [k, v] : n->config.items()) {
        std::string val = v.is_string() ? v.get<std::string>() : v.dump();
        if (val.size() > 90) val = val.substr(0, 87) + "...";
        gist += (gist.empty() ? "" : ", ") + k + ": " + val;
      }
    if (!n->inputs.empty()) {
      std::string ins;
      for (const auto& i : n->inputs) ins += (ins.empty() ? "" : ", ") + i;
      gist += (gist.empty() ? "" : "; ") + std::string("reads ") + ins;
    }
    if (!n->filter.empty()) gist += (gist.empty() ? "" : "; ") + std::string("filter: ") + n->filter;
    if (!gist.empty()) e.why += " [" + gist + "]";
    plan->nodes.push_back(std::move(e));
  }
}

std::vector<Match> RankComponents(const Goal& goal, const Registry& registry) {
  std::set<std::string> words;
  for (const Token& t : goal.tokens)
    if (t.kind == Token::Kind::kWord && !IsStopWord(t.lower)) {
      words.insert(t.lower);
      words.insert(Singular(t.lower));
    }
  std::vector<Match> out;
  for (const ComponentDescriptor* d : registry.List()) {
    Match m;
    m.descriptor = d;
    auto hit = [&](const std::string& k, double w) {
      if (k.find(' ') != std::string::npos ? goal.Has(k) : words.count(k) > 0) {
        m.score += w;
        if (std::find(m.words.begin(), m.words.end(), k) == m.words.end()) m.words.push_back(k);
      }
    };
    hit(d->type, 3);
    for (const auto& k : d->keywords) hit(k, 2);
    // Summary words count a little: new components are found by what they say.
    std::string w;
    for (char ch : d->summary + " ") {
      if (std::isalnum(static_cast<unsigned char>(ch))) {
        w += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      } else {
        if (w.size() > 4 && !IsStopWord(w) && words.count(w)) m.score += 0.25;
        w.clear();
      }
    }
    if (m.score > 0) out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
    return a.score != b.score ? a.score > b.score : a.descriptor->type < b.descriptor->type;
  });
  return out;
}

}  // namespace flowctl::ai::planner
