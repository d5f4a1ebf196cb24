// DAG validation: every check reports file:line and what would be valid, and
// all problems are reported at once.
#include "flowctl/graph/graph.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace flowctl {
namespace {

using testing::BuildFromYaml;
using testing::DiagText;

class GraphTest : public ::testing::Test {
 protected:
  GraphTest() { RegisterBuiltins(registry_); }

  // Finds the first error whose message contains needle.
  const Diagnostic* FindError(const BuildResult& r, const std::string& needle) {
    for (const auto& d : r.diagnostics)
      if (d.severity == Diagnostic::Severity::kError &&
          d.message.find(needle) != std::string::npos)
        return &d;
    return nullptr;
  }

  Registry registry_;
};

constexpr const char* kHeader =
    "apiVersion: flowctl/v1\n"   // 1
    "kind: Pipeline\n"           // 2
    "metadata:\n"                // 3
    "  name: t\n"                // 4
    "spec:\n";                   // 5

TEST_F(GraphTest, ValidPipelineBuildsInTopologicalOrder) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sinks:\n"
                             "    - id: out\n"
                             "      type: null\n"
                             "      inputs: [f]\n"
                             "  processors:\n"
                             "    - id: f\n"
                             "      type: filter\n"
                             "      inputs: [gen]\n"
                             "      config: {condition: \"id > 2\"}\n"
                             "  sources:\n"
                             "    - id: gen\n"
                             "      type: generator\n",
                         registry_);
  ASSERT_TRUE(r.ok()) << DiagText(r.diagnostics);
  const auto& nodes = r.graph->nodes();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].id(), "gen");
  EXPECT_EQ(nodes[1].id(), "f");
  EXPECT_EQ(nodes[2].id(), "out");
  // Schema defaults are applied.
  EXPECT_EQ(nodes[0].config["count"], 1000);
}

TEST_F(GraphTest, UnknownTypeNamesLineAndKnownTypes) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"                  // 6
                             "    - id: in\n"                // 7
                             "      type: kafka-source\n"    // 8
                             "  sinks:\n"                    // 9
                             "    - id: out\n"               // 10
                             "      type: stdot\n"           // 11
                             "      inputs: [in]\n",
                         registry_);
  ASSERT_FALSE(r.ok());
  const Diagnostic* d = FindError(r, "unknown source type 'kafka-source'");
  ASSERT_NE(d, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(d->mark.line, 8);
  EXPECT_NE(d->hint.find("generator"), std::string::npos);
  EXPECT_NE(d->hint.find("file"), std::string::npos);
  const Diagnostic* d2 = FindError(r, "unknown sink type 'stdot'");
  ASSERT_NE(d2, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(d2->mark.line, 11);
  EXPECT_NE(d2->hint.find("did you mean 'stdout'"), std::string::npos);
}

TEST_F(GraphTest, DuplicateIdsAndMissingInputs) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"                    // 6
                             "    - id: a\n"                   // 7
                             "      type: generator\n"         // 8
                             "    - id: a\n"                   // 9
                             "      type: generator\n"         // 10
                             "  sinks:\n"                      // 11
                             "    - id: out\n"                 // 12
                             "      type: stdout\n"            // 13
                             "      inputs: [b]\n"             // 14
                             "    - id: out2\n"                // 15
                             "      type: stdout\n",           // 16
                         registry_);
  ASSERT_FALSE(r.ok());
  const Diagnostic* dup = FindError(r, "duplicate id 'a'");
  ASSERT_NE(dup, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(dup->mark.line, 9);
  EXPECT_NE(dup->hint.find(":7"), std::string::npos) << dup->hint;
  const Diagnostic* missing = FindError(r, "input 'b' does not exist");
  ASSERT_NE(missing, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(missing->mark.line, 14);
  const Diagnostic* no_inputs = FindError(r, "a sink needs inputs");
  ASSERT_NE(no_inputs, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(no_inputs->mark.line, 15);
}

TEST_F(GraphTest, CycleIsPrinted) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"
                             "    - id: gen\n"
                             "      type: generator\n"
                             "  processors:\n"
                             "    - id: a\n"
                             "      type: filter\n"
                             "      inputs: [gen, c]\n"
                             "      config: {condition: 'true'}\n"
                             "    - id: b\n"
                             "      type: filter\n"
                             "      inputs: [a]\n"
                             "      config: {condition: 'true'}\n"
                             "    - id: c\n"
                             "      type: filter\n"
                             "      inputs: [b]\n"
                             "      config: {condition: 'true'}\n"
                             "  sinks:\n"
                             "    - id: out\n"
                             "      type: null\n"
                             "      inputs: [c]\n",
                         registry_);
  ASSERT_FALSE(r.ok());
  const Diagnostic* d = FindError(r, "cycle: ");
  ASSERT_NE(d, nullptr) << DiagText(r.diagnostics);
  EXPECT_NE(d->message.find("a -> b -> c -> a"), std::string::npos) << d->message;
  EXPECT_EQ(d->mark.line, 10);  // node a
}

