// Tests of PipelineTemplate documents: parameters, instantiation (typed
// ${param}), --param, a Pipeline referencing a template (same file and
// template.path), every error with its place, and the engine path.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "flowctl/config/loader.h"
#include "flowctl/engine/engine.h"
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
  return LoadString(text, "t.yaml", options);
}

std::string AllDiags(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.ToString() + "\n";
  return out;
}

const Diagnostic* FindDiag(const LoadResult& r, const std::string& text) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.ToString().find(text) != std::string::npos) return &d;
  }
  return nullptr;
}

int CountErrors(const LoadResult& r) {
  int n = 0;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) ++n;
  }
  return n;
}

// Expects an error containing text at file:line:col (line 0: not checked).
void ExpectError(const LoadResult& r, const std::string& text,
                 const std::string& file, int line, int column = 0) {
  const Diagnostic* d = FindDiag(r, text);
  ASSERT_NE(d, nullptr) << "no diagnostic with '" << text << "' in:\n"
                        << AllDiags(r);
  EXPECT_EQ(d->severity, Diagnostic::Severity::kError) << d->ToString();
  EXPECT_EQ(d->mark.file, file) << d->ToString();
  if (line > 0) {
    EXPECT_EQ(d->mark.line, line) << d->ToString();
  }
  if (column > 0) {
    EXPECT_EQ(d->mark.column, column) << d->ToString();
  }
}

// The runnable documents of a load.
std::vector<const Document*> Runnable(const LoadResult& r) {
  std::vector<const Document*> out;
  for (const Document& d : r.documents) {
    if (d.Runnable()) out.push_back(&d);
  }
  return out;
}

// A template with one parameter of each type. Line numbers matter below.
const char kTemplate[] = R"Y(apiVersion: templates.obsrvr.com/v1
kind: PipelineTemplate
metadata:
  name: scoring
  labels: {domain: financial}
spec:
  parameters:
    - name: sensitivity
      description: "Fraud detection sensitivity (0-1)"
      type: float
      default: 0.8
      minimum: 0
      maximum: 1
      ai-tunable: true
    - name: ml-model
      type: string
      default: "123"
      ai-recommendations:
        - {model: lite, when: cost-optimized}
    - name: workers
      type: integer
      default: 2
    - name: append
      type: boolean
      default: false
      ai_tunable: false
    - name: level
      enum: [low, high]
      default: high
  template:
    sources:
      - id: gen-${level}
        type: generator
        concurrency: ${workers}
        config: {count: "${workers}", label: "model ${ml-model} at ${sensitivity}"}
    processors:
      - id: score
        type: transform
        inputs: [gen-${level}]
        config:
          sensitivity: "${sensitivity}"
          model: ${ml-model}
          flag: ${append}
          literal: "$${level}"
          fallback: "${level:-none}"
          topic: "${TOPIC:-tx}"
    sinks:
      - {id: out, type: stdout, inputs: [score]}
)Y";

