// The daemon controllers' rules (ai/controllers.h) on synthetic histories.
// Scaling: up when busy, down when one worker fewer would do, nothing in the
// band between or within the cooldown, and a simulated step load that
// converges without flapping. Budgets: over it, the costly node moves to a
// cheaper model whose document costs what was predicted.
#include "flowctl/ai/controllers.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "flowctl/ai/provider.h"

namespace flowctl {
namespace {

constexpr int64_t kT0 = 1'699'999'200'000;

constexpr char kYaml[] = R"(apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: p}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, shape: counter}}
  processors:
    - {id: tag, type: transform, inputs: [gen], config: {set: {y: "id + 1"}}}
  sinks:
    - {id: out, type: file, inputs: [tag], config: {path: out/p.jsonl}}
)";

// 20 one-second samples ending at now: tag runs n workers, each busy `busy`,
// with `queued` events waiting of a 2000-event queue.
ai::OpsInput History(int64_t now, int n, double busy, double queued) {
  ai::OpsInput in;
  in.name = "p";
  in.now_ms = now;
  in.yaml = kYaml;
  in.cores = 8;
  in.snapshot.state = "running";
  NodeSnapshot tag;
  tag.id = "tag";
  tag.type = "transform";
  tag.kind = "processor";
  tag.concurrency = n;
  tag.queue_capacity = 2000;
  in.snapshot.nodes.push_back(tag);
  for (int i = 20; i >= 1; --i) {
    store::MetricPoint t;
    t.node = store::kPipelineNode;
    t.ts_ms = now - i * 1000;
    t.v[store::kIntervalS] = 1;
    t.v[store::kInPerS] = t.v[store::kOutPerS] = 1000;
    in.points.push_back(t);
    store::MetricPoint p = t;
    p.node = "tag";
    p.v[store::kBusy] = busy;
    p.v[store::kQueueDepth] = queued;
    in.points.push_back(p);
  }
  return in;
}

ai::ScalePolicy Policy(int max = 8) {
  ai::ScalePolicy p;
  p.max = max;
  return p;
}

TEST(AutoscaleTest, ABusyNodeWithABacklogDoubles) {
  int64_t now = kT0 + 600'000;
  auto d = ai::DecideScaling(History(now, 2, 0.95, 800), Policy(), 0, now);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].node, "tag");
  EXPECT_EQ(d[0].from, 2);
  EXPECT_EQ(d[0].to, 4);
  EXPECT_NE(d[0].why.find("busy 95%"), std::string::npos) << d[0].why;
  // Capped at max; under 85% busy, a queue alone does not scale it.
  EXPECT_EQ(ai::DecideScaling(History(now, 2, 0.95, 800), Policy(3), 0, now)[0].to, 3);
  EXPECT_TRUE(ai::DecideScaling(History(now, 4, 0.95, 800), Policy(4), 0, now).empty());
  EXPECT_TRUE(ai::DecideScaling(History(now, 2, 0.8, 1900), Policy(), 0, now).empty());
}

TEST(AutoscaleTest, OneFewerWhenTheRestStaysUnderSixtyPercent) {
  int64_t now = kT0 + 600'000;
  auto d = ai::DecideScaling(History(now, 4, 0.2, 0), Policy(), 0, now);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].to, 3);
  // 2 workers at 50%: one would be 100% busy. The band between 60% and 85%
  // is where nothing moves.
  EXPECT_TRUE(ai::DecideScaling(History(now, 2, 0.5, 0), Policy(), 0, now).empty());
  EXPECT_TRUE(ai::DecideScaling(History(now, 4, 0.7, 0), Policy(), 0, now).empty());
  EXPECT_TRUE(ai::DecideScaling(History(now, 1, 0.01, 0), Policy(), 0, now).empty());  // min 1
}

