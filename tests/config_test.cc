// Tests of the YAML loader (src/config/) and the spec helpers (src/spec/).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "flowctl/config/loader.h"
#include "flowctl/spec/diagnostic.h"
#include "flowctl/spec/spec.h"

namespace flowctl::config {
namespace {

using Json = nlohmann::json;

LoadOptions NoEnv() {
  LoadOptions o;
  o.use_env = false;
  return o;
}

LoadResult Load(const std::string& text, LoadOptions options = NoEnv()) {
  return LoadString(text, "p.yaml", options);
}

std::string AllDiags(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.ToString() + "\n";
  return out;
}

// The first diagnostic whose message contains text, or nullptr.
const Diagnostic* FindDiag(const LoadResult& r, const std::string& text) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.message.find(text) != std::string::npos) return &d;
  }
  return nullptr;
}

// Five header lines: a spec body given to it starts on line 6.
std::string WithHeader(const std::string& spec_body) {
  return "apiVersion: v1\nkind: Pipeline\nmetadata:\n  name: p\nspec:\n" + spec_body;
}

// Expects exactly one error containing text, at line:column.
void ExpectError(const LoadResult& r, const std::string& text, int line, int column = 0) {
  const Diagnostic* d = FindDiag(r, text);
  ASSERT_NE(d, nullptr) << "no diagnostic with '" << text << "' in:\n" << AllDiags(r);
  EXPECT_EQ(d->severity, Diagnostic::Severity::kError) << d->ToString();
  EXPECT_EQ(d->mark.file, "p.yaml");
  EXPECT_EQ(d->mark.line, line) << d->ToString();
  if (column > 0) {
    EXPECT_EQ(d->mark.column, column) << d->ToString();
  }
  EXPECT_FALSE(r.ok());
}

const PipelineSpec& OnlyPipeline(const LoadResult& r) {
  static const PipelineSpec kEmpty;
  EXPECT_EQ(r.documents.size(), 1u) << AllDiags(r);
  if (r.documents.empty()) return kEmpty;
  EXPECT_EQ(r.documents[0].kind, "Pipeline");
  return r.documents[0].pipeline;
}

constexpr char kFull[] = R"(apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: orders
  labels: {team: data, tier: "1"}
  annotations:
    owner: alice
spec:
  batch_size: 500
  channel_capacity: 8
  sources:
    - id: src
      type: generator
      config:
        count: 10
        rate: 2.5
        enabled: true
        nothing: null
        code: "123"
        single: 'true'
        name: plain text
        nested:
          list: [1, two]
        rules:
          - when: x > 1
            then: drop
  processors:
    - id: fil
      type: filter
      inputs: src
      filter: amount > 10
      concurrency: 4
      on_error: {retry: {max: 5, backoff: 2s}, then: {dead_letter: {to: dlq}}}
      config:
        Keep-Case: yes
        big: 12345678901234
        neg: -7
        exp: 1e3
  sinks:
    - id: out
      type: stdout
      inputs: [fil, src]
      on_error: drop
    - id: dlq
      type: stdout
      inputs: [fil]
)";

// --- Valid documents ----------------------------------------------------------

TEST(LoaderTest, FullPipelineTopLevel) {
  LoadResult r = Load(kFull);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  EXPECT_TRUE(r.diagnostics.empty()) << AllDiags(r);
  const PipelineSpec& p = OnlyPipeline(r);
  EXPECT_EQ(p.api_version, "flowctl/v1");
  EXPECT_EQ(p.kind, "Pipeline");
  EXPECT_EQ(p.metadata.name, "orders");
  EXPECT_EQ(p.metadata.labels.at("team"), "data");
  EXPECT_EQ(p.metadata.labels.at("tier"), "1");
  EXPECT_EQ(p.metadata.annotations.at("owner"), "alice");
  EXPECT_EQ(p.batch_size, 500);
  EXPECT_EQ(p.channel_capacity, 8);
  EXPECT_EQ(p.mark.line, 1);
  ASSERT_EQ(p.sources.size(), 1u);
  ASSERT_EQ(p.processors.size(), 1u);
  ASSERT_EQ(p.sinks.size(), 2u);
  EXPECT_EQ(p.sources[0].kind, NodeKind::kSource);
  EXPECT_EQ(p.processors[0].kind, NodeKind::kProcessor);
  EXPECT_EQ(p.sinks[1].kind, NodeKind::kSink);
  EXPECT_EQ(r.documents[0].metadata.name, "orders");
  EXPECT_EQ(r.documents[0].raw["spec"]["batch_size"], 500);
}

TEST(LoaderTest, FullPipelineConfigTypes) {
  LoadResult r = Load(kFull);
  const PipelineSpec& p = OnlyPipeline(r);
  ASSERT_EQ(p.sources.size(), 1u);
  const Json& c = p.sources[0].config;
  EXPECT_TRUE(c["count"].is_number_integer());
  EXPECT_EQ(c["count"].get<int64_t>(), 10);
  EXPECT_TRUE(c["rate"].is_number_float());
  EXPECT_DOUBLE_EQ(c["rate"].get<double>(), 2.5);
  EXPECT_EQ(c["enabled"], Json(true));
  EXPECT_TRUE(c["nothing"].is_null());
  EXPECT_EQ(c["code"], Json("123"));     // quoted: stays a string
  EXPECT_EQ(c["single"], Json("true"));  // quoted: stays a string
  EXPECT_EQ(c["name"], Json("plain text"));
  EXPECT_EQ(c["nested"]["list"], Json::parse(R"([1, "two"])"));
  EXPECT_EQ(c["rules"][0]["when"], Json("x > 1"));
  const Json& f = p.processors[0].config;
  EXPECT_EQ(f["Keep-Case"], Json("yes"));  // YAML 1.2: yes is a string
  EXPECT_EQ(f["big"].get<int64_t>(), 12345678901234);
  EXPECT_EQ(f["neg"].get<int64_t>(), -7);
  EXPECT_TRUE(f["exp"].is_number_float());
  EXPECT_DOUBLE_EQ(f["exp"].get<double>(), 1000.0);
  EXPECT_FALSE(f.contains("keep_case"));
}

