#include "flowctl/graph/graph.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "flowctl/base/strings.h"
#include "flowctl/component/schema.h"

namespace flowctl {

struct GraphBuilder {
  const Registry& registry;
  std::vector<Diagnostic> diags;
  std::unique_ptr<Graph> graph = std::make_unique<Graph>();
  std::vector<const NodeSpec*> specs;  // declaration order
  std::vector<GraphNode> nodes;        // declaration order, topo-sorted later
  std::map<std::string, size_t> index;
  std::string reads_sources_;  // the first processor, when it has no inputs:

  void Error(const Mark& m, const std::string& node, std::string msg, std::string hint = "") {
    diags.push_back({Diagnostic::Severity::kError, m, node, std::move(msg), std::move(hint)});
  }
  void Warn(const Mark& m, const std::string& node, std::string msg, std::string hint = "") {
    diags.push_back({Diagnostic::Severity::kWarning, m, node, std::move(msg), std::move(hint)});
  }

  std::vector<std::string> TypesOfKind(NodeKind k) const {
    std::vector<std::string> out;
    for (const auto* d : registry.List())
      if (d->kind == k) out.push_back(d->type);
    return out;
  }

  static bool ValidId(const std::string& id) {
    if (id.empty()) return false;
    for (char c : id)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    return true;
  }

  void CheckIdsAndTypes() {
    for (const NodeSpec* s : specs) {
      if (!ValidId(s->id)) {
        Error(s->mark, s->id,
              s->id.empty() ? "node has no id" : "invalid id '" + s->id + "'",
              "ids use letters, digits, '-' and '_' (a '.' names an output port)");
      }
      auto [it, inserted] = index.emplace(s->id, nodes.size());
      if (!inserted && !s->id.empty()) {
        Error(s->mark, s->id, "duplicate id '" + s->id + "'",
              "first defined at " + specs[it->second]->mark.ToString());
      }
      GraphNode n;
      n.spec = s;
      n.config = s->config;
      n.descriptor = registry.Find(s->type, s->kind);
      auto others = registry.FindAll(s->type);
      if (!n.descriptor && !others.empty()) {
        NodeKind real = others[0]->kind;
        Error(s->type_mark, s->id,
              "'" + s->type + "' is a " + NodeKindName(real) + ", not a " +
                  NodeKindName(s->kind),
              std::string("move it to the ") + NodeKindName(real) + "s section");
      } else if (!n.descriptor) {
        auto known = TypesOfKind(s->kind);
        std::string dym = DidYouMean(s->type, known);
        Error(s->type_mark, s->id,
              "unknown " + std::string(NodeKindName(s->kind)) + " type '" + s->type + "'",
              (dym.empty() ? "" : "did you mean '" + dym + "'? ") + "known " +
                  NodeKindName(s->kind) + " types: " + Join(known, ", "));
      }
      nodes.push_back(std::move(n));
    }
  }

  void CompileExpression(const NodeSpec& s, const std::string& pointer, const std::string& text,
                         const std::string& what) {
    auto prog = expr::Program::Compile(text);
    if (!prog.ok())
      Error(s.ConfigMark(pointer), s.id, what + ": " + prog.status().message());
  }

  void CheckExpressions(const NodeSpec& s, const nlohmann::json& schema,
                        const nlohmann::json& value, const std::string& ptr) {
    if (!schema.is_object()) return;
    if (schema.value("x-expression", false) && value.is_string()) {
      CompileExpression(s, ptr, value.get<std::string>(), "expression " + ptr);
      return;
    }
    if (schema.value("x-expression-map", false) && value.is_object()) {
      for (auto it = value.begin(); it != value.end(); ++it)
        if (it->is_string())
          CompileExpression(s, ptr + "/" + it.key(), it->get<std::string>(),
                            "expression " + ptr + "/" + it.key());
      return;
    }
    if (value.is_object() && schema.contains("properties")) {
      for (auto it = value.begin(); it != value.end(); ++it)
        if (schema["properties"].contains(it.key()))
          CheckExpressions(s, schema["properties"][it.key()], *it, ptr + "/" + it.key());
    }
    if (value.is_array() && schema.contains("items")) {
      for (size_t i = 0; i < value.size(); ++i)
        CheckExpressions(s, schema["items"], value[i], ptr + "/" + std::to_string(i));
    }
  }

