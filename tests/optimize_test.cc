// ai optimize's capacity model and suggestions (ai/optimize.h) on synthetic
// histories whose answers are known by hand; the price table's lookup. The
// e2e test_ai_optimize.sh applies a suggestion to a real pipeline and
// measures its effect.
#include "flowctl/ai/optimize.h"

#include <gtest/gtest.h>

#include "flowctl/ai/provider.h"
#include "flowctl/config/loader.h"

namespace flowctl {
namespace {

constexpr int64_t kT0 = 1'699'999'200'000;

// gen -> parse (2 workers) -> enrich (1 worker) -> out.
constexpr char kYaml[] = R"(apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: p}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, shape: counter}}
  processors:
    - {id: parse, type: transform, inputs: [gen], concurrency: 2, config: {set: {y: "id + 1"}}}
    - {id: enrich, type: transform, inputs: [parse], config: {set: {z: "id + 2"}}}
  sinks:
    - {id: out, type: file, inputs: [enrich], config: {path: out/p.jsonl}}
)";

struct Stage {
  const char* node;
  double in, busy;
};

// n one-second samples; the pipeline reads `input` events/s.
ai::OpsInput History(int n, double input, std::vector<Stage> stages, const char* yaml = kYaml) {
  ai::OpsInput in;
  in.name = "p";
  in.since = "1h";
  in.now_ms = kT0 + n * 1000;
  in.yaml = yaml;
  for (int i = 0; i < n; ++i) {
    store::MetricPoint t;
    t.node = store::kPipelineNode;
    t.ts_ms = kT0 + i * 1000;
    t.v[store::kIntervalS] = 1;
    t.v[store::kInPerS] = t.v[store::kOutPerS] = input;
    in.points.push_back(t);
    for (const auto& s : stages) {
      store::MetricPoint p;
      p.node = s.node;
      p.ts_ms = t.ts_ms;
      p.v[store::kIntervalS] = 1;
      p.v[store::kInPerS] = p.v[store::kOutPerS] = s.in;
      p.v[store::kBusy] = s.busy;
      in.points.push_back(p);
    }
  }
  return in;
}

const ai::StageModel* StageOf(const ai::PipelineModel& m, const std::string& node) {
  for (const auto& s : m.stages)
    if (s.node == node) return &s;
  return nullptr;
}

TEST(OptimizeTest, TheBoundIsTheSlowestStageScaledByItsWorkers) {
  // parse: 1000/s at 50% of 2 workers = 1000 per worker-s, capacity 2000.
  // enrich: 1000/s at 90% of 1 worker = 1111/s capacity: the bottleneck.
  auto in = History(
      60, 1000, {{"gen", 0, 0.1}, {"parse", 1000, 0.5}, {"enrich", 1000, 0.9}, {"out", 1000, 0.1}});
  ai::PipelineModel m = ai::BuildModel(in, 0, 8);
  EXPECT_DOUBLE_EQ(m.input_per_s, 1000);
  EXPECT_EQ(m.bottleneck, "enrich");
  EXPECT_NEAR(m.bound_eps, 1000 / 0.9, 1e-6);
  EXPECT_NEAR(StageOf(m, "parse")->capacity, 2000, 1e-6);
  EXPECT_NEAR(StageOf(m, "out")->bound, 10000, 1e-6);
  // CPU: worker-seconds per event = (0.1 + 1.0 + 0.9 + 0.1) / 1000.
  EXPECT_NEAR(m.worker_s_per_event, 0.0021, 1e-12);
  EXPECT_NEAR(m.cpu_bound_eps, 8 / 0.0021, 1e-6);
  EXPECT_FALSE(m.input_bound());
}

TEST(OptimizeTest, ReachScalesABoundByTheShareOfInputThatArrives) {
  // Only a tenth of the input reaches enrich: its 1250/s capacity carries
  // 12500 input events/s, so parse (2000) is the bottleneck.
  auto in = History(60, 1000, {{"parse", 1000, 0.5}, {"enrich", 100, 0.08}});
  ai::PipelineModel m = ai::BuildModel(in, 0, 8);
  EXPECT_NEAR(StageOf(m, "enrich")->reach, 0.1, 1e-9);
  EXPECT_NEAR(StageOf(m, "enrich")->bound, 12500, 1e-6);
  EXPECT_EQ(m.bottleneck, "parse");
  EXPECT_NEAR(m.bound_eps, 2000, 1e-6);
}

std::optional<PipelineSpec> Load(const std::string& yaml) {
  config::LoadOptions lo;
  lo.template_files = false;
  auto r = config::LoadString(yaml, "<suggestion>", lo);
  if (!r.ok() || r.documents.size() != 1) return std::nullopt;
  return r.documents[0].pipeline;
}

const NodeSpec* NodeOf(const PipelineSpec& spec, const std::string& id) {
  for (const NodeSpec* n : spec.AllNodes())
    if (n->id == id) return n;
  return nullptr;
}

TEST(OptimizeTest, WideningTheBottleneckPredictsTheNextStageAsTheLimit) {
  auto in = History(60, 1000, {{"parse", 1000, 0.5}, {"enrich", 1000, 0.8}});
  in.cores = 8;
  auto r = ai::OptimizePipeline(in, "throughput");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->suggestions.size(), 1u);
  const ai::Suggestion& s = r->suggestions[0];
  EXPECT_EQ(s.kind, "concurrency");
  EXPECT_EQ(s.node, "enrich");
  // To stop being the limit enrich needs 2000/1250 = 1.6x: 2 workers, whose
  // 2500/s leave parse's 2000 as the bound (the CPU bound, 8 cores over
  // 0.0018 worker-s per event, is higher).
  ASSERT_EQ(s.predicted[0].metric, "throughput_bound_eps");
  EXPECT_NEAR(*s.predicted[0].before, 1250, 1e-6);
  EXPECT_NEAR(*s.predicted[0].after, 2000, 1e-6);
  EXPECT_NEAR(s.gain, 0.6, 1e-9);
  // The change is the document with enrich at 2 workers; parse unchanged.
  auto spec = Load(s.yaml);
  ASSERT_TRUE(spec.has_value()) << s.yaml;
  EXPECT_EQ(NodeOf(*spec, "enrich")->concurrency, 2);
  EXPECT_EQ(NodeOf(*spec, "parse")->concurrency, 2);
}