TEST(LoaderTest, FullPipelineNodeFields) {
  LoadResult r = Load(kFull);
  const PipelineSpec& p = OnlyPipeline(r);
  ASSERT_EQ(p.sinks.size(), 2u);
  const NodeSpec& fil = p.processors[0];
  EXPECT_EQ(fil.id, "fil");
  EXPECT_EQ(fil.type, "filter");
  EXPECT_EQ(fil.inputs, std::vector<std::string>{"src"});
  EXPECT_EQ(fil.filter, "amount > 10");
  EXPECT_EQ(fil.concurrency, 4);
  ASSERT_TRUE(fil.has_on_error);
  EXPECT_EQ(fil.on_error.kind, ErrorPolicy::Kind::kRetry);
  EXPECT_EQ(fil.on_error.max_retries, 5);
  EXPECT_EQ(fil.on_error.backoff_ms, 2000);
  EXPECT_EQ(fil.on_error.then, ErrorPolicy::Kind::kDeadLetter);
  EXPECT_EQ(fil.on_error.dead_letter_to, "dlq");
  EXPECT_EQ(fil.on_error.mark.line, 33);
  const NodeSpec& out = p.sinks[0];
  EXPECT_EQ(out.inputs, (std::vector<std::string>{"fil", "src"}));
  ASSERT_TRUE(out.has_on_error);
  EXPECT_EQ(out.on_error.kind, ErrorPolicy::Kind::kDrop);
  EXPECT_FALSE(p.sources[0].has_on_error);
  EXPECT_EQ(p.sources[0].concurrency, 0);
}

TEST(LoaderTest, FullPipelineMarks) {
  LoadResult r = Load(kFull);
  const PipelineSpec& p = OnlyPipeline(r);
  ASSERT_EQ(p.sinks.size(), 2u);
  const NodeSpec& src = p.sources[0];
  EXPECT_EQ(src.mark.ToString(), "p.yaml:12:7");
  EXPECT_EQ(src.type_mark.ToString(), "p.yaml:13:13");
  EXPECT_EQ(src.config_marks.at("/count").ToString(), "p.yaml:15:16");
  EXPECT_EQ(src.config_marks.at("/nothing").line, 18);
  EXPECT_EQ(src.config_marks.at("/nested/list/1").ToString(), "p.yaml:23:21");
  EXPECT_EQ(src.config_marks.at("/rules/0").ToString(), "p.yaml:25:13");
  EXPECT_EQ(src.config_marks.at("/rules/0/when").ToString(), "p.yaml:25:19");
  EXPECT_EQ(src.config_marks.at("/rules/0/then").line, 26);
  // Fallbacks: nearest parent, then the node.
  EXPECT_EQ(src.ConfigMark("/nested/list/9").line, 23);
  EXPECT_EQ(src.ConfigMark("/rules/0/when").column, 19);
  EXPECT_EQ(src.ConfigMark("/zzz").line, 12);
  const NodeSpec& fil = p.processors[0];
  ASSERT_EQ(fil.input_marks.size(), 1u);
  EXPECT_EQ(fil.input_marks[0].ToString(), "p.yaml:30:15");
  EXPECT_EQ(fil.filter_mark.ToString(), "p.yaml:31:15");
  const NodeSpec& out = p.sinks[0];
  ASSERT_EQ(out.input_marks.size(), 2u);
  EXPECT_EQ(out.input_marks[0].ToString(), "p.yaml:42:16");
  EXPECT_EQ(out.input_marks[1].ToString(), "p.yaml:42:21");
}

TEST(LoaderTest, KebabAndSnakeKeysAreNormalized) {
  LoadResult r = Load(R"(apiVersion: v1
kind: Pipeline
metadata:
  name: kebab
spec:
  batch-size: 100
  channel_capacity: 4
  sources:
    - id: a
      type: gen
      on-error: {dead-letter: {to: b}}
      config:
        some-key: 1
        other_key: 2
  sinks:
    - id: b
      type: stdout
      inputs: [a]
      on_error: fail
  observability:
    ai-metrics: []
)");
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  const PipelineSpec& p = OnlyPipeline(r);
  EXPECT_EQ(p.batch_size, 100);
  EXPECT_EQ(p.channel_capacity, 4);
  ASSERT_EQ(p.sources.size(), 1u);
  EXPECT_EQ(p.sources[0].on_error.kind, ErrorPolicy::Kind::kDeadLetter);
  EXPECT_EQ(p.sources[0].on_error.dead_letter_to, "b");
  EXPECT_EQ(p.sources[0].config["some-key"], 1);
  EXPECT_EQ(p.sources[0].config["other_key"], 2);
  ASSERT_EQ(p.sinks.size(), 1u);
  EXPECT_EQ(p.sinks[0].on_error.kind, ErrorPolicy::Kind::kFail);
  ASSERT_EQ(p.extensions.count("observability"), 1u);
  EXPECT_TRUE(p.extensions.at("observability")["ai-metrics"].is_array());
  const Diagnostic* w = FindDiag(r, "observability");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(w->mark.line, 20);
  EXPECT_NE(w->message.find("not acted on yet"), std::string::npos);
}

// spec.ai-policies: every mistake named at its line, with what is valid.
TEST(LoaderTest, SelfHealingPolicyErrors) {
  const std::string nodes =
      "  sources: [{id: a, type: stdin}]\n"
      "  sinks: [{id: b, type: stdout, inputs: [a]}]\n"
      "  ai-policies:\n";  // lines 6-8; a policy starts on line 9
  auto load = [&](const std::string& policy) { return Load(WithHeader(nodes + policy)); };
  struct Case {
    std::string policy, message;
    int line;
  };
  std::vector<Case> cases = {
      {"    - {name: x}\n", "an ai-policy needs 'type'", 9},
      {"    - {name: x, type: cost-saver}\n", "unknown ai-policy type 'cost-saver'", 9},
      {"    - name: x\n      type: self-healing\n      config:\n        detection:\n"
       "          - {metric: error_rat, threshold: 0.05}\n        actions: [{type: "
       "ai-diagnosis}]\n",
       "unknown metric 'error_rat'", 13},
      {"    - name: x\n      type: self-healing\n      config:\n        detection:\n"
       "          - {metric: latency_p99, threshold: 2 hours}\n"
       "        actions: [{type: ai-diagnosis}]\n",
       "threshold '2 hours' does not fit latency_p99", 13},
      {"    - name: x\n      type: self-healing\n      config:\n        detection:\n"
       "          - {metric: error_rate, threshold: 5}\n        actions: [{type: ai-diagnosis}]\n",
       "threshold '5' does not fit error_rate", 13},
      {"    - name: x\n      type: self-healing\n      config:\n        detection:\n"
       "          - {metric: error_rate, threshold: 1%, window: 1s}\n"
       "        actions: [{type: ai-diagnosis}]\n",
       "'window' must be a duration of at least 2 s", 13},
      {"    - name: x\n      type: self-healing\n      config:\n        detection:\n"
       "          - {metric: error_rate, threshold: 1%}\n"
       "        actions: [{type: auto-remediation, strategies: [restart, create-incident]}]\n",
       "unknown strategy 'restart'", 14},
      {"    - name: x\n      type: self-healing\n      config:\n        detection:\n"
       "          - {metric: error_rate, threshold: 1%}\n"
       "        actions: [{type: auto-remediation, strategies: [create-incident],\n"
       "                   incident-webhook: ftp://x}]\n",
       "incident-webhook 'ftp://x' is not an http(s) URL", 15},
      {"    - name: x\n      type: self-healing\n      config:\n        detection: []\n"
       "        actions: [{type: ai-diagnosis}]\n",
       "'detection' must be a non-empty list", 12},
  };
  for (const auto& c : cases) {
    LoadResult r = load(c.policy);
    EXPECT_FALSE(r.ok()) << c.policy;
    const Diagnostic* d = FindDiag(r, c.message);
    ASSERT_NE(d, nullptr) << c.message << "\n" << AllDiags(r);
    EXPECT_EQ(d->severity, Diagnostic::Severity::kError) << c.message;
    EXPECT_EQ(d->mark.line, c.line) << c.message;
  }
  // Percent, seconds and a provider:model are read in their units.
  LoadResult ok = load(
      "    - name: x\n      type: self-healing\n      config:\n        detection:\n"
      "          - {metric: error_rate, threshold: 2%, window: 30s}\n"
      "          - {metric: latency_p99, threshold: 1.5s}\n"
      "        actions:\n          - {type: ai-diagnosis, model: openai:gpt-4o-mini}\n"
      "          - {type: auto-remediation, strategies: [reroute-traffic], max-workers: 4}\n");
  ASSERT_TRUE(ok.ok()) << AllDiags(ok);
  const HealingPolicy& p = OnlyPipeline(ok).healing.at(0);
  EXPECT_DOUBLE_EQ(p.detection[0].threshold, 0.02);
  EXPECT_EQ(p.detection[0].window_s, 30);
  EXPECT_DOUBLE_EQ(p.detection[1].threshold, 1500);
  EXPECT_EQ(p.diagnosis_model, "openai:gpt-4o-mini");
  EXPECT_EQ(p.max_workers, 4);
  EXPECT_FALSE(p.learning);
}