  void CheckConfigs() {
    for (auto& n : nodes) {
      const NodeSpec& s = *n.spec;
      if (!s.filter.empty()) {
        if (s.kind != NodeKind::kSink) {
          Error(s.filter_mark, s.id, "'filter:' is only allowed on sinks",
                "use a processor of type 'filter' with config.condition");
        } else {
          auto prog = expr::Program::Compile(s.filter);
          if (!prog.ok()) Error(s.filter_mark, s.id, "filter: " + prog.status().message());
          else n.filter = prog.value();
        }
      }
      if (!n.descriptor) continue;
      const auto& schema = n.descriptor->config_schema;
      // Both spellings are accepted (prompt-template, prompt_template); marks
      // are kept under the spelling the user wrote.
      auto renamed = NormalizeKeys(schema, &n.config);
      auto mark_of = [&](const std::string& ptr) {
        for (const auto& [from, to] : renamed)
          if (ptr.compare(0, to.size(), to) == 0 &&
              (ptr.size() == to.size() || ptr[to.size()] == '/'))
            return s.ConfigMark(from + ptr.substr(to.size()));
        return s.ConfigMark(ptr);
      };
      for (const auto& e : ValidateSchema(schema, n.config)) {
        std::string where = e.pointer.empty() ? "config" : "config" + e.pointer;
        Error(mark_of(e.pointer), s.id, where + ": " + e.message, e.hint);
      }
      ApplyDefaults(schema, &n.config);
      CheckExpressions(s, schema, n.config, "");
      if (n.descriptor->check) {
        using L = ComponentDescriptor::Check::Level;
        for (const auto& c : n.descriptor->check(n.config)) {
          std::string msg = c.pointer.empty() ? c.message : "config" + c.pointer + ": " + c.message;
          Diagnostic::Severity sev = c.level == L::kError     ? Diagnostic::Severity::kError
                                     : c.level == L::kWarning ? Diagnostic::Severity::kWarning
                                                              : Diagnostic::Severity::kNote;
          diags.push_back({sev, mark_of(c.pointer), s.id, msg, c.hint});
        }
      }
      n.ports = {""};
      if (n.descriptor->output_ports) {
        auto ports = n.descriptor->output_ports(n.config);
        if (!ports.empty()) n.ports = ports;
      }
      if (s.concurrency > 1 && !n.descriptor->parallel_safe)
        Error(s.mark, s.id,
              "concurrency " + std::to_string(s.concurrency) + " is not supported by '" +
                  s.type + "'",
              "this component keeps state shared across events: use concurrency 1");
    }
  }

  // Edges declared inside configs (ComponentDescriptor::routes_to), by target.
  std::map<std::string, std::vector<PortRef>> ImplicitInputs() {
    std::map<std::string, std::vector<PortRef>> out;
    for (size_t i = 0; i < nodes.size(); ++i) {
      auto& up = nodes[i];
      if (!up.descriptor || !up.descriptor->routes_to) continue;
      for (const auto& r : up.descriptor->routes_to(up.config)) {
        auto pit = std::find(up.ports.begin(), up.ports.end(), r.port);
        auto it = index.find(r.target);
        if (it == index.end()) {
          std::vector<std::string> ids;
          for (auto& n : nodes)
            if (n.spec->kind != NodeKind::kSource) ids.push_back(n.spec->id);
          std::string dym = DidYouMean(r.target, ids);
          Error(up.spec->ConfigMark(r.pointer), up.spec->id,
                "config" + r.pointer + ": '" + r.target + "' does not exist",
                (dym.empty() ? "" : "did you mean '" + dym + "'? ") +
                    "name a processor or sink: " + Join(ids, ", "));
          continue;
        }
        if (nodes[it->second].spec->kind == NodeKind::kSource) {
          Error(up.spec->ConfigMark(r.pointer), up.spec->id,
                "config" + r.pointer + ": '" + r.target + "' is a source; sources have no inputs");
          continue;
        }
        if (pit == up.ports.end()) continue;
        out[r.target].push_back({i, static_cast<size_t>(pit - up.ports.begin())});
      }
    }
    return out;
  }