TEST_F(GraphTest, DeadLetterLoopIsACycle) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"
                             "    - id: gen\n"
                             "      type: generator\n"
                             "  sinks:\n"
                             "    - id: a\n"
                             "      type: file\n"
                             "      inputs: [gen]\n"
                             "      config: {path: /tmp/a}\n"
                             "      on_error: {dead_letter: {to: b}}\n"
                             "    - id: b\n"
                             "      type: dead-letter\n"
                             "      config: {path: /tmp/b}\n"
                             "      on_error: {dead_letter: {to: a}}\n",
                         registry_);
  ASSERT_FALSE(r.ok());
  const Diagnostic* d = FindError(r, "cycle: ");
  ASSERT_NE(d, nullptr) << DiagText(r.diagnostics);
}

TEST_F(GraphTest, BadExpressionNamesLineAndColumn) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"                           // 6
                             "    - id: gen\n"                        // 7
                             "      type: generator\n"                // 8
                             "  processors:\n"                        // 9
                             "    - id: f\n"                          // 10
                             "      type: filter\n"                   // 11
                             "      inputs: [gen]\n"                  // 12
                             "      config:\n"                        // 13
                             "        condition: \"priority ==\"\n"   // 14
                             "  sinks:\n"                             // 15
                             "    - id: out\n"                        // 16
                             "      type: null\n"                     // 17
                             "      inputs: [f]\n"                    // 18
                             "      filter: \"amount >> 3\"\n",       // 19
                         registry_);
  ASSERT_FALSE(r.ok());
  const Diagnostic* d = FindError(r, "condition");
  ASSERT_NE(d, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(d->mark.line, 14);
  EXPECT_NE(d->message.find("column"), std::string::npos) << d->message;
  const Diagnostic* f = FindError(r, "filter:");
  ASSERT_NE(f, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(f->mark.line, 19);
}

TEST_F(GraphTest, ConfigSchemaErrorsPointAtTheField) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"                  // 6
                             "    - id: in\n"                // 7
                             "      type: file\n"            // 8
                             "      config:\n"               // 9
                             "        paht: x.jsonl\n"       // 10
                             "        codec: xml\n"          // 11
                             "  sinks:\n"                    // 12
                             "    - id: out\n"               // 13
                             "      type: null\n"            // 14
                             "      inputs: [in]\n",
                         registry_);
  ASSERT_FALSE(r.ok());
  const Diagnostic* unknown = FindError(r, "unknown field 'paht'");
  ASSERT_NE(unknown, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(unknown->mark.line, 10);
  EXPECT_NE(unknown->hint.find("did you mean 'path'"), std::string::npos);
  const Diagnostic* codec = FindError(r, "'xml' is not allowed");
  ASSERT_NE(codec, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(codec->mark.line, 11);
  EXPECT_NE(codec->hint.find("json, lines"), std::string::npos);
  EXPECT_NE(FindError(r, "missing required field 'path'"), nullptr);
}

TEST_F(GraphTest, NamedOutputsMustExist) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"
                             "    - id: gen\n"
                             "      type: generator\n"
                             "  processors:\n"
                             "    - id: router\n"
                             "      type: route\n"
                             "      inputs: [gen]\n"
                             "      config:\n"
                             "        routes: [{name: high, when: \"priority == 'high'\"}]\n"
                             "  sinks:\n"
                             "    - id: a\n"
                             "      type: null\n"
                             "      inputs: [router.hihg]\n"
                             "    - id: b\n"
                             "      type: null\n"
                             "      inputs: [router]\n"
                             "    - id: c\n"
                             "      type: null\n"
                             "      inputs: [router.high, router.default]\n",
                         registry_);
  ASSERT_FALSE(r.ok());
  const Diagnostic* bad = FindError(r, "has no output 'hihg'");
  ASSERT_NE(bad, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(bad->mark.line, 18);
  EXPECT_NE(bad->hint.find("router.high"), std::string::npos);
  EXPECT_NE(FindError(r, "'router' has named outputs"), nullptr) << DiagText(r.diagnostics);
  // Exactly these two errors: c is fine.
  int errors = 0;
  for (const auto& d : r.diagnostics) errors += d.severity == Diagnostic::Severity::kError;
  EXPECT_EQ(errors, 2) << DiagText(r.diagnostics);
}