TEST(LoaderTest, AcceptedApiVersions) {
  for (const char* v :
       {"v1", "flowctl/v1", "flowctl.dev/v1", "ai.obsrvr.com/v1", "monitoring.obsrvr.com/v1"}) {
    LoadResult r =
        Load(std::string("apiVersion: ") + v + "\nkind: Pipeline\nmetadata: {name: x}\nspec: {}\n");
    EXPECT_TRUE(r.ok()) << v << "\n" << AllDiags(r);
  }
  for (const char* v : {"v2", "obsrvr.com/v1", "ai.obsrvr.com/v2", "x/v1"}) {
    LoadResult r =
        Load(std::string("apiVersion: ") + v + "\nkind: Pipeline\nmetadata: {name: x}\nspec: {}\n");
    EXPECT_FALSE(r.ok()) << v;
  }
}

TEST(LoaderTest, SingleFormsAndDefaults) {
  LoadResult r = Load(WithHeader(R"(  sources:
    - id: a
      type: gen
      inputs:
      config:
      on_error: retry
    - id: b
      type: gen
      on_error: {retry: {backoff: 250}, then: drop}
    - id: c
      type: gen
      on_error: {retry: {backoff: "100ms"}}
    - id: d
      type: gen
      on_error: {drop: {}}
)"));
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  const PipelineSpec& p = OnlyPipeline(r);
  ASSERT_EQ(p.sources.size(), 4u);
  const NodeSpec& a = p.sources[0];
  EXPECT_TRUE(a.inputs.empty());
  EXPECT_TRUE(a.config.is_object());
  EXPECT_TRUE(a.config.empty());
  EXPECT_EQ(a.on_error.kind, ErrorPolicy::Kind::kRetry);
  EXPECT_EQ(a.on_error.max_retries, 3);
  EXPECT_EQ(a.on_error.backoff_ms, 100);
  EXPECT_EQ(a.on_error.then, ErrorPolicy::Kind::kFail);
  EXPECT_EQ(p.sources[1].on_error.backoff_ms, 250);
  EXPECT_EQ(p.sources[1].on_error.then, ErrorPolicy::Kind::kDrop);
  EXPECT_EQ(p.sources[2].on_error.backoff_ms, 100);
  EXPECT_EQ(p.sources[2].on_error.max_retries, 3);
  EXPECT_EQ(p.sources[3].on_error.kind, ErrorPolicy::Kind::kDrop);
}

TEST(LoaderTest, MultipleDocumentsSkipEmptyOnes) {
  LoadResult r = Load(R"(apiVersion: v1
kind: Pipeline
metadata: {name: one}
spec:
  sources: [{id: a, type: gen}]
---
---
# only a comment
---
apiVersion: templates.obsrvr.com/v1
kind: PipelineTemplate
metadata:
  name: tmpl
spec:
  parameters: [{name: p, default: 0.8}]
  template:
    sources: [{id: b, type: gen, config: {rate: "${p}"}}]
)");
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  ASSERT_EQ(r.documents.size(), 2u);
  EXPECT_EQ(r.documents[0].pipeline.metadata.name, "one");
  ASSERT_EQ(r.documents[0].pipeline.sources.size(), 1u);
  EXPECT_EQ(r.documents[0].pipeline.sources[0].mark.line, 5);
  const Document& t = r.documents[1];
  EXPECT_EQ(t.kind, "PipelineTemplate");
  EXPECT_EQ(t.api_version, "templates.obsrvr.com/v1");
  EXPECT_EQ(t.metadata.name, "tmpl");
  EXPECT_EQ(t.mark.line, 10);
  EXPECT_EQ(t.raw["spec"]["parameters"][0]["default"], 0.8);
  // No Pipeline of the file references it: it is instantiated on its own
  // (tests/template_test.cc has the details).
  EXPECT_TRUE(t.Runnable());
  ASSERT_EQ(t.pipeline.sources.size(), 1u);
  EXPECT_EQ(t.pipeline.sources[0].config["rate"], 0.8);
  EXPECT_EQ(FindDiag(r, "not runnable"), nullptr);
}

TEST(LoaderTest, EmptyInputHasNoDocumentsAndNoErrors) {
  LoadResult r = Load("");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.documents.empty());
  r = Load("# nothing\n---\n");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.documents.empty());
}

// --- Errors ---------------------------------------------------------------

TEST(LoaderErrorTest, UnknownTopLevelKey) {
  LoadResult r = Load(
      "apiVersion: v1\nkind: Pipeline\nmetdata:\n  name: x\n"
      "spec: {}\n");
  ExpectError(r, "unknown key 'metdata'", 3, 1);
  EXPECT_NE(FindDiag(r, "metdata")->hint.find("did you mean 'metadata'"), std::string::npos);
  EXPECT_NE(FindDiag(r, "metdata")->hint.find("apiVersion, kind"), std::string::npos);
  ExpectError(r, "missing 'metadata.name'", 1);
}