  void CheckInputs() {
    auto implicit = ImplicitInputs();
    // The seed writes the first processor without inputs: it reads the
    // sources. Only the first processor: anywhere else a missing inputs: is
    // more likely a mistake than a convention.
    for (size_t i = 0; i < nodes.size(); ++i) {
      const NodeSpec& s = *nodes[i].spec;
      if (s.kind != NodeKind::kProcessor) continue;
      if (!s.inputs.empty() || implicit.count(s.id) > 0) break;
      std::vector<std::string> srcs;
      for (size_t k = 0; k < nodes.size(); ++k)
        if (nodes[k].spec->kind == NodeKind::kSource) {
          // A source of an unknown type is reported already; no edge then.
          if (nodes[k].descriptor) implicit[s.id].push_back({k, 0});
          reads_sources_ = s.id;
          srcs.push_back(nodes[k].spec->id);
        }
      if (!srcs.empty())
        diags.push_back({Diagnostic::Severity::kNote, s.mark, s.id,
                         "no inputs: the first processor reads every source (" +
                             Join(srcs, ", ") + ")",
                         ""});
      break;
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
      auto& n = nodes[i];
      const NodeSpec& s = *n.spec;
      if (s.kind == NodeKind::kSource && !s.inputs.empty()) {
        Error(s.input_marks.empty() ? s.mark : s.input_marks[0], s.id,
              "a source cannot have inputs", "remove 'inputs:' or make it a processor");
        continue;
      }
      for (size_t k = 0; k < s.inputs.size(); ++k) {
        const std::string& ref = s.inputs[k];
        Mark m = k < s.input_marks.size() ? s.input_marks[k] : s.mark;
        std::string id = ref, port;
        if (size_t dot = ref.find('.'); dot != std::string::npos) {
          id = ref.substr(0, dot);
          port = ref.substr(dot + 1);
        }
        auto it = index.find(id);
        if (it == index.end()) {
          std::vector<std::string> ids;
          for (auto& [name, idx] : index) ids.push_back(name);
          std::string dym = DidYouMean(id, ids);
          Error(m, s.id, "input '" + ref + "' does not exist",
                (dym.empty() ? "" : "did you mean '" + dym + "'? ") + "nodes: " + Join(ids, ", "));
          continue;
        }
        auto& up = nodes[it->second];
        if (up.spec->kind == NodeKind::kSink) {
          Error(m, s.id, "input '" + ref + "' is a sink; sinks have no outputs");
          continue;
        }
        if (!up.descriptor) continue;  // already reported
        std::vector<std::string> named;
        for (auto& p : up.ports)
          if (!p.empty()) named.push_back(id + "." + p);
        auto pit = std::find(up.ports.begin(), up.ports.end(), port);
        if (pit == up.ports.end()) {
          if (port.empty())
            Error(m, s.id, "'" + id + "' has named outputs; name one",
                  "use one of: " + Join(named, ", "));
          else
            Error(m, s.id, "'" + id + "' has no output '" + port + "'",
                  named.empty() ? "it has one unnamed output: use '" + id + "'"
                                : "outputs: " + Join(named, ", "));
          continue;
        }
        n.inputs.push_back({it->second, static_cast<size_t>(pit - up.ports.begin())});
      }
      if (auto it = implicit.find(s.id); it != implicit.end())
        for (const PortRef& ref : it->second) {
          bool dup = false;
          for (const PortRef& have : n.inputs) dup = dup || (have.node == ref.node && have.port == ref.port);
          if (!dup) n.inputs.push_back(ref);
        }
      if (s.kind != NodeKind::kSource && n.inputs.empty() && s.inputs.empty() &&
          s.id != reads_sources_ &&
          !(n.descriptor && n.descriptor->inputs_optional)) {
        Error(s.mark, s.id, std::string("a ") + NodeKindName(s.kind) + " needs inputs",
              "add 'inputs: [ID]' naming a source or processor");
      }
      if (s.has_on_error && s.on_error.kind == ErrorPolicy::Kind::kDeadLetter) {
        // handled below in CheckDeadLetters
      }
    }
  }