TEST(AutoscaleTest, NothingWithinTheCooldownOrBeforeTheNewVersionHasSamples) {
  int64_t now = kT0 + 600'000;
  EXPECT_TRUE(ai::DecideScaling(History(now, 2, 0.95, 800), Policy(), now - 10'000, now).empty());
  auto in = History(now, 2, 0.95, 800);
  in.version_since_ms = now - 8'000;  // 3 s of samples past its warm-up
  EXPECT_TRUE(ai::DecideScaling(in, Policy(), 0, now).empty());
}

// A load of L worker-seconds per second: n workers are each min(1, L/n)
// busy, and a backlog builds when L > n. The controller runs every 5 s.
TEST(AutoscaleTest, AStepLoadConvergesWithoutFlapping) {
  int n = 1;
  int64_t now = kT0, last_change = 0;
  std::vector<int> changes;
  auto run = [&](double load, int seconds) {
    for (int t = 0; t < seconds; t += 5) {
      now += 5000;
      double busy = std::min(1.0, load / n);
      double queued = load > n ? 1500 : 0;
      auto in = History(now, n, busy, queued);
      in.version_since_ms = last_change;
      auto d = ai::DecideScaling(in, Policy(), last_change, now);
      if (!d.empty()) {
        n = d[0].to;
        last_change = now;
        changes.push_back(n);
      }
    }
  };
  run(2.6, 300);
  EXPECT_EQ(n, 4);  // 1 -> 2 -> 4: 65% busy, under the 85% that doubles
  EXPECT_EQ(changes, (std::vector<int>{2, 4}));
  run(0.9, 300);
  EXPECT_EQ(n, 2);  // 4 -> 3 -> 2: 45%; one fewer would be 90%
  EXPECT_EQ(changes, (std::vector<int>{2, 4, 3, 2}));
  run(0.9, 600);  // a steady load: no more changes
  EXPECT_EQ(changes.size(), 4u);
}

constexpr char kAiYaml[] = R"(apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: p}
spec:
  sources:
    - {id: gen, type: generator, config: {count: 0, shape: feedback}}
  processors:
    - {id: mood, type: ai-processor, inputs: [gen], config: {task: sentiment, model: MODEL}}
  sinks:
    - {id: out, type: file, inputs: [mood], config: {path: out/p.jsonl}}
)";

// 20 s of mood calling its model 50 times a second at cost_per_h, with the
// run's token counters split 120:8 per call.
ai::OpsInput AiHistory(int64_t now, const std::string& model, double cost_per_h) {
  ai::OpsInput in = History(now, 1, 0.5, 0);
  std::string yaml = kAiYaml;
  yaml.replace(yaml.find("MODEL"), 5, model);
  in.yaml = yaml;
  in.snapshot.nodes[0].id = "mood";
  in.snapshot.nodes[0].type = "ai-processor";
  in.snapshot.nodes[0].counters = {{"ai_input_tokens", 120000}, {"ai_output_tokens", 8000}};
  for (auto& p : in.points)
    if (p.node == "tag") {
      p.node = "mood";
      p.v[store::kInPerS] = p.v[store::kOutPerS] = 50;
      p.v[store::kAiCallsPerS] = 50;
      p.v[store::kAiCostUsdPerH] = cost_per_h;
    }
  return in;
}

TEST(BudgetTest, OverBudgetTheCostlyNodeMovesToTheCheaperModel) {
  int64_t now = kT0 + 600'000;
  // 50 calls/s of 120 + 8 tokens at gpt-4o's prices: 68.4 USD/h.
  auto in = AiHistory(now, "gpt-4o", 68.4);
  EXPECT_FALSE(ai::DecideBudget(in, 100, 0, now).has_value());          // under budget
  EXPECT_FALSE(ai::DecideBudget(in, 10, now - 5000, now).has_value());  // cooldown
  auto d = ai::DecideBudget(in, 10, 0, now);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->node, "mood");
  EXPECT_EQ(d->from_model, "gpt-4o");
  EXPECT_NE(d->to_model, "gpt-4o");
  EXPECT_NEAR(d->measured_per_h, 68.4, 1e-9);
  // The price ratio of the two models for this token split, from the table.
  ai::Pricing a = ai::DefaultPricing("openai", "gpt-4o"),
              b = ai::DefaultPricing("openai", d->to_model);
  double ratio = (120 * b.input_per_mtok + 8 * b.output_per_mtok) /
                 (120 * a.input_per_mtok + 8 * a.output_per_mtok);
  EXPECT_NEAR(d->predicted_per_h, 68.4 * ratio, 1e-6);
  EXPECT_LT(d->predicted_per_h, 10);
  EXPECT_NE(d->yaml.find("model: " + d->to_model), std::string::npos) << d->yaml;
  EXPECT_NE(d->why.find("budget 10.00"), std::string::npos) << d->why;
  // On the vendor's cheapest already, still over: the embedded model.
  auto cheapest = ai::DecideBudget(AiHistory(now, d->to_model, 12), 10, 0, now);
  ASSERT_TRUE(cheapest.has_value());
  EXPECT_EQ(cheapest->to_model, "embedded");
  EXPECT_DOUBLE_EQ(cheapest->predicted_per_h, 0);
  EXPECT_FALSE(ai::DecideBudget(AiHistory(now, "embedded", 0), 10, 0, now).has_value());
}

}  // namespace
}  // namespace flowctl