TEST(LoaderErrorTest, UnknownSpecMetadataAndNodeKeys) {
  LoadResult r = Load(R"(apiVersion: v1
kind: Pipeline
metadata:
  name: p
  lables: {a: b}
spec:
  sorces: []
  sinks:
    - id: a
      type: g
      input: [b]
)");
  ExpectError(r, "unknown key 'lables'", 5, 3);
  EXPECT_NE(FindDiag(r, "lables")->hint.find("'labels'"), std::string::npos);
  ExpectError(r, "unknown key 'sorces'", 7, 3);
  EXPECT_NE(FindDiag(r, "sorces")->hint.find("'sources'"), std::string::npos);
  ExpectError(r, "unknown key 'input'", 11, 7);
  const Diagnostic* d = FindDiag(r, "unknown key 'input'");
  EXPECT_EQ(d->node_id, "a");
  EXPECT_NE(d->hint.find("did you mean 'inputs'"), std::string::npos);
  EXPECT_NE(d->hint.find("on_error"), std::string::npos);
}

TEST(LoaderErrorTest, BadApiVersion) {
  LoadResult r = Load(
      "apiVersion: v2\nkind: Pipeline\nmetadata: {name: x}\n"
      "spec: {}\n");
  ExpectError(r, "unsupported apiVersion 'v2'", 1, 13);
  const std::string& hint = FindDiag(r, "apiVersion")->hint;
  EXPECT_NE(hint.find("flowctl/v1"), std::string::npos);
  EXPECT_NE(hint.find("flowctl.dev/v1"), std::string::npos);
  EXPECT_NE(hint.find(".obsrvr.com/v1"), std::string::npos);
}

TEST(LoaderErrorTest, MissingApiVersionAndKind) {
  LoadResult r = Load("metadata: {name: x}\nspec: {}\n");
  ExpectError(r, "missing 'apiVersion'", 1);
  ExpectError(r, "missing 'kind'", 1);
}

TEST(LoaderErrorTest, UnknownKindHasDidYouMean) {
  LoadResult r = Load(
      "apiVersion: v1\nkind: Pipline\nmetadata: {name: x}\n"
      "spec: {}\n");
  ExpectError(r, "unknown kind 'Pipline'", 2, 7);
  EXPECT_NE(FindDiag(r, "Pipline")->hint.find("did you mean 'Pipeline'"), std::string::npos);
  EXPECT_EQ(FindDiag(r, "not runnable"), nullptr);
}

TEST(LoaderErrorTest, MissingNameIdTypeAndSpec) {
  LoadResult r = Load("apiVersion: v1\nkind: Pipeline\nmetadata: {}\n");
  ExpectError(r, "missing 'metadata.name'", 3);
  ExpectError(r, "missing 'spec'", 1);

  r = Load(WithHeader("  sources:\n    - type: g\n    - id: b\n"));
  ExpectError(r, "needs an 'id'", 7, 7);
  ExpectError(r, "missing 'type'", 8, 7);
  EXPECT_EQ(FindDiag(r, "missing 'type'")->node_id, "b");
}