TEST(TemplateTest, InstantiatesWithTypedDefaults) {
  LoadResult r = Load(kTemplate);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  ASSERT_EQ(r.documents.size(), 1u);
  const Document& doc = r.documents[0];
  EXPECT_EQ(doc.kind, "PipelineTemplate");
  ASSERT_TRUE(doc.Runnable());
  EXPECT_EQ(FindDiag(r, "not runnable"), nullptr);

  const TemplateSpec& t = doc.template_spec;
  ASSERT_EQ(t.parameters.size(), 5u);
  const TemplateParameter* s = t.FindParameter("sensitivity");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->type, TemplateParameter::Type::kFloat);
  EXPECT_EQ(s->description, "Fraud detection sensitivity (0-1)");
  EXPECT_TRUE(s->ai_tunable);  // kebab-case key
  EXPECT_EQ(s->default_value, 0.8);
  EXPECT_EQ(s->minimum, 0.0);
  EXPECT_EQ(s->maximum, 1.0);
  EXPECT_EQ(s->mark.line, 8);
  EXPECT_EQ(s->default_mark.line, 11);
  const TemplateParameter* m = t.FindParameter("ml-model");
  EXPECT_EQ(m->type, TemplateParameter::Type::kString);
  EXPECT_EQ(m->ai_recommendations[0]["model"], "lite");
  EXPECT_EQ(t.FindParameter("workers")->type, TemplateParameter::Type::kInt);
  EXPECT_EQ(t.FindParameter("workers")->type_name, "integer");
  EXPECT_EQ(t.FindParameter("append")->type, TemplateParameter::Type::kBool);
  EXPECT_FALSE(t.FindParameter("append")->ai_tunable);  // snake_case key
  // No type: the default's says it; enum values are kept.
  EXPECT_EQ(t.FindParameter("level")->type, TemplateParameter::Type::kString);
  EXPECT_EQ(t.FindParameter("level")->enum_values,
            (std::vector<Json>{"low", "high"}));
  // The body as written keeps its references.
  ASSERT_EQ(t.body.sources.size(), 1u);
  EXPECT_EQ(t.body.sources[0].id, "gen-${level}");
  EXPECT_EQ(t.mark.line, 30);

  const PipelineSpec& p = doc.pipeline;
  EXPECT_EQ(p.kind, "Pipeline");
  EXPECT_EQ(p.metadata.name, "scoring");
  EXPECT_EQ(p.metadata.labels.at("domain"), "financial");
  ASSERT_EQ(p.sources.size(), 1u);
  const NodeSpec& gen = p.sources[0];
  EXPECT_EQ(gen.id, "gen-high");
  EXPECT_EQ(gen.concurrency, 2);      // an int where one must be
  EXPECT_EQ(gen.config["count"], 2);  // quoted, yet the number
  EXPECT_EQ(gen.config["label"], "model 123 at 0.8");  // inside text: text
  EXPECT_EQ(gen.mark.line, 32);  // marks of the template file
  EXPECT_EQ(gen.ConfigMark("/count").line, 35);
  const NodeSpec& score = p.processors[0];
  EXPECT_EQ(score.inputs, std::vector<std::string>{"gen-high"});
  EXPECT_TRUE(score.config["sensitivity"].is_number_float());
  EXPECT_EQ(score.config["sensitivity"], 0.8);
  EXPECT_EQ(score.config["model"], "123");  // a string stays a string
  EXPECT_EQ(score.config["flag"], false);
  EXPECT_EQ(score.config["literal"], "${level}");  // $${ escapes
  EXPECT_EQ(score.config["fallback"], "high");     // the parameter wins
  EXPECT_EQ(score.config["topic"], "tx");          // a variable as before

  ASSERT_TRUE(doc.instance.has_value());
  EXPECT_EQ(doc.instance->template_name, "scoring");
  EXPECT_EQ(doc.instance->values.at("sensitivity"), 0.8);
  EXPECT_EQ(doc.instance->values.at("workers"), 2);
  EXPECT_EQ(doc.instance->parameters.size(), 5u);
}

TEST(TemplateTest, ParamsOverrideDefaultsAndAreTyped) {
  LoadOptions o = NoEnv();
  o.params = {{"sensitivity", "0.9"},
              {"append", "true"},
              {"ml-model", "v3"},
              {"workers", "4"},
              {"level", "low"}};
  LoadResult r = Load(kTemplate, o);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  const PipelineSpec& p = r.documents[0].pipeline;
  EXPECT_EQ(p.sources[0].id, "gen-low");
  EXPECT_EQ(p.sources[0].concurrency, 4);
  EXPECT_EQ(p.processors[0].config["sensitivity"], 0.9);
  EXPECT_EQ(p.processors[0].config["flag"], true);
  EXPECT_EQ(p.processors[0].config["model"], "v3");
  // An int is a valid float.
  o.params = {{"sensitivity", "1"}};
  r = Load(kTemplate, o);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  EXPECT_TRUE(r.documents[0]
                  .pipeline.processors[0]
                  .config["sensitivity"]
                  .is_number_float());
}

