// spec + registry -> validated DAG. Everything that can be checked before a
// pipeline runs is checked here, and every problem is reported at once with
// file:line:col, the node id and what would be valid.
//
// Contract: BuildGraph is a pure function of its inputs; a Graph is
// immutable after it is built and safe to read from any thread. Graph owns a
// copy of the spec; GraphNode::spec points into it (Graph is not copyable).
#ifndef FLOWCTL_GRAPH_GRAPH_H_
#define FLOWCTL_GRAPH_GRAPH_H_

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowctl/component/registry.h"
#include "flowctl/expr/expr.h"
#include "flowctl/spec/diagnostic.h"
#include "flowctl/spec/spec.h"

namespace flowctl {

struct PortRef {
  size_t node = 0;  // index into Graph::nodes
  size_t port = 0;  // index into that node's ports
};

struct GraphNode {
  const NodeSpec* spec = nullptr;
  const ComponentDescriptor* descriptor = nullptr;
  nlohmann::json config;           // with schema defaults applied
  std::vector<std::string> ports;  // output ports; {""} for one unnamed port
  std::vector<PortRef> inputs;
  // For each port, the nodes it feeds.
  std::vector<std::vector<size_t>> consumers;
  std::shared_ptr<const expr::Program> filter;  // sinks only
  int dead_letter_target = -1;                  // node index or -1
  // Nodes that send dead letters here (they count as inputs for lifecycle).
  std::vector<size_t> dead_letter_sources;

  const std::string& id() const { return spec->id; }
  NodeKind kind() const { return spec->kind; }
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  const PipelineSpec& spec() const { return spec_; }
  // Nodes in a topological order (every node after all its inputs).
  const std::vector<GraphNode>& nodes() const { return nodes_; }
  int IndexOf(const std::string& id) const;
  // Graphviz dot / Mermaid text of the DAG.
  std::string ToDot() const;
  std::string ToMermaid() const;
  // One line per node: kind, id, type, inputs, filter, dead letters, outputs.
  std::string ToPlanText() const;

 private:
  friend struct GraphBuilder;
  PipelineSpec spec_;
  std::vector<GraphNode> nodes_;
};

struct BuildResult {
  std::unique_ptr<Graph> graph;  // null when there are errors
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return graph != nullptr; }
};

BuildResult BuildGraph(const PipelineSpec& spec, const Registry& registry);

}  // namespace flowctl

#endif  // FLOWCTL_GRAPH_GRAPH_H_