  void CheckDeadLetters() {
    for (size_t i = 0; i < nodes.size(); ++i) {
      const NodeSpec& s = *nodes[i].spec;
      const ErrorPolicy& p = s.on_error;
      bool wants = p.kind == ErrorPolicy::Kind::kDeadLetter ||
                   (p.kind == ErrorPolicy::Kind::kRetry && p.then == ErrorPolicy::Kind::kDeadLetter);
      if (!wants) continue;
      auto it = index.find(p.dead_letter_to);
      if (it == index.end()) {
        std::vector<std::string> sinks;
        for (auto& n : nodes)
          if (n.spec->kind == NodeKind::kSink) sinks.push_back(n.spec->id);
        Error(p.mark, s.id, "dead_letter target '" + p.dead_letter_to + "' does not exist",
              "name a sink: " + Join(sinks, ", "));
        continue;
      }
      if (nodes[it->second].spec->kind != NodeKind::kSink) {
        Error(p.mark, s.id, "dead_letter target '" + p.dead_letter_to + "' is not a sink");
        continue;
      }
      if (it->second == i) {
        Error(p.mark, s.id, "a node cannot dead-letter to itself");
        continue;
      }
      nodes[i].dead_letter_target = static_cast<int>(it->second);
      nodes[it->second].dead_letter_sources.push_back(i);
    }
  }

  // Returns false (and reports) when the graph has a cycle.
  bool CheckCycles() {
    std::vector<int> state(nodes.size(), 0);  // 0 new, 1 on stack, 2 done
    std::vector<size_t> stack;
    bool found = false;
    std::function<void(size_t)> visit = [&](size_t v) {
      if (found) return;
      state[v] = 1;
      stack.push_back(v);
      // Dead-letter links are edges too: two sinks dead-lettering to each
      // other would loop forever on a failing event.
      std::vector<PortRef> preds = nodes[v].inputs;
      for (size_t s : nodes[v].dead_letter_sources) preds.push_back({s, 0});
      for (const auto& in : preds) {
        if (state[in.node] == 1) {
          auto start = std::find(stack.begin(), stack.end(), in.node);
          std::vector<std::string> cycle;
          for (auto it = start; it != stack.end(); ++it) cycle.push_back(nodes[*it].spec->id);
          cycle.push_back(nodes[in.node].spec->id);
          std::reverse(cycle.begin(), cycle.end());
          Error(nodes[in.node].spec->mark, nodes[in.node].spec->id,
                "cycle: " + Join(cycle, " -> "), "pipelines must be acyclic");
          found = true;
          return;
        }
        if (state[in.node] == 0) visit(in.node);
        if (found) return;
      }
      stack.pop_back();
      state[v] = 2;
    };
    for (size_t i = 0; i < nodes.size() && !found; ++i)
      if (state[i] == 0) visit(i);
    return !found;
  }