TEST(TemplateTest, VariablesStillWorkAndParametersAreNotVariables) {
  // --set VAR is a variable; a --set with a parameter's name is not a value
  // of the parameter (that is --param).
  LoadOptions o = NoEnv();
  o.vars = {{"TOPIC", "payments"}, {"sensitivity", "0.1"}};
  LoadResult r = Load(kTemplate, o);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  EXPECT_EQ(r.documents[0].pipeline.processors[0].config["topic"], "payments");
  EXPECT_EQ(r.documents[0].pipeline.processors[0].config["sensitivity"], 0.8);
  // A variable that is not set is still reported, with its line.
  r = Load(std::string(kTemplate) + "  # ${NOT_A_PARAM} in a comment\n");
  EXPECT_TRUE(r.ok()) << AllDiags(r);
  std::string text = kTemplate;
  text.replace(text.find("${TOPIC:-tx}"), 12, "${TOPIC}");
  r = Load(text);
  ExpectError(r, "variable 'TOPIC' is not set", "t.yaml", 46, 19);
}

TEST(TemplateTest, ParamErrorsNameTheParameter) {
  LoadOptions o = NoEnv();
  o.params = {{"sensitivity", "high"}};
  LoadResult r = Load(kTemplate, o);
  ExpectError(r, "parameter 'sensitivity': expected float, got 'high'",
              "--param", 0);
  EXPECT_EQ(FindDiag(r, "expected float")->hint,
            "Fraud detection sensitivity (0-1)");
  EXPECT_FALSE(r.documents[0].Runnable());

  o.params = {{"sensitivity", "1.5"},
              {"workers", "2.5"},
              {"append", "yes"},
              {"level", "hihg"}};
  r = Load(kTemplate, o);
  ExpectError(r, "parameter 'sensitivity': 1.5 is above the maximum 1",
              "--param", 0);
  ExpectError(r, "parameter 'workers': expected integer, got '2.5'", "--param",
              0);
  ExpectError(r, "parameter 'append': expected boolean, got 'yes'", "--param",
              0);
  ExpectError(r, "parameter 'level': 'hihg' is not one of the allowed values",
              "--param", 0);
  EXPECT_NE(FindDiag(r, "hihg")->hint.find("did you mean 'high'? allowed: low, "
                                           "high"),
            std::string::npos);
  EXPECT_EQ(CountErrors(r), 4) << AllDiags(r);

  o.params = {{"sensitivity", "-0.5"}};
  r = Load(kTemplate, o);
  ExpectError(r, "-0.5 is below the minimum 0", "--param", 0);

  o.params = {{"sensitivty", "0.5"}};
  r = Load(kTemplate, o);
  ExpectError(r, "unknown parameter 'sensitivty'", "--param", 0);
  const std::string& hint = FindDiag(r, "sensitivty")->hint;
  EXPECT_NE(hint.find("did you mean 'sensitivity'?"), std::string::npos);
  EXPECT_NE(hint.find("parameters: append, level, ml-model"), std::string::npos)
      << hint;
}

TEST(TemplateTest, ParamWithoutTemplateIsAnError) {
  LoadOptions o = NoEnv();
  o.params = {{"x", "1"}};
  LoadResult r = Load(
      "apiVersion: v1\nkind: Pipeline\nmetadata: {name: p}\n"
      "spec:\n  sources: [{id: a, type: generator}]\n",
      o);
  ExpectError(r, "--param needs a PipelineTemplate", "--param", 0);
}