TEST(LoaderErrorTest, WrongTypes) {
  LoadResult r = Load(WithHeader(R"(  sources: foo
  sinks:
    - id: a
      type: g
      inputs: {a: b}
      concurrency: abc
      config: [1, 2]
    - id: b
      type: [x]
      concurrency: 0
      filter: {a: 1}
    - just-a-string
  batch_size: many
)"));
  ExpectError(r, "'sources' must be a list of nodes, got a scalar", 6, 12);
  ExpectError(r, "'inputs' must be a list of node ids, got a map", 10, 15);
  ExpectError(r, "'concurrency' must be an integer >= 1, got 'abc'", 11, 20);
  ExpectError(r, "'config' must be a map, got a list", 12, 15);
  ExpectError(r, "'type' must be a non-empty string, got a list", 14, 13);
  ExpectError(r, "'concurrency' must be an integer >= 1, got '0'", 15, 20);
  ExpectError(r, "'filter' must be a non-empty string", 16, 15);
  ExpectError(r, "must be a map with 'id' and 'type'", 17, 7);
  ExpectError(r, "'batch_size' must be an integer >= 1", 18, 15);
  EXPECT_EQ(FindDiag(r, "'concurrency' must")->node_id, "a");
}

TEST(LoaderErrorTest, BadErrorPolicies) {
  LoadResult r = Load(WithHeader(R"(  sources:
    - id: a
      type: g
      on_error: explode
    - id: b
      type: g
      on_error: {dead_letter: {}}
    - id: c
      type: g
      on_error: {retry: {max: x}}
    - id: d
      type: g
      on_error: dead_letter
    - id: e
      type: g
      on_error: {retry: {}, then: retry}
    - id: f
      type: g
      on_error: {drop: {}, then: fail}
    - id: h
      type: g
      on_error: {retry: {backoff: soon}}
    - id: i
      type: g
      on_error: [drop]
)"));
  ExpectError(r, "unknown policy 'explode'", 9, 17);
  EXPECT_NE(FindDiag(r, "explode")->hint.find("valid forms"), std::string::npos);
  EXPECT_NE(FindDiag(r, "explode")->hint.find("dead_letter: {to:"), std::string::npos);
  ExpectError(r, "dead_letter needs 'to: SINK_ID'", 12, 31);
  ExpectError(r, "retry max must be an integer", 15, 31);
  ExpectError(r, "dead_letter needs the sink", 18, 17);
  ExpectError(r, "then must be drop, fail", 21, 35);
  ExpectError(r, "'then' only follows retry", 24, 34);
  ExpectError(r, "retry backoff must be", 27, 35);
  ExpectError(r, "expected a policy, got a list", 30, 17);
  const PipelineSpec& p = r.documents.at(0).pipeline;
  for (const NodeSpec* n : p.AllNodes()) EXPECT_FALSE(n->has_on_error) << n->id;
}

TEST(LoaderErrorTest, DuplicateKeysAfterNormalization) {
  LoadResult r = Load(WithHeader(R"(  sources:
    - id: a
      type: g
      on_error: drop
      on-error: fail
      config:
        k: 1
        k: 2
)"));
  ExpectError(r, "duplicate key 'on-error'", 10, 7);
  ExpectError(r, "duplicate key 'k'", 13, 9);
}

TEST(LoaderErrorTest, SyntaxErrorHasPosition) {
  LoadResult r = Load(
      "apiVersion: v1\nkind: Pipeline\nmetadata:\n"
      "  name: x\n    bad: [\n");
  ASSERT_EQ(r.diagnostics.size(), 1u) << AllDiags(r);
  const Diagnostic& d = r.diagnostics[0];
  EXPECT_NE(d.message.find("invalid YAML"), std::string::npos);
  EXPECT_EQ(d.mark.line, 5);
  EXPECT_GT(d.mark.column, 0);
  EXPECT_TRUE(r.documents.empty());
}

TEST(LoaderErrorTest, DocumentMustBeAMap) {
  LoadResult r = Load("- a\n- b\n");
  ExpectError(r, "a document must be a map, got a list", 1, 1);
}

TEST(LoaderErrorTest, MissingFile) {
  LoadResult r = LoadFile("/nonexistent/dir/x.yaml", NoEnv());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message,
            "cannot read /nonexistent/dir/x.yaml: No such file or directory");
  EXPECT_FALSE(r.ok());
  r = LoadFile("/tmp", NoEnv());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message, "cannot read /tmp: is a directory");
}

TEST(LoaderTest, LoadFileReadsAndMarksWithPath) {
  std::string path = ::testing::TempDir() + "/flowctl_config_test.yaml";
  {
    std::ofstream out(path);
    out << kFull;
  }
  LoadResult r = LoadFile(path, NoEnv());
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  ASSERT_EQ(r.documents.size(), 1u);
  EXPECT_EQ(r.documents[0].pipeline.sources[0].mark.file, path);
  std::remove(path.c_str());
}

// Malformed input of many shapes: diagnostics, never an exception or crash.
TEST(LoaderErrorTest, NothingEscapes) {
  std::string deep(5000, '[');
  std::vector<std::string> inputs = {
      "~",
      "[1, 2]",
      "plain scalar",
      "apiVersion: [1]\nkind: {a: 1}\nmetadata: 5\nspec: 7\n",
      WithHeader("  sources: [1, [2], null, {id: [x]}, {id: '', type: t}]\n"),
      WithHeader("  sources:\n    - &n {id: a, type: b, config: {self: *n}}\n"),
      WithHeader("  sources: [{id: a, type: b, config: &c {self: *c}}]\n"),
      WithHeader("  sources: [{id: a, type: b, config: {? [x]: 1, ~: 2}}]\n"),
      WithHeader("  sources: [{id: a, type: b, on_error: {retry: 1}}]\n"),
      WithHeader("  sources: [{id: a, type: b, on_error: {? [x]: 1}}]\n"),
      WithHeader("  sources: [{id: a, type: b, inputs: [[x]]}]\n"),
      "apiVersion: v1\nkind: Pipeline\nmetadata: {name: x, labels: [a]}\n",
      "apiVersion: v1\nkind: Pipeline\nmetadata: {name: x, labels: {a: [b]}}\n",
      "? [complex]\n: key\n",
      "a:\tb\n\t- x\n",
      "\xff\xfe\x00garbage",
      "key: !!binary aGVsbG8=\n",
      "apiVersion: v1\nkind: Pipeline\nmetadata: {name: *nope}\n",
      deep,
      "${UNSET_X:-}${:-}${}$${${\n",
  };
  for (const std::string& in : inputs) {
    LoadResult r;
    EXPECT_NO_THROW(r = Load(in)) << in;
    for (const Diagnostic& d : r.diagnostics) EXPECT_FALSE(d.message.empty());
  }
  EXPECT_FALSE(Load(inputs[5]).ok());
  // A self-referencing alias in config is cut off with an error.
  EXPECT_NE(FindDiag(Load(inputs[6]), "YAML nested deeper than 256 levels"), nullptr)
      << AllDiags(Load(inputs[6]));
}

// --- Substitution -----------------------------------------------------------

TEST(SubstituteTest, VariablesDefaultsEscapesAndMissing) {
  LoadOptions o = NoEnv();
  o.vars["A"] = "1";
  o.vars["EMPTY"] = "";
  std::vector<std::string> missing;
  EXPECT_EQ(Substitute("a ${A} ${B:-def} $${C} ${D} ${D} [${EMPTY:-x}] $A ${", o, &missing),
            "a 1 def ${C} ${D} ${D} [] $A ${");
  EXPECT_EQ(missing, std::vector<std::string>{"D"});
}

TEST(SubstituteTest, VarsBeforeEnvironmentAndOverrides) {
  setenv("FLOWCTL_CONFIG_TEST_V", "env", 1);
  LoadOptions o;
  std::vector<std::string> missing;
  EXPECT_EQ(Substitute("${FLOWCTL_CONFIG_TEST_V}", o, &missing), "env");
  o.vars["FLOWCTL_CONFIG_TEST_V"] = "var";
  EXPECT_EQ(Substitute("${FLOWCTL_CONFIG_TEST_V}", o, &missing), "var");
  o.overrides.push_back({"FLOWCTL_CONFIG_TEST_V", "set"});
  EXPECT_EQ(Substitute("${FLOWCTL_CONFIG_TEST_V}", o, &missing), "set");
  LoadOptions no_env = NoEnv();
  EXPECT_EQ(Substitute("${FLOWCTL_CONFIG_TEST_V}", no_env, &missing), "${FLOWCTL_CONFIG_TEST_V}");
  EXPECT_EQ(missing, std::vector<std::string>{"FLOWCTL_CONFIG_TEST_V"});
  unsetenv("FLOWCTL_CONFIG_TEST_V");
}

TEST(SubstituteTest, InDocumentsWithLinesOfMissingVariables) {
  LoadOptions o = NoEnv();
  o.vars["TOPIC"] = "orders";
  LoadResult r = Load(WithHeader(R"(  sources:
    - id: a
      type: gen
      # ${DOCUMENTED_ONLY} in a comment is not a reference
      config:
        topic: ${TOPIC}
        count: ${COUNT:-5}
        host: ${HOST}
        again: ${HOST}
        port: ${PORT}
        literal: $${NOT_A_VAR}
)"),
                      o);
  ASSERT_EQ(r.diagnostics.size(), 2u) << AllDiags(r);
  ExpectError(r, "variable 'HOST' is not set", 13, 15);
  ExpectError(r, "variable 'PORT' is not set", 15, 15);
  EXPECT_NE(FindDiag(r, "HOST")->hint.find("--set HOST="), std::string::npos);
  const NodeSpec& a = r.documents.at(0).pipeline.sources.at(0);
  EXPECT_EQ(a.config["topic"], "orders");
  EXPECT_EQ(a.config["count"], 5);
  EXPECT_EQ(a.config["host"], "${HOST}");
  EXPECT_EQ(a.config["literal"], "${NOT_A_VAR}");
  // Substitution keeps the lines of what follows.
  EXPECT_EQ(a.config_marks.at("/port").line, 15);
}

// --- Overrides --------------------------------------------------------------

TEST(OverrideTest, ConfigConcurrencyFilterAndVariables) {
  LoadOptions o = NoEnv();
  o.overrides = {{"src.count", "20"},
                 {"src.config.nested.deep.x", "hello"},
                 {"src.code", "'5'"},
                 {"src.rules.0.when", "y < 2"},
                 {"fil.concurrency", "8"},
                 {"fil.filter", "amount > 99"},
                 {"N", "7"}};
  std::string text = kFull;
  text.replace(text.find("rate: 2.5"), 9, "rate: ${N}");
  LoadResult r = Load(text, o);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  const PipelineSpec& p = OnlyPipeline(r);
  const NodeSpec* src = p.FindNode("src");
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->config["count"], 20);
  EXPECT_EQ(src->config["rate"], 7);
  EXPECT_EQ(src->config["nested"]["deep"]["x"], "hello");
  EXPECT_EQ(src->config["nested"]["list"][1], "two");  // siblings kept
  EXPECT_EQ(src->config["code"], "5");
  EXPECT_EQ(src->config["rules"][0]["when"], "y < 2");
  EXPECT_EQ(src->config_marks.at("/count").file, "--set");
  EXPECT_EQ(src->ConfigMark("/nested/deep/x").file, "--set");
  EXPECT_EQ(src->config_marks.count("/nested/list"), 1u);
  const NodeSpec* fil = p.FindNode("fil");
  ASSERT_NE(fil, nullptr);
  EXPECT_EQ(fil->concurrency, 8);
  EXPECT_EQ(fil->filter, "amount > 99");
}