  void CheckReachability() {
    std::vector<bool> seen(nodes.size(), false);
    std::vector<std::vector<size_t>> down(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      for (const auto& in : nodes[i].inputs) down[in.node].push_back(i);
      if (nodes[i].dead_letter_target >= 0)
        down[i].push_back(static_cast<size_t>(nodes[i].dead_letter_target));
    }
    std::vector<size_t> work;
    for (size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].spec->kind == NodeKind::kSource) work.push_back(i);
    while (!work.empty()) {
      size_t v = work.back();
      work.pop_back();
      if (seen[v]) continue;
      seen[v] = true;
      for (size_t d : down[v]) work.push_back(d);
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (!seen[i])
        Warn(nodes[i].spec->mark, nodes[i].spec->id, "unreachable: no source feeds this node");
      if (nodes[i].spec->kind != NodeKind::kSink && down[i].empty() && nodes[i].descriptor)
        Warn(nodes[i].spec->mark, nodes[i].spec->id,
             "output is not consumed: its events will be discarded",
             "add it to the inputs of a processor or sink");
    }
  }

  void CheckTopLevel(const PipelineSpec& spec) {
    if (spec.metadata.name.empty())
      Error(spec.mark, "", "metadata.name is required");
    if (spec.sources.empty())
      Error(spec.mark, "", "the pipeline has no sources",
            "add spec.sources with at least one source");
    if (spec.sinks.empty())
      Error(spec.mark, "", "the pipeline has no sinks", "add spec.sinks with at least one sink");
    for (const auto& [key, value] : spec.extensions)
      Warn(spec.mark, "", "spec." + key + " is accepted but not acted on yet");
  }

  const PipelineSpec& AdoptSpec(const PipelineSpec& spec) {
    graph->spec_ = spec;
    return graph->spec_;
  }
  void Commit() { graph->nodes_ = std::move(nodes); }

  // Reorders nodes topologically and remaps every index.
  void TopoSort() {
    size_t n = nodes.size();
    std::vector<size_t> indeg(n, 0);
    std::vector<std::vector<size_t>> down(n);
    for (size_t i = 0; i < n; ++i) {
      for (const auto& in : nodes[i].inputs) {
        down[in.node].push_back(i);
        ++indeg[i];
      }
      for (size_t s : nodes[i].dead_letter_sources) {
        down[s].push_back(i);
        ++indeg[i];
      }
    }
    std::vector<size_t> order;
    for (size_t i = 0; i < n; ++i)
      if (indeg[i] == 0) order.push_back(i);
    for (size_t k = 0; k < order.size(); ++k)
      for (size_t d : down[order[k]])
        if (--indeg[d] == 0) order.push_back(d);
    std::vector<size_t> pos(n);
    for (size_t k = 0; k < n; ++k) pos[order[k]] = k;
    std::vector<GraphNode> sorted;
    for (size_t k = 0; k < n; ++k) sorted.push_back(std::move(nodes[order[k]]));
    for (auto& g : sorted) {
      for (auto& in : g.inputs) in.node = pos[in.node];
      if (g.dead_letter_target >= 0)
        g.dead_letter_target = static_cast<int>(pos[static_cast<size_t>(g.dead_letter_target)]);
      for (auto& s : g.dead_letter_sources) s = pos[s];
    }
    for (size_t i = 0; i < n; ++i) {
      sorted[i].consumers.assign(sorted[i].ports.size(), {});
    }
    for (size_t i = 0; i < n; ++i)
      for (const auto& in : sorted[i].inputs) sorted[in.node].consumers[in.port].push_back(i);
    nodes = std::move(sorted);
  }
};

BuildResult BuildGraph(const PipelineSpec& spec, const Registry& registry) {
  GraphBuilder b{registry};
  const PipelineSpec& own = b.AdoptSpec(spec);
  b.specs = own.AllNodes();
  b.CheckTopLevel(own);
  b.CheckIdsAndTypes();
  b.CheckConfigs();
  b.CheckInputs();
  b.CheckDeadLetters();
  bool acyclic = b.CheckCycles();
  if (acyclic) b.CheckReachability();
  BuildResult r;
  bool errors = HasErrors(b.diags);
  r.diagnostics = std::move(b.diags);
  if (errors) return r;
  b.TopoSort();
  b.Commit();
  r.graph = std::move(b.graph);
  return r;
}