TEST(TemplateTest, DeclarationErrorsHaveTheirPlace) {
  LoadResult r = Load(R"Y(apiVersion: flowctl/v1
kind: PipelineTemplate
metadata: {name: t}
spec:
  parameters:
    - name: rate
      type: float
      default: fast
    - name: mode
      type: strng
    - name: size
      type: int
      ai-tunabel: true
    - name: n
      type: int
      enum: [1, two]
    - name: s
      type: string
      minimum: 3
    - name: "bad name"
    - name: rate
    - description: no name
    - name: needed
      type: int
  template:
    sources: [{id: a, type: generator, config: {count: "${needed}"}}]
    sinks: [{id: o, type: stdout, inputs: [a]}]
)Y");
  ExpectError(r, "parameter 'rate': expected float, got 'fast'", "t.yaml", 8,
              16);
  ExpectError(r, "parameter 'mode': unknown type 'strng'", "t.yaml", 10, 13);
  EXPECT_NE(FindDiag(r, "strng")->hint.find("did you mean 'string'?"),
            std::string::npos);
  ExpectError(r, "unknown key 'ai-tunabel' in parameter 'size'", "t.yaml", 13,
              7);
  EXPECT_NE(FindDiag(r, "ai-tunabel")->hint.find("did you mean 'ai_tunable'"),
            std::string::npos);
  ExpectError(r, "parameter 'n': enum value 'two' is not a int", "t.yaml", 16,
              17);
  ExpectError(r, "parameter 's': 'minimum' applies only to int and float",
              "t.yaml", 19, 16);
  ExpectError(r, "invalid parameter name 'bad name'", "t.yaml", 20, 13);
  ExpectError(r, "duplicate parameter 'rate'", "t.yaml", 21, 7);
  ExpectError(r, "a parameter needs a 'name'", "t.yaml", 22, 7);
  // No default and no value: at the declaration.
  ExpectError(r, "parameter 'needed' has no default and no value", "t.yaml", 23,
              7);
  EXPECT_NE(FindDiag(r, "'needed'")->hint.find("--param needed=VALUE"),
            std::string::npos);
}

TEST(TemplateTest, MissingBodyAndBadBody) {
  LoadResult r = Load(
      "apiVersion: v1\nkind: PipelineTemplate\n"
      "metadata: {name: t}\nspec:\n  parameters: []\n");
  ExpectError(r, "missing 'spec.template'", "t.yaml", 5);
  r = Load(
      "apiVersion: v1\nkind: PipelineTemplate\nmetadata: {}\n"
      "spec: {template: {}}\n");
  ExpectError(r, "missing 'metadata.name'", "t.yaml", 3);
  // Problems in the body are reported once, by the instantiation, at the
  // template's lines.
  r = Load(R"Y(apiVersion: v1
kind: PipelineTemplate
metadata: {name: t}
spec:
  parameters: [{name: c, type: int, default: 3}]
  template:
    sources:
      - id: a
        type: generator
        concurency: ${c}
)Y");
  ExpectError(r, "unknown key 'concurency' in node", "t.yaml", 10, 9);
  EXPECT_EQ(CountErrors(r), 1) << AllDiags(r);
}

// A Pipeline and the template it references, in one file.
const char kReferencing[] = R"Y(apiVersion: flowctl/v1
kind: Pipeline
metadata:
  name: strict-scoring
  labels: {team: risk}
spec:
  batch_size: 64
  template:
    name: scoring
    parameters:
      sensitivity: 0.95
      workers: 3
---
)Y";