TEST(OptimizeTest, TheCpuBoundCapsAPredictionOnFewCores) {
  // On 2 cores the stages' 1.8 ms of work per event allow 1111/s at most.
  auto in = History(60, 1000, {{"parse", 1000, 0.5}, {"enrich", 1000, 0.8}});
  in.cores = 2;
  auto r = ai::OptimizePipeline(in, "throughput");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->suggestions.size(), 1u);
  EXPECT_NEAR(*r->suggestions[0].predicted[0].after, 2 / 0.0018, 1e-6);
}

TEST(OptimizeTest, AnInputBelowTheBoundIsSaidToBeTheLimit) {
  auto in = History(60, 100, {{"parse", 100, 0.05}, {"enrich", 100, 0.08}});
  in.cores = 8;
  auto r = ai::OptimizePipeline(in, "");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->model.input_bound());
  bool said = false;
  for (const auto& n : r->notes) said = said || n.find("the input is the limit") == 0;
  EXPECT_TRUE(said);
}

constexpr char kAiYaml[] = R"(apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: p}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, shape: counter}}
  processors:
    - id: classify
      type: ai-processor
      inputs: [gen]
      config: {model: gpt-4o, max_concurrency: 2, cache: {enabled: false}}
  sinks:
    - {id: out, type: file, inputs: [classify], config: {path: out/p.jsonl}}
)";

ai::OpsInput AiHistory() {
  // 98 events/s through 2 calls in flight, busy 98%: 50 per call slot.
  auto in = History(60, 98, {{"classify", 98, 0.98}}, kAiYaml);
  for (auto& p : in.points)
    if (p.node == "classify") p.v[store::kAiCallsPerS] = 98, p.v[store::kAiCostUsdPerH] = 100;
  NodeSnapshot n;
  n.id = "classify";
  n.type = "ai-processor";
  n.kind = "processor";
  n.counters = {{"ai_input_tokens", 120}, {"ai_output_tokens", 8}};
  in.snapshot.nodes.push_back(n);
  in.cores = 8;
  return in;
}

TEST(OptimizeTest, AnAiNodeIsWidenedByItsCallsInFlight) {
  auto in = AiHistory();
  auto r = ai::OptimizePipeline(in, "throughput");
  ASSERT_TRUE(r.ok());
  const ai::StageModel& s = r->model.stages[0];
  EXPECT_EQ(s.call_slots, 2);
  EXPECT_NEAR(s.service_per_worker, 50, 1e-9);
  ASSERT_EQ(r->suggestions.size(), 1u);
  const ai::Suggestion& sg = r->suggestions[0];
  EXPECT_EQ(sg.kind, "max_concurrency");
  // Nothing else bounds it: twice the calls, twice the bound.
  EXPECT_NEAR(*sg.predicted[0].before, 100, 1e-9);
  EXPECT_NEAR(*sg.predicted[0].after, 200, 1e-9);
  auto spec = Load(sg.yaml);
  ASSERT_TRUE(spec.has_value()) << sg.yaml;
  EXPECT_EQ(NodeOf(*spec, "classify")->config["max_concurrency"], 4);
  EXPECT_LE(NodeOf(*spec, "classify")->concurrency, 1);  // instances unchanged
}