int Graph::IndexOf(const std::string& id) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].id() == id) return static_cast<int>(i);
  return -1;
}

std::string Graph::ToDot() const {
  std::string out = "digraph \"" + spec_.metadata.name + "\" {\n  rankdir=LR;\n";
  for (const auto& n : nodes_) {
    const char* shape = n.kind() == NodeKind::kSource ? "invhouse"
                        : n.kind() == NodeKind::kSink ? "house"
                                                      : "box";
    out += "  \"" + n.id() + "\" [shape=" + shape + ", label=\"" + n.id() + "\\n(" +
           n.spec->type + ")\"];\n";
  }
  for (const auto& n : nodes_) {
    for (const auto& in : n.inputs) {
      const auto& up = nodes_[in.node];
      out += "  \"" + up.id() + "\" -> \"" + n.id() + "\"";
      if (!up.ports[in.port].empty()) out += " [label=\"" + up.ports[in.port] + "\"]";
      out += ";\n";
    }
    if (n.dead_letter_target >= 0)
      out += "  \"" + n.id() + "\" -> \"" + nodes_[n.dead_letter_target].id() +
             "\" [style=dashed, label=\"dead letters\"];\n";
  }
  return out + "}\n";
}

std::string Graph::ToPlanText() const {
  std::string out;
  for (const auto& n : nodes_) {
    out += "  " + std::string(NodeKindName(n.kind())) + " " + n.id() + " (" + n.spec->type + ")";
    std::vector<std::string> inputs;
    for (const auto& in : n.inputs) {
      const auto& up = nodes_[in.node];
      inputs.push_back(up.ports[in.port].empty() ? up.id() : up.id() + "." + up.ports[in.port]);
    }
    if (!inputs.empty()) out += " <- " + Join(inputs, ", ");
    if (!n.spec->filter.empty()) out += " [filter: " + n.spec->filter + "]";
    if (n.dead_letter_target >= 0)
      out += " [dead letters -> " + nodes_[n.dead_letter_target].id() + "]";
    if (n.ports.size() > 1) {
      std::vector<std::string> named;
      for (const auto& p : n.ports) named.push_back(n.id() + "." + p);
      out += " [outputs: " + Join(named, ", ") + "]";
    }
    out += "\n";
  }
  return out;
}

std::string Graph::ToMermaid() const {
  std::string out = "flowchart LR\n";
  auto safe = [](const std::string& id) {
    std::string s = id;
    for (auto& c : s)
      if (c == '-') c = '_';
    return s;
  };
  for (const auto& n : nodes_) {
    std::string label = n.id() + "<br/>" + n.spec->type;
    if (n.kind() == NodeKind::kSource) out += "  " + safe(n.id()) + "[/\"" + label + "\"/]\n";
    else if (n.kind() == NodeKind::kSink) out += "  " + safe(n.id()) + "[(\"" + label + "\")]\n";
    else out += "  " + safe(n.id()) + "[\"" + label + "\"]\n";
  }
  for (const auto& n : nodes_) {
    for (const auto& in : n.inputs) {
      const auto& up = nodes_[in.node];
      if (up.ports[in.port].empty())
        out += "  " + safe(up.id()) + " --> " + safe(n.id()) + "\n";
      else
        out += "  " + safe(up.id()) + " -- " + up.ports[in.port] + " --> " + safe(n.id()) + "\n";
    }
    if (n.dead_letter_target >= 0)
      out += "  " + safe(n.id()) + " -. dead letters .-> " +
             safe(nodes_[n.dead_letter_target].id()) + "\n";
  }
  return out;
}

}  // namespace flowctl