TEST(TemplateTest, PipelineReferencesTemplateInSameFile) {
  LoadOptions o = NoEnv();
  o.params = {{"level", "low"}};  // --param applies to the reference too
  LoadResult r = Load(std::string(kReferencing) + kTemplate, o);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  ASSERT_EQ(r.documents.size(), 2u);
  std::vector<const Document*> runnable = Runnable(r);
  ASSERT_EQ(runnable.size(), 1u);  // the template is not run on its own
  const Document& doc = *runnable[0];
  EXPECT_EQ(doc.kind, "Pipeline");
  ASSERT_TRUE(doc.template_ref.has_value());
  EXPECT_EQ(doc.template_ref->name, "scoring");
  EXPECT_EQ(doc.template_ref->name_mark.line, 9);
  EXPECT_EQ(doc.template_ref->parameter_marks.at("workers").line, 12);
  const PipelineSpec& p = doc.pipeline;
  EXPECT_EQ(p.metadata.name, "strict-scoring");
  EXPECT_EQ(p.api_version, "flowctl/v1");
  EXPECT_EQ(p.metadata.labels.at("team"), "risk");
  EXPECT_EQ(p.metadata.labels.at("domain"), "financial");
  EXPECT_EQ(p.batch_size, 64);
  EXPECT_EQ(p.sources[0].id, "gen-low");
  EXPECT_EQ(p.sources[0].concurrency, 3);
  EXPECT_EQ(p.sources[0].mark.line, 13 + 32);  // in the template document
  EXPECT_EQ(p.processors[0].config["sensitivity"], 0.95);
  EXPECT_EQ(doc.instance->values.at("sensitivity"), 0.95);

  // --set NODE.FIELD reaches the instantiated nodes.
  o.overrides = {{"score.model", "m"}};
  r = Load(std::string(kReferencing) + kTemplate, o);
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  EXPECT_EQ(Runnable(r)[0]->pipeline.processors[0].config["model"], "m");
}

TEST(TemplateTest, ReferenceErrorsHaveTheirPlace) {
  std::string text = R"Y(apiVersion: v1
kind: Pipeline
metadata: {name: a}
spec:
  template:
    name: scorng
---
apiVersion: v1
kind: Pipeline
metadata: {name: b}
spec:
  sources: [{id: x, type: generator}]
  template:
    name: scoring
    parameters: {sensitivty: 0.5, sensitivity: high, workers: 1}
    pth: x
---
)Y" + std::string(kTemplate);
  LoadResult r = Load(text);
  ExpectError(r, "no PipelineTemplate 'scorng' in t.yaml", "t.yaml", 6, 11);
  EXPECT_NE(FindDiag(r, "scorng")->hint.find("did you mean 'scoring'?"),
            std::string::npos);
  ExpectError(r, "'sources' cannot be combined with 'template'", "t.yaml", 12,
              3);
  ExpectError(r, "template 'scoring' has no parameter 'sensitivty'", "t.yaml",
              15, 30);
  ExpectError(r, "parameter 'sensitivity': expected float, got 'high'",
              "t.yaml", 15, 48);
  ExpectError(r, "unknown key 'pth' in spec.template", "t.yaml", 16, 5);
  EXPECT_TRUE(Runnable(r).empty());
  // No "no sources" noise for pipelines whose template failed.
  EXPECT_EQ(FindDiag(r, "no sources"), nullptr);

  // A parameter without default needs a value from the Pipeline.
  r = Load(R"Y(apiVersion: v1
kind: Pipeline
metadata: {name: a}
spec:
  template: {name: t}
---
apiVersion: v1
kind: PipelineTemplate
metadata: {name: t}
spec:
  parameters: [{name: n, type: int}]
  template:
    sources: [{id: g, type: generator, config: {count: "${n}"}}]
)Y");
  ExpectError(r, "parameter 'n' of template 't' has no default and no value",
              "t.yaml", 5, 3);
  EXPECT_NE(FindDiag(r, "no default")->hint.find("declared at t.yaml:11:16"),
            std::string::npos)
      << FindDiag(r, "no default")->hint;
}

