// Self-healing's pure parts (ai/healing.h): what a detection rule measures
// over a window of synthetic history, and the order learning gives the
// strategies. The daemon's loop is covered by e2e/test_self_healing.sh.
#include "flowctl/ai/healing.h"

#include <gtest/gtest.h>

namespace flowctl {
namespace {

constexpr int64_t kT0 = 1'699'999'200'000;

// One second of node's samples at ts: in events/s, of which errors failed
// and dlq of those went to a dead-letter sink; p99 in us.
store::MetricPoint Point(const std::string& node, int64_t ts, double in, double errors = 0,
                         double dlq = 0, double p99_us = 0) {
  store::MetricPoint p;
  p.node = node;
  p.ts_ms = ts;
  p.v[store::kIntervalS] = 1;
  p.v[store::kInPerS] = in;
  p.v[store::kErrorsPerS] = errors;
  p.v[store::kDeadLetteredPerS] = dlq;
  p.v[store::kP99Us] = p99_us;
  return p;
}

HealingDetection Rule(const std::string& metric, double threshold) {
  HealingDetection r;
  r.metric = metric;
  r.threshold = threshold;
  r.window_s = 10;
  return r;
}

TEST(HealingTest, ErrorRateIsTheWorstNodesLostFailures) {
  ai::OpsInput in;
  for (int i = 0; i < 10; ++i) {
    in.points.push_back(Point(store::kPipelineNode, kT0 + i * 1000, 100, 30));
    in.points.push_back(Point("a", kT0 + i * 1000, 100, 10));      // 10% dropped
    in.points.push_back(Point("b", kT0 + i * 1000, 100, 20, 20));  // all dead-lettered
  }
  auto m = ai::Measure(in, Rule("error_rate", 0.05), kT0, kT0 + 10'000);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->node, "a");
  EXPECT_NEAR(m->value, 0.10, 1e-9);
  EXPECT_NEAR(m->covered_s, 10, 1e-9);
  // Caught failures are dlq_rate, not error_rate.
  auto d = ai::Measure(in, Rule("dlq_rate", 0.05), kT0, kT0 + 10'000);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->node, "b");
  EXPECT_NEAR(d->value, 0.20, 1e-9);
  // Only the window counts: none of its samples, no measurement.
  EXPECT_FALSE(ai::Measure(in, Rule("error_rate", 0.05), kT0 + 20'000, kT0 + 30'000));
}

TEST(HealingTest, LatencyIsTheMeanP99OfBusyIntervalsInMs) {
  ai::OpsInput in;
  for (int i = 0; i < 10; ++i) {
    // Half the intervals idle (their p99 of 0 must not halve the mean).
    in.points.push_back(Point("slow", kT0 + i * 1000, i % 2 ? 50 : 0, 0, 0, i % 2 ? 1'500'000 : 0));
    in.points.push_back(Point("fast", kT0 + i * 1000, 50, 0, 0, 2'000));
  }
  auto m = ai::Measure(in, Rule("latency_p99", 1000), kT0, kT0 + 10'000);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->node, "slow");
  EXPECT_NEAR(m->value, 1500, 1e-6);
  EXPECT_EQ(ai::FormatMeasure(Rule("latency_p99", 1000), m->value), "1500 ms");
}

TEST(HealingTest, ThroughputDropComparesWithTheWindowBefore) {
  ai::OpsInput in;
  for (int i = 0; i < 20; ++i)
    in.points.push_back(Point(store::kPipelineNode, kT0 + i * 1000, i < 10 ? 200 : 50));
  auto m = ai::Measure(in, Rule("throughput_drop", 0.5), kT0 + 10'000, kT0 + 20'000);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->node, "");
  EXPECT_NEAR(m->value, 0.75, 1e-9);
  // A steady intake has dropped by nothing.
  auto steady = ai::Measure(in, Rule("throughput_drop", 0.5), kT0 + 15'000, kT0 + 20'000);
  ASSERT_TRUE(steady.has_value());
  EXPECT_NEAR(steady->value, 0, 1e-9);
}

TEST(HealingTest, LearningTriesWhatRecoveredFirst) {
  HealingPolicy p;
  p.strategies = HealingStrategies();  // restart, scale, reroute, rollback, incident
  p.learning = true;
  ai::Learnings own = {{"restart-component", {2, 0}}, {"reroute-traffic", {1, 1}}};
  EXPECT_EQ(ai::OrderStrategies(p, own, {}),
            (std::vector<std::string>{"reroute-traffic", "scale-horizontally", "rollback-version",
                                      "restart-component", "create-incident"}));
  // Another pipeline's outcomes count when shared: rollback recovered there
  // 3 of 3 ((3+1)/(3+2) = 0.8 beats reroute's (1+1)/(1+2)).
  ai::Learnings shared = {{"rollback-version", {3, 3}}};
  EXPECT_EQ(ai::OrderStrategies(p, own, shared)[0], "rollback-version");
  // create-incident keeps the place it was written in.
  p.strategies = {"create-incident", "restart-component", "reroute-traffic"};
  EXPECT_EQ(ai::OrderStrategies(p, own, {}),
            (std::vector<std::string>{"create-incident", "reroute-traffic", "restart-component"}));
  // Without learning: the order written.
  p.learning = false;
  EXPECT_EQ(ai::OrderStrategies(p, own, shared), p.strategies);
}

TEST(HealingTest, TheDefaultPolicyIsTheSeeds) {
  HealingPolicy p = ai::DefaultHealingPolicy();
  EXPECT_EQ(p.name, "auto-recovery");
  ASSERT_EQ(p.detection.size(), 2u);
  EXPECT_EQ(p.detection[0].metric, "error_rate");
  EXPECT_EQ(p.detection[0].window_s, 300);
  EXPECT_EQ(p.detection[1].metric, "latency_p99");
  EXPECT_EQ(p.detection[1].threshold, 1000);
  EXPECT_EQ(p.strategies, HealingStrategies());
}

}  // namespace
}  // namespace flowctl