TEST_F(GraphTest, SourceWithInputsAndFilterOnProcessorAndDeadLetterTarget) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"
                             "    - id: gen\n"
                             "      type: generator\n"
                             "      inputs: [gen2]\n"
                             "    - id: gen2\n"
                             "      type: generator\n"
                             "  processors:\n"
                             "    - id: f\n"
                             "      type: filter\n"
                             "      inputs: [gen2]\n"
                             "      filter: \"true\"\n"
                             "      config: {condition: 'true'}\n"
                             "      on_error: {dead_letter: {to: nowhere}}\n"
                             "  sinks:\n"
                             "    - id: out\n"
                             "      type: null\n"
                             "      inputs: [f]\n",
                         registry_);
  ASSERT_FALSE(r.ok());
  const Diagnostic* src = FindError(r, "a source cannot have inputs");
  ASSERT_NE(src, nullptr) << DiagText(r.diagnostics);
  EXPECT_EQ(src->mark.line, 9);
  const Diagnostic* filter = FindError(r, "'filter:' is only allowed on sinks");
  ASSERT_NE(filter, nullptr);
  EXPECT_EQ(filter->mark.line, 16);
  const Diagnostic* dlq = FindError(r, "dead_letter target 'nowhere' does not exist");
  ASSERT_NE(dlq, nullptr);
  EXPECT_EQ(dlq->mark.line, 18);
}

TEST_F(GraphTest, UnreachableNodeIsAWarningNotAnError) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"
                             "    - id: gen\n"
                             "      type: generator\n"
                             "  sinks:\n"
                             "    - id: out\n"
                             "      type: null\n"
                             "      inputs: [gen]\n"
                             "    - id: dlq\n"
                             "      type: dead-letter\n"
                             "      config: {path: /tmp/x}\n",
                         registry_);
  ASSERT_TRUE(r.ok()) << DiagText(r.diagnostics);
  bool warned = false;
  for (const auto& d : r.diagnostics)
    warned |= d.severity == Diagnostic::Severity::kWarning && d.node_id == "dlq" &&
              d.message.find("unreachable") != std::string::npos;
  EXPECT_TRUE(warned) << DiagText(r.diagnostics);
}

TEST_F(GraphTest, DotAndMermaidShowEdges) {
  auto r = BuildFromYaml(std::string(kHeader) +
                             "  sources:\n"
                             "    - id: gen\n"
                             "      type: generator\n"
                             "  sinks:\n"
                             "    - id: out\n"
                             "      type: null\n"
                             "      inputs: [gen]\n",
                         registry_);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r.graph->ToDot().find("\"gen\" -> \"out\""), std::string::npos);
  EXPECT_NE(r.graph->ToMermaid().find("gen --> out"), std::string::npos);
}

}  // namespace
}  // namespace flowctl