TEST(OptimizeTest, ACheaperModelIsPricedByTheMeasuredTokenSplit) {
  auto r = ai::OptimizePipeline(AiHistory(), "cost");
  ASSERT_TRUE(r.ok());
  const ai::Suggestion* model = nullptr;
  const ai::Suggestion* cache = nullptr;
  for (const auto& s : r->suggestions) {
    if (s.kind == "model") model = &s;
    if (s.kind == "cache") cache = &s;
  }
  ASSERT_NE(model, nullptr);
  // gpt-4o 2.50/10.0 -> gpt-4o-mini 0.15/0.60 per Mtok for 120 in, 8 out:
  // (120 x 0.15 + 8 x 0.6) / (120 x 2.5 + 8 x 10) = 22.8 / 380 = 0.06.
  EXPECT_NEAR(*model->predicted[0].before, 100, 1e-9);
  EXPECT_NEAR(*model->predicted[0].after, 6, 1e-9);
  EXPECT_EQ(Load(model->yaml)->processors[0].config["model"], "gpt-4o-mini");
  // The cache's saving is not in the history: no number is made up.
  ASSERT_NE(cache, nullptr);
  EXPECT_FALSE(cache->predicted[0].after.has_value());
  EXPECT_EQ(Load(cache->yaml)->processors[0].config["cache"]["enabled"], true);
}

TEST(OptimizeTest, FailuresWithoutADeadLetterSinkAreCountedAsLost) {
  auto in = History(60, 1000, {{"parse", 1000, 0.5}, {"enrich", 1000, 0.8}});
  for (auto& p : in.points)
    if (p.node == "enrich") p.v[store::kErrorsPerS] = 50;
  auto r = ai::OptimizePipeline(in, "reliability");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->suggestions.size(), 1u);
  const ai::Suggestion& s = r->suggestions[0];
  EXPECT_EQ(s.node, "enrich");
  EXPECT_NEAR(*s.predicted[0].before, 50 * 3600, 1e-6);
  EXPECT_EQ(*s.predicted[0].after, 0);
  auto spec = Load(s.yaml);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(NodeOf(*spec, "enrich")->on_error.kind, ErrorPolicy::Kind::kDeadLetter);
}

TEST(OptimizeTest, AnAppliedSuggestionIsComparedWithWhatWasMeasuredSince) {
  // Before: enrich bounds at 1250. It was applied at t=60 s; after it the
  // stages measure 1800 input/s with enrich at 2 workers, 72% busy.
  auto before = History(60, 1000, {{"parse", 1000, 0.5}, {"enrich", 1000, 0.8}});
  before.cores = 8;
  auto r = ai::OptimizePipeline(before, "throughput");
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->suggestions.empty());
  std::string reason = ai::OptimizationReason(r->suggestions[0]);

  auto in = History(120, 1000, {{"parse", 1000, 0.5}, {"enrich", 1000, 0.8}});
  in.cores = 8;
  for (auto& p : in.points) {
    if (p.ts_ms < kT0 + 60'000) continue;
    if (p.node == "*") p.v[store::kInPerS] = 1800;
    if (p.node == "parse") p.v[store::kInPerS] = 1800, p.v[store::kBusy] = 0.9;
    if (p.node == "enrich") p.v[store::kInPerS] = 1800, p.v[store::kBusy] = 0.72;
  }
  store::AuditRecord a;
  a.time_ms = kT0 + 60'000;
  a.action = "apply";
  a.result = "ok";
  a.arguments = R"({"name":"p","version":2})";
  a.reasoning = reason;
  in.audit = {a};
  in.version = 2;
  in.version_since_ms = a.time_ms;
  auto after = ai::OptimizePipeline(in, "");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->outcomes.size(), 1u);
  const ai::Outcome& o = after->outcomes[0];
  EXPECT_EQ(o.version, 2);
  EXPECT_EQ(o.node, "enrich");
  EXPECT_EQ(o.predicted.metric, "throughput_bound_eps");
  EXPECT_NEAR(*o.predicted.after, 2000, 1e-6);
  // parse: 1800 / 0.9 per 2 workers... capacity 2000; enrich 1800/0.72 =
  // 2500 per... 2 workers at 1250 each: the bound measured is parse's 2000.
  ASSERT_TRUE(o.measured.has_value());
  EXPECT_NEAR(*o.measured, 2000, 1e-6);
  // The running version's model leaves the samples before it out.
  EXPECT_NEAR(after->model.input_per_s, 1800, 1e-6);
}