// Files for template.path, in a fresh directory.
class TemplateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/flowctl-tmpl-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::filesystem::create_directories(dir_ + "/templates");
    Write("templates/scoring.yaml", kTemplate);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(TemplateFileTest, PathIsRelativeToTheReferencingFile) {
  Write("p.yaml", R"Y(apiVersion: v1
kind: Pipeline
metadata: {name: from-file}
spec:
  template:
    name: scoring
    path: templates/scoring.yaml
    parameters: {append: true}
)Y");
  LoadResult r = LoadFile(dir_ + "/p.yaml", NoEnv());
  ASSERT_TRUE(r.ok()) << AllDiags(r);
  ASSERT_EQ(r.documents.size(), 1u);  // the template file's are not ours
  const PipelineSpec& p = r.documents[0].pipeline;
  EXPECT_EQ(p.metadata.name, "from-file");
  EXPECT_EQ(p.processors[0].config["flag"], true);
  // Marks point into the template's file.
  EXPECT_EQ(p.sources[0].mark.file, dir_ + "/templates/scoring.yaml");
  EXPECT_EQ(p.sources[0].mark.line, 32);
  // ToYaml writes the instantiation as a plain Pipeline.
  LoadResult again = LoadString(ToYaml(p), "canon.yaml", NoEnv());
  ASSERT_TRUE(again.ok()) << AllDiags(again);
  EXPECT_EQ(again.documents[0].kind, "Pipeline");
  EXPECT_FALSE(again.documents[0].template_ref.has_value());
  EXPECT_EQ(again.documents[0].pipeline.processors[0].config,
            p.processors[0].config);
}

TEST_F(TemplateFileTest, PathErrors) {
  Write("p.yaml", R"Y(apiVersion: v1
kind: Pipeline
metadata: {name: a}
spec:
  template:
    name: scoring
    path: templates/nope.yaml
---
apiVersion: v1
kind: Pipeline
metadata: {name: b}
spec:
  template: {name: other, path: templates/scoring.yaml}
)Y");
  LoadResult r = LoadFile(dir_ + "/p.yaml", NoEnv());
  const std::string file = dir_ + "/p.yaml";
  ExpectError(r, "cannot read template file", file, 7, 11);
  ExpectError(r, "no PipelineTemplate 'other' in", file, 13, 20);
  EXPECT_NE(FindDiag(r, "'other'")->hint.find("templates there: scoring"),
            std::string::npos);
  // A daemon does not read files named by its callers' documents.
  LoadOptions o = NoEnv();
  o.template_files = false;
  r = LoadFile(dir_ + "/p.yaml", o);
  ExpectError(r, "template files are not read here", file, 7, 11);
}

// Only real components and config fields: the engine validates the graph.
const char kRunnableTemplate[] = R"Y(apiVersion: v1
kind: PipelineTemplate
metadata: {name: scoring}
spec:
  parameters:
    - {name: level, enum: [low, high], default: high}
    - {name: count, type: int, default: 10}
  template:
    sources: [{id: gen-${level}, type: generator, config: {count: "${count}"}}]
    sinks: [{id: out, type: "null", inputs: [gen-${level}]}]
)Y";

TEST(TemplateEngineTest, ApplyInstantiatesWithParams) {
  auto opened = engine::Engine::Open(engine::EngineOptions{});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  engine::Engine& e = *opened.value();
  engine::ApplyRequest req;
  req.yaml = kRunnableTemplate;
  req.filename = "t.yaml";
  req.dry_run = true;
  req.params = {{"level", "low"}};
  std::vector<Diagnostic> diags;
  auto r = e.Apply(req, &diags);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->name, "scoring");
  EXPECT_NE(r->plan.find("gen-low"), std::string::npos) << r->plan;
  req.params = {{"level", "medium"}};
  diags.clear();
  r = e.Apply(req, &diags);
  ASSERT_FALSE(r.ok());
  bool named = false;
  for (const Diagnostic& d : diags) {
    named = named || d.message.find("parameter 'level'") != std::string::npos;
  }
  EXPECT_TRUE(named);
  engine::ValidateResult v = e.Validate(kRunnableTemplate, "t.yaml", {});
  EXPECT_TRUE(v.valid);
  EXPECT_EQ(v.pipelines, std::vector<std::string>{"scoring"});
}

}  // namespace
}  // namespace flowctl::config