TEST(OverrideTest, Errors) {
  LoadOptions o = NoEnv();
  o.overrides = {{"fli.x", "1"},
                 {"fil.concurrency", "abc"},
                 {"src.count.x", "1"},
                 {"src.rules.5.x", "1"},
                 {"src.config", "1"}};
  LoadResult r = Load(kFull, o);
  ASSERT_EQ(r.diagnostics.size(), 5u) << AllDiags(r);
  const Diagnostic* d = FindDiag(r, "unknown node 'fli'");
  ASSERT_NE(d, nullptr) << AllDiags(r);
  EXPECT_EQ(d->mark.file, "--set");
  EXPECT_NE(d->hint.find("did you mean 'fil'"), std::string::npos);
  EXPECT_NE(FindDiag(r, "concurrency must be an integer"), nullptr);
  EXPECT_NE(FindDiag(r, "inside '/count': it is a number"), nullptr);
  EXPECT_NE(FindDiag(r, "'5' is not an index"), nullptr);
  EXPECT_NE(FindDiag(r, "missing config field"), nullptr);
  EXPECT_EQ(OnlyPipeline(r).FindNode("fil")->concurrency, 4);
}

// --- ToYaml -----------------------------------------------------------------

void ExpectSameErrorPolicy(const ErrorPolicy& a, const ErrorPolicy& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.max_retries, b.max_retries);
  EXPECT_EQ(a.backoff_ms, b.backoff_ms);
  EXPECT_EQ(a.then, b.then);
  EXPECT_EQ(a.dead_letter_to, b.dead_letter_to);
}

void ExpectSameNode(const NodeSpec& a, const NodeSpec& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.inputs, b.inputs);
  // dump() also tells 1 from 1.0 apart.
  EXPECT_EQ(a.config.dump(), b.config.dump());
  EXPECT_EQ(a.filter, b.filter);
  EXPECT_EQ(a.concurrency, b.concurrency);
  EXPECT_EQ(a.has_on_error, b.has_on_error);
  if (a.has_on_error) ExpectSameErrorPolicy(a.on_error, b.on_error);
}

void ExpectSameSpec(const PipelineSpec& a, const PipelineSpec& b) {
  EXPECT_EQ(a.metadata.name, b.metadata.name);
  EXPECT_EQ(a.metadata.labels, b.metadata.labels);
  EXPECT_EQ(a.metadata.annotations, b.metadata.annotations);
  EXPECT_EQ(a.batch_size, b.batch_size);
  EXPECT_EQ(a.channel_capacity, b.channel_capacity);
  EXPECT_EQ(a.extensions, b.extensions);
  std::vector<const NodeSpec*> an = a.AllNodes(), bn = b.AllNodes();
  ASSERT_EQ(an.size(), bn.size());
  for (size_t i = 0; i < an.size(); ++i) ExpectSameNode(*an[i], *bn[i]);
}

TEST(ToYamlTest, RoundTripOfLoadedPipeline) {
  LoadResult first = Load(kFull);
  ASSERT_TRUE(first.ok());
  std::string yaml = ToYaml(OnlyPipeline(first));
  LoadResult second = Load(yaml);
  ASSERT_TRUE(second.ok()) << AllDiags(second) << yaml;
  EXPECT_EQ(OnlyPipeline(second).api_version, "flowctl/v1");
  ExpectSameSpec(OnlyPipeline(first), OnlyPipeline(second));
  EXPECT_NE(yaml.find("batch_size: 500"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("on_error:"), std::string::npos) << yaml;
}

TEST(ToYamlTest, RoundTripOfTrickyValues) {
  PipelineSpec spec;
  spec.metadata.name = "tricky";
  spec.metadata.labels = {{"flag", "true"}, {"num", "10"}};
  NodeSpec n;
  n.id = "n1";
  n.type = "t";
  n.kind = NodeKind::kSource;
  n.config = Json::parse(R"({
    "int": -3, "float": 1.0, "exp": 1e20, "small": 0.001,
    "str_int": "123", "str_true": "true", "str_null": "null", "empty": "",
    "colon": "a: b", "hash": "x #y", "lines": "one\ntwo\n", "dash": "- x",
    "quote": "'q'", "ws": " padded ", "tilde": "~",
    "null": null, "obj": {}, "arr": [], "nested": [[1, {"k/x": [true]}]],
    "123": "numeric key", "kebab-key": 1
  })");
  n.filter = "a == 'b' and c: 1";
  n.concurrency = 2;
  n.has_on_error = true;
  n.on_error.kind = ErrorPolicy::Kind::kRetry;
  n.on_error.max_retries = 0;
  n.on_error.backoff_ms = 1500;
  n.on_error.then = ErrorPolicy::Kind::kDeadLetter;
  n.on_error.dead_letter_to = "dlq";
  spec.sources.push_back(n);
  NodeSpec sink;
  sink.id = "dlq";
  sink.type = "stdout";
  sink.kind = NodeKind::kSink;
  sink.inputs = {"n1"};
  sink.has_on_error = true;
  sink.on_error.kind = ErrorPolicy::Kind::kDeadLetter;
  sink.on_error.dead_letter_to = "other";
  spec.sinks.push_back(sink);
  spec.extensions["observability"] = Json::parse(R"({"ai-metrics": [1]})");

  std::string yaml = ToYaml(spec);
  LoadResult r = Load(yaml);
  EXPECT_TRUE(r.ok()) << AllDiags(r) << yaml;
  ExpectSameSpec(spec, OnlyPipeline(r));
}

// --- Design seed --------------------------------------------------------------

// The design seed lives beside the repository (../shared), not in it: a
// clone elsewhere has none, and these tests skip saying so.
std::string SeedFile() {
  return std::string(FLOWCTL_SOURCE_DIR) + "/../shared/seed/000_fd905c61910ea776.txt";
}
#define SKIP_WITHOUT_SEED()                                                              \
  if (!std::filesystem::exists(SeedFile()))                                              \
  GTEST_SKIP() << "the design seed is missing: " << SeedFile()                           \
               << " (it lives beside the repository, in ../shared; nothing else in the " \
                  "suite needs it)"