TEST(OptimizeTest, AnUnknownGoalIsRefused) {
  auto r = ai::OptimizePipeline(History(5, 10, {}), "speed");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

// Before a run (ai create's menu): costs at list prices for assumed tokens,
// and a cheaper model whose document, estimated again, costs what was
// predicted.
TEST(OptimizeTest, APlanIsPricedBeforeItRunsAndItsCheaperModelCostsWhatWasPredicted) {
  constexpr char kPlan[] = R"(apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: plan}
spec:
  sources:
    - {id: in, type: generator, config: {count: 0, shape: feedback}}
  processors:
    - {id: mood, type: ai-processor, inputs: [in], config: {task: sentiment, model: gpt-4o}}
    - {id: local, type: ai-processor, inputs: [mood], config: {task: sentiment}}
    - id: route
      type: ai-router
      inputs: [local]
      config: {model: gpt-4o, destinations: {a: {sink: out}, b: {sink: out}}}
  sinks:
    - {id: out, type: file, inputs: [route], config: {path: out/plan.jsonl}}
)";
  auto spec = Load(kPlan);
  ASSERT_TRUE(spec.has_value());
  ai::PlanAssumptions a;
  a.events_per_second = 10;
  ai::PipelineModel m = ai::EstimateModel(*spec, a);
  EXPECT_TRUE(m.estimated);
  // 10 calls/s x 3600 x (250 x 2.50 + 60 x 10.0) / 1e6 USD.
  EXPECT_NEAR(StageOf(m, "mood")->cost_per_h, 44.1, 1e-9);
  EXPECT_DOUBLE_EQ(StageOf(m, "local")->cost_per_h, 0);      // embedded
  EXPECT_NEAR(StageOf(m, "route")->cost_per_h, 4.41, 1e-9);  // 10% of its events
  EXPECT_NEAR(m.cost_per_h, 48.51, 1e-9);
  EXPECT_EQ(StageOf(m, "mood")->bound, 0);  // nothing measured

  ai::OptimizationReport r = ai::OptimizePlan(*spec, a);
  const ai::Suggestion* mood = nullptr;
  for (const auto& s : r.suggestions) {
    EXPECT_EQ(s.kind, "model");
    EXPECT_NE(s.node, "local");
    if (s.node == "mood") mood = &s;
  }
  ASSERT_NE(mood, nullptr);
  ASSERT_TRUE(mood->predicted[0].after.has_value());
  EXPECT_LT(*mood->predicted[0].after, 44.1);
  EXPECT_NE(mood->predicted[0].how.find("estimated"), std::string::npos);
  auto cheaper = Load(mood->yaml);
  ASSERT_TRUE(cheaper.has_value());
  ai::PipelineModel after = ai::EstimateModel(*cheaper, a);
  EXPECT_NE(StageOf(after, "mood")->model, "gpt-4o");
  EXPECT_NEAR(StageOf(after, "mood")->cost_per_h, *mood->predicted[0].after, 1e-9);
  EXPECT_NEAR(StageOf(after, "route")->cost_per_h, 4.41, 1e-9);  // untouched
}

TEST(OptimizeTest, NoSamplesNoSuggestions) {
  auto r = ai::OptimizePipeline(History(0, 0, {}), "");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->suggestions.empty());
  EXPECT_FALSE(r->notes.empty());
}

TEST(PricingTest, TheLongestPrefixOfTheVendorWins) {
  auto p = ai::DefaultPricing("openai", "gpt-4o-2024-08-06");
  EXPECT_DOUBLE_EQ(p.input_per_mtok, 2.5);
  EXPECT_DOUBLE_EQ(p.output_per_mtok, 10);
  p = ai::DefaultPricing("openai", "GPT-4o-mini");
  EXPECT_DOUBLE_EQ(p.input_per_mtok, 0.15);
  p = ai::DefaultPricing("anthropic", "claude-3-5-haiku-latest");
  EXPECT_DOUBLE_EQ(p.output_per_mtok, 4.0);
  p = ai::DefaultPricing("anthropic", "some-new-model");  // the vendor's default row
  EXPECT_DOUBLE_EQ(p.input_per_mtok, 3.0);
  p = ai::DefaultPricing("ollama", "llama3:8b");  // local: free
  EXPECT_DOUBLE_EQ(p.input_per_mtok, 0);
  EXPECT_GE(ai::PriceList().size(), 15u);
}

}  // namespace
}  // namespace flowctl