// Every ```yaml block of the design seed for which keep(block) is true.
std::vector<std::string> SeedBlocks(bool (*keep)(const std::string&)) {
  std::ifstream in(SeedFile());
  std::vector<std::string> blocks;
  std::string line, block;
  bool in_yaml = false;
  while (std::getline(in, line)) {
    if (!in_yaml && line == "```yaml") {
      in_yaml = true;
      block.clear();
    } else if (in_yaml && line == "```") {
      in_yaml = false;
      if (keep(block)) blocks.push_back(block);
    } else if (in_yaml) {
      block += line + "\n";
    }
  }
  return blocks;
}

TEST(SeedTest, EveryPipelineBlockLoads) {
  SKIP_WITHOUT_SEED();
  std::vector<std::string> blocks = SeedBlocks(
      [](const std::string& b) { return b.find("kind: Pipeline") != std::string::npos; });
  ASSERT_EQ(blocks.size(), 5u);  // 4 Pipelines and 1 PipelineTemplate
  std::map<std::string, LoadResult> by_name;
  for (size_t i = 0; i < blocks.size(); ++i) {
    LoadResult r;
    ASSERT_NO_THROW(r = LoadString(blocks[i], "seed-" + std::to_string(i), NoEnv()));
    ASSERT_EQ(r.documents.size(), 1u) << blocks[i] << AllDiags(r);
    std::string name = r.documents[0].metadata.name;
    EXPECT_FALSE(name.empty());
    if (r.documents[0].kind == "Pipeline") {
      EXPECT_TRUE(r.ok()) << name << "\n" << AllDiags(r);
    }
    by_name[name] = r;
  }

  const PipelineSpec& ip = by_name.at("intelligent-processing-pipeline").documents[0].pipeline;
  ASSERT_EQ(ip.AllNodes().size(), 4u);
  const NodeSpec* sink = ip.FindNode("priority-queue");
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->kind, NodeKind::kSink);
  EXPECT_EQ(sink->filter, "priority in ['high', 'critical']");
  EXPECT_EQ(sink->inputs, std::vector<std::string>{"intelligent-router"});
  const NodeSpec* cls = ip.FindNode("ai-classifier");
  ASSERT_NE(cls, nullptr);
  EXPECT_EQ(cls->config["output_schema"]["properties"]["sentiment"]["min"], -1);
  EXPECT_EQ(cls->config["model"], "gpt-4-vision");
  EXPECT_EQ(cls->config["prompt_template"].get<std::string>().back(), '\n');

  const LoadResult& obs = by_name.at("ai-observable-pipeline");
  const Diagnostic* w = FindDiag(obs, "observability");
  ASSERT_NE(w, nullptr) << AllDiags(obs);
  EXPECT_EQ(w->severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(w->mark.line, 9);
  const PipelineSpec& op = obs.documents[0].pipeline;
  EXPECT_EQ(op.metadata.annotations.at("ai.obsrvr.com/slo-target"), "99.9");
  EXPECT_EQ(op.extensions.at("observability")["ai-logs"]["structured"], true);

  const PipelineSpec& sh = by_name.at("self-healing-pipeline").documents[0].pipeline;
  EXPECT_EQ(sh.extensions.at("ai_policies")[0]["name"], "auto-recovery");
  // The seed's policy as written: two rules, a diagnosis, five strategies.
  ASSERT_EQ(sh.healing.size(), 1u);
  const HealingPolicy& hp = sh.healing[0];
  EXPECT_EQ(hp.name, "auto-recovery");
  ASSERT_EQ(hp.detection.size(), 2u);
  EXPECT_EQ(hp.detection[0].metric, "error_rate");
  EXPECT_DOUBLE_EQ(hp.detection[0].threshold, 0.05);
  EXPECT_EQ(hp.detection[0].window_s, 300);
  EXPECT_EQ(hp.detection[1].metric, "latency_p99");
  EXPECT_DOUBLE_EQ(hp.detection[1].threshold, 1000);
  EXPECT_EQ(hp.detection[1].window_s, 120);
  EXPECT_TRUE(hp.diagnosis);
  EXPECT_EQ(hp.strategies, HealingStrategies());
  EXPECT_TRUE(hp.learning && hp.feedback_loop && hp.share_learnings);
  EXPECT_EQ(FindDiag(by_name.at("self-healing-pipeline"), "ai_policies"), nullptr);

  const PipelineSpec& router = by_name.at("ai-powered-router").documents[0].pipeline;
  const NodeSpec* dyn = router.FindNode("dynamic-router");
  ASSERT_NE(dyn, nullptr);
  EXPECT_EQ(dyn->config["routing-rules"]["optimize-for"], "business-value");

  const LoadResult& tmpl = by_name.at("fraud-detection-pattern");
  EXPECT_EQ(tmpl.documents[0].kind, "PipelineTemplate");
  EXPECT_EQ(tmpl.documents[0].metadata.labels.at("ai-optimized"), "true");
  // Template parameters are not variables; TRANSACTION_TOPIC still is one.
  EXPECT_NE(FindDiag(tmpl, "variable 'TRANSACTION_TOPIC'"), nullptr);
  EXPECT_EQ(FindDiag(tmpl, "variable 'ml-model'"), nullptr) << AllDiags(tmpl);
  EXPECT_EQ(FindDiag(tmpl, "variable 'sensitivity'"), nullptr);
}

// The seed's PipelineTemplate instantiates with its defaults: the quoted
// "${sensitivity}" becomes the float parameter's number.
TEST(SeedTest, TemplateInstantiates) {
  SKIP_WITHOUT_SEED();
  std::vector<std::string> blocks = SeedBlocks(
      [](const std::string& b) { return b.find("kind: PipelineTemplate") != std::string::npos; });
  ASSERT_EQ(blocks.size(), 1u);
  LoadOptions o = NoEnv();
  o.vars = {{"TRANSACTION_TOPIC", "transactions"}};
  LoadResult r = LoadString(blocks[0], "seed-template.yaml", o);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  ASSERT_EQ(r.documents.size(), 1u);
  const Document& doc = r.documents[0];
  ASSERT_TRUE(doc.Runnable());
  const TemplateSpec& t = doc.template_spec;
  ASSERT_EQ(t.parameters.size(), 2u);
  EXPECT_EQ(t.parameters[0].name, "sensitivity");
  EXPECT_EQ(t.parameters[0].type, TemplateParameter::Type::kFloat);
  EXPECT_TRUE(t.parameters[0].ai_tunable);
  EXPECT_EQ(t.parameters[1].name, "ml-model");
  EXPECT_FALSE(t.parameters[1].ai_tunable);
  EXPECT_EQ(t.parameters[1].ai_recommendations[1]["model"], "fraud-detector-lite");
  const PipelineSpec& p = doc.pipeline;
  EXPECT_EQ(p.metadata.name, "fraud-detection-pattern");
  const NodeSpec* scorer = p.FindNode("fraud-scorer");
  ASSERT_NE(scorer, nullptr);
  EXPECT_EQ(scorer->type, "ml-processor");
  EXPECT_EQ(scorer->config["sensitivity"], 0.8);
  EXPECT_EQ(scorer->config["model"], "fraud-detector-v2");
  EXPECT_EQ(scorer->config["features"].size(), 4u);
  EXPECT_EQ(p.FindNode("transaction-stream")->config["topic"], "transactions");
  o.params = {{"sensitivity", "0.9"}, {"ml-model", "fraud-detector-v3-beta"}};
  r = LoadString(blocks[0], "seed-template.yaml", o);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  scorer = r.documents[0].pipeline.FindNode("fraud-scorer");
  EXPECT_EQ(scorer->config["sensitivity"], 0.9);
  EXPECT_EQ(scorer->config["model"], "fraud-detector-v3-beta");
}

// The other kinds of the seed load as raw documents with a warning.
TEST(SeedTest, OtherKindsLoadAsNotRunnableButTheMonitorAndThePolicyAreChecked) {
  SKIP_WITHOUT_SEED();
  std::vector<std::string> blocks = SeedBlocks([](const std::string& b) {
    return b.find("apiVersion:") != std::string::npos &&
           b.find("kind: Pipeline") == std::string::npos;
  });
  ASSERT_EQ(blocks.size(), 4u);
  std::vector<std::string> kinds;
  for (const std::string& block : blocks) {
    LoadResult r = Load(block);
    EXPECT_TRUE(r.ok()) << block << AllDiags(r);
    ASSERT_EQ(r.documents.size(), 1u);
    kinds.push_back(r.documents[0].kind);
    EXPECT_TRUE(r.documents[0].raw["spec"].is_object());
    if (r.documents[0].kind == "AIGovernancePolicy") {
      // The seed's policy is read whole (governance/gate.h enforces it).
      const GovernanceSpec& g = r.documents[0].governance;
      ASSERT_EQ(g.approval_required.size(), 3u);
      EXPECT_EQ(g.approval_required[0].action, "modify-production-pipeline");
      EXPECT_DOUBLE_EQ(g.approval_required[0].ai_confidence_threshold, 0.95);
      ASSERT_EQ(g.approval_required[1].conditions.size(), 2u);
      EXPECT_EQ(g.approval_required[1].conditions[0].op, ">");
      EXPECT_DOUBLE_EQ(g.approval_required[1].conditions[0].amount, 100);
      EXPECT_EQ(g.approval_required[1].conditions[1].value, "high");
      EXPECT_TRUE(g.approval_required[2].human_confirmation);
      EXPECT_EQ(g.retention_s, 90 * 86400);
      continue;
    }
    if (r.documents[0].kind != "AIMonitor") {
      EXPECT_NE(FindDiag(r, "not runnable"), nullptr);
      continue;
    }
    // The seed's monitor is read whole; its model names run as built-ins.
    const MonitorSpec& m = r.documents[0].monitor;
    EXPECT_EQ(m.targets, (std::vector<std::string>{"production-pipeline-*"}));
    ASSERT_EQ(m.predictions.size(), 3u);
    EXPECT_EQ(m.predictions[0].algorithm, "linear-trend");
    EXPECT_EQ(m.predictions[0].advance_warning_s, 1800);
    EXPECT_DOUBLE_EQ(m.predictions[0].alert_threshold, 0.8);
    EXPECT_EQ(m.predictions[1].forecast_window_s, 7 * 86400);
    EXPECT_EQ(m.predictions[2].algorithm, "robust-zscore");
    ASSERT_EQ(m.on_predicted_failure.size(), 3u);
    EXPECT_EQ(m.on_predicted_failure[2].target, "rollback-plan");
    EXPECT_NE(FindDiag(r, "runs as the built-in holt-linear"), nullptr);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"AgentInterface", "MultiAgentPipeline", "AIMonitor",
                                             "AIGovernancePolicy"}));
}

// --- spec helpers -------------------------------------------------------------

TEST(SpecTest, MarkAndDiagnosticStrings) {
  Mark m{"f.yaml", 3, 7};
  EXPECT_EQ(m.ToString(), "f.yaml:3:7");
  EXPECT_EQ((Mark{"f.yaml", 3, 0}).ToString(), "f.yaml:3");
  EXPECT_EQ((Mark{"f.yaml", 0, 7}).ToString(), "f.yaml");
  EXPECT_EQ((Mark{"", 3, 7}).ToString(), "3:7");
  EXPECT_EQ(Mark{}.ToString(), "");

  Diagnostic d;
  d.mark = m;
  d.node_id = "x";
  d.message = "bad thing";
  d.hint = "try y";
  EXPECT_EQ(d.ToString(), "f.yaml:3:7: error: node 'x': bad thing (try y)");
  d.severity = Diagnostic::Severity::kWarning;
  d.node_id.clear();
  d.hint.clear();
  d.mark = Mark{};
  EXPECT_EQ(d.ToString(), "warning: bad thing");
  EXPECT_FALSE(HasErrors({d}));
  Diagnostic e;
  EXPECT_TRUE(HasErrors({d, e}));
  EXPECT_FALSE(HasErrors({}));
}

TEST(SpecTest, Names) {
  EXPECT_STREQ(NodeKindName(NodeKind::kSource), "source");
  EXPECT_STREQ(NodeKindName(NodeKind::kProcessor), "processor");
  EXPECT_STREQ(NodeKindName(NodeKind::kSink), "sink");
  EXPECT_STREQ(ErrorPolicyName(ErrorPolicy::Kind::kFail), "fail");
  EXPECT_STREQ(ErrorPolicyName(ErrorPolicy::Kind::kDrop), "drop");
  EXPECT_STREQ(ErrorPolicyName(ErrorPolicy::Kind::kRetry), "retry");
  EXPECT_STREQ(ErrorPolicyName(ErrorPolicy::Kind::kDeadLetter), "dead_letter");
}

TEST(SpecTest, AllNodesOrderAndFindNode) {
  PipelineSpec p;
  p.sinks.resize(1);
  p.sinks[0].id = "k";
  p.sources.resize(1);
  p.sources[0].id = "s";
  p.processors.resize(2);
  p.processors[0].id = "p1";
  p.processors[1].id = "p2";
  std::vector<std::string> ids;
  for (const NodeSpec* n : p.AllNodes()) ids.push_back(n->id);
  EXPECT_EQ(ids, (std::vector<std::string>{"s", "p1", "p2", "k"}));
  EXPECT_EQ(p.FindNode("p2"), &p.processors[1]);
  EXPECT_EQ(p.FindNode("nope"), nullptr);
}

}  // namespace
}  // namespace flowctl::config
