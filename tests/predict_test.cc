// Forecasting (ai/forecast.h) and failure predictions (ai/predict.h) on
// synthetic series whose answers are known: a line crosses its threshold at
// a computable time, Holt follows a trend, an outlier scores high.
#include "flowctl/ai/predict.h"

#include <gtest/gtest.h>

#include <cmath>

#include "flowctl/ai/forecast.h"
#include "flowctl/ai/monitor.h"
#include "flowctl/config/loader.h"

namespace flowctl {
namespace {

namespace fc = ai::forecast;

constexpr int64_t kT0 = 1'699'999'200'000;

// A deterministic wobble in [-1, 1].
double Wobble(int i) { return std::sin(i * 12.9898) * 0.5 + std::cos(i * 78.233) * 0.5; }

TEST(ForecastTest, ALineIsFittedExactlyAndCrossesWhenItShould) {
  std::vector<fc::Point> s;
  for (int i = 0; i < 20; ++i) s.push_back({double(i), 3 + 2.0 * i});
  fc::Line l = fc::FitLine(s);
  EXPECT_NEAR(l.slope, 2, 1e-12);
  EXPECT_NEAR(l.intercept, 3, 1e-12);
  EXPECT_NEAR(l.r2, 1, 1e-12);
  EXPECT_NEAR(*fc::Crossing(l, 63, 19), 30, 1e-9);   // 3 + 2t = 63 at t = 30
  EXPECT_FALSE(fc::Crossing(l, 0, 19).has_value());  // rising: never down to 0
  EXPECT_NEAR(*fc::Crossing(l, 41, 19), 19, 1e-9);   // already there
  // Falling towards a lower threshold.
  for (auto& p : s) p.y = 100 - p.t;
  EXPECT_NEAR(*fc::Crossing(fc::FitLine(s), 50, 19), 50, 1e-9);
}

TEST(ForecastTest, NoiseLowersTheFitButTheCrossingStaysNearTheTruth) {
  // y = 10 + 0.5 t + noise of +-2: the true crossing of 110 is at t = 200.
  std::vector<fc::Point> s;
  for (int i = 0; i < 120; ++i) s.push_back({double(i), 10 + 0.5 * i + 2 * Wobble(i)});
  fc::Line l = fc::FitLine(s);
  EXPECT_LT(l.r2, 1.0);
  EXPECT_GT(l.r2, 0.9);
  EXPECT_NEAR(*fc::Crossing(l, 110, 119), 200, 200 * 0.05);
}

TEST(ForecastTest, DegenerateInputsGiveNothing) {
  EXPECT_EQ(fc::FitLine({}).n, 0u);
  EXPECT_FALSE(fc::Crossing(fc::FitLine({{0, 1}}), 5, 0).has_value());
  fc::Line flat = fc::FitLine({{0, 5}, {1, 5}, {2, 5}});
  EXPECT_EQ(flat.slope, 0);
  EXPECT_EQ(flat.r2, 1);
  EXPECT_FALSE(fc::Crossing(flat, 6, 2).has_value());
  EXPECT_EQ(fc::FitHolt({{0, 1}}).n, 0u);
  EXPECT_FALSE(fc::RobustZ({1, 2, 3}, 10).has_value());
}

TEST(ForecastTest, HoltFollowsATrendAndAFlatSeriesStaysFlat) {
  std::vector<fc::Point> s;
  for (int i = 0; i < 100; ++i) s.push_back({i * 60.0, 1000 + 5.0 * i});  // +5 a minute
  fc::Holt h = fc::FitHolt(s);
  EXPECT_NEAR(h.step_s, 60, 1e-9);
  // An hour after the last point (t = 99 min): 1000 + 5 x 159.
  EXPECT_NEAR(h.At(3600), 1795, 1795 * 0.01);
  EXPECT_NEAR(h.resid_sd, 0, 1e-6);
  for (auto& p : s) p.y = 42;
  fc::Holt flat = fc::FitHolt(s);
  EXPECT_NEAR(flat.At(86400), 42, 1e-9);
  EXPECT_NEAR(flat.Spread(86400), 0, 1e-9);
  // Noise widens the interval, and further ahead more.
  for (size_t i = 0; i < s.size(); ++i) s[i].y = 42 + 3 * Wobble(static_cast<int>(i));
  fc::Holt noisy = fc::FitHolt(s);
  EXPECT_GT(noisy.Spread(60), 0);
  EXPECT_GT(noisy.Spread(6000), noisy.Spread(60));
}

TEST(ForecastTest, RobustZScoresAnOutlierAndIgnoresOneInTheBaseline) {
  std::vector<double> base = {10, 11, 9, 10, 10, 12, 8, 10, 11, 9};
  // median 10, MAD 1 -> spread 1.4826.
  EXPECT_NEAR(*fc::RobustZ(base, 30), 20 / 1.4826, 1e-9);
  EXPECT_NEAR(*fc::RobustZ(base, 10), 0, 1e-12);
  base.push_back(1000);  // one wild value in the baseline barely moves it
  EXPECT_GT(*fc::RobustZ(base, 30), 10);
  // A flat baseline: any change is an outlier, no change is none.
  std::vector<double> flat(10, 0.0);
  EXPECT_EQ(*fc::RobustZ(flat, 0), 0);
  EXPECT_GT(*fc::RobustZ(flat, 1), 1e6);
}

// n one-second samples of a pipeline gen -> work -> out with set(i, node, v).
template <typename F>
ai::OpsInput History(int n, F&& set) {
  ai::OpsInput in;
  in.name = "p";
  in.since = "1h";
  in.now_ms = kT0 + n * 1000;
  for (const char* id : {"work", "out"}) {
    NodeSnapshot s;
    s.id = id;
    s.kind = std::string(id) == "out" ? "sink" : "processor";
    s.queue_capacity = 40;
    in.snapshot.nodes.push_back(s);
  }
  for (const char* node : {"*", "work", "out"})
    for (int i = 0; i < n; ++i) {
      store::MetricPoint p;
      p.node = node;
      p.ts_ms = kT0 + i * 1000;
      p.v[store::kIntervalS] = 1;
      p.v[store::kInPerS] = p.v[store::kOutPerS] = 100;
      p.v[store::kRssMb] = 100;
      p.v[store::kP99Us] = 500;
      set(i, p.node, p.v);
      in.points.push_back(p);
    }
  return in;
}

using V = std::array<double, store::kMetricCount>;

TEST(PredictTest, AQueueGrowingAtASteadyRateFillsWhenTheLineSays) {
  // work's queue grows 0.5 batches a second from 0: at t = 59 it holds 29.5
  // of 40, full at t = 80, 21 s after the last sample.
  auto in = History(60, [](int i, const std::string& node, V& v) {
    if (node == "work") v[store::kQueueDepth] = 0.5 * i;
  });
  ai::PredictOptions o;
  o.memory_limit_mb = 1e6;
  auto r = ai::PredictFailures(in, o);
  ASSERT_EQ(r.failures.size(), 1u) << ai::ToJson(r).dump(2);
  const auto& f = r.failures[0];
  EXPECT_EQ(f.kind, "queue_full");
  EXPECT_EQ(f.node, "work");
  EXPECT_NEAR(f.eta_s, 21, 1e-6);
  EXPECT_NEAR(f.score, 1, 1e-9);
  EXPECT_EQ(f.threshold, 40);
  // Beyond the horizon it is not a prediction of this report.
  o.horizon_s = 10;
  EXPECT_TRUE(ai::PredictFailures(in, o).failures.empty());
}

TEST(PredictTest, MemoryAndErrorTrendsAreExtrapolatedToTheirLimits) {
  // Memory +2 MB/s from 100 against a 1000 MB limit (threshold 900): at
  // t = 99 it is 298, the line reaches 900 at t = 400. Errors rise 0.05%
  // of the input a second: 10% at t = 200.
  auto in = History(100, [](int i, const std::string& node, V& v) {
    if (node == "*") v[store::kRssMb] = 100 + 2.0 * i;
    if (node == "work") v[store::kErrorsPerS] = 100 * 0.0005 * i;
  });
  ai::PredictOptions o;
  o.memory_limit_mb = 1000;
  o.horizon_s = 3600;
  auto r = ai::PredictFailures(in, o);
  ASSERT_EQ(r.failures.size(), 2u) << ai::ToJson(r).dump(2);
  EXPECT_EQ(r.failures[0].kind, "error_rate");  // soonest first
  EXPECT_NEAR(r.failures[0].eta_s, 101, 1e-6);
  EXPECT_EQ(r.failures[1].kind, "memory_exhaustion");
  EXPECT_NEAR(r.failures[1].eta_s, 301, 1e-6);
  EXPECT_NEAR(r.failures[1].threshold, 900, 1e-9);
}

TEST(PredictTest, ASteadyPipelinePredictsNothing) {
  auto in = History(300, [](int i, const std::string&, V& v) {
    v[store::kInPerS] = 100 + Wobble(i);
    v[store::kQueueDepth] = 2 + Wobble(i + 7);
  });
  ai::PredictOptions o;
  o.memory_limit_mb = 1000;
  o.horizon_s = 86400;
  auto r = ai::PredictFailures(in, o);
  EXPECT_TRUE(r.failures.empty()) << ai::ToJson(r).dump(2);
  EXPECT_TRUE(r.anomalies.empty()) << ai::ToJson(r).dump(2);
}

TEST(PredictTest, ASuddenDropIsAnAnomalyAtItsTime) {
  auto in = History(120, [](int i, const std::string& node, V& v) {
    v[store::kInPerS] = 100 + Wobble(i);
    if (node == "work" && i == 117) v[store::kInPerS] = 20;
  });
  ai::PredictOptions o;
  o.memory_limit_mb = 1000;
  auto r = ai::PredictFailures(in, o);
  ASSERT_EQ(r.anomalies.size(), 1u) << ai::ToJson(r).dump(2);
  EXPECT_EQ(r.anomalies[0].node, "work");
  EXPECT_EQ(r.anomalies[0].metric, "in_per_s");
  EXPECT_EQ(r.anomalies[0].ts_ms, kT0 + 117'000);
  EXPECT_LT(r.anomalies[0].z, -3.5);
  EXPECT_NEAR(r.anomalies[0].baseline, 100, 1);
}

TEST(PredictTest, CapacityForecastsFollowTheThroughputTrend) {
  // Throughput +1 event/s every second from 100: at t = 599, 699; an hour
  // later the trend says 4299.
  auto in = History(600, [](int i, const std::string& node, V& v) {
    if (node == "*") v[store::kInPerS] = 100 + i;
  });
  ai::PredictOptions o;
  o.memory_limit_mb = 1000;
  o.forecast_s = 3600;
  auto r = ai::PredictFailures(in, o);
  ASSERT_FALSE(r.forecasts.empty());
  EXPECT_EQ(r.forecasts[0].metric, "throughput_eps");
  EXPECT_NEAR(r.forecasts[0].now, 699, 1e-6);
  EXPECT_NEAR(r.forecasts[0].at, 4299, 4299 * 0.02);
  EXPECT_LE(r.forecasts[0].low, r.forecasts[0].at);
  EXPECT_GE(r.forecasts[0].high, r.forecasts[0].at);
  EXPECT_FALSE(r.forecasts[0].note.empty());  // 6x the data: said so
}

TEST(PredictTest, SensitivityNames) {
  EXPECT_EQ(*ai::SensitivityZ("high"), 3.0);
  EXPECT_EQ(*ai::SensitivityZ(""), 3.5);
  EXPECT_EQ(*ai::SensitivityZ("low"), 5.0);
  EXPECT_FALSE(ai::SensitivityZ("extreme").ok());
}

}  // namespace
}  // namespace flowctl

namespace flowctl {
namespace {

TEST(MonitorGlobTest, StarAndQuestionMark) {
  EXPECT_TRUE(ai::GlobMatch("production-pipeline-*", "production-pipeline-eu"));
  EXPECT_TRUE(ai::GlobMatch("*", "anything"));
  EXPECT_TRUE(ai::GlobMatch("ra?p", "ramp"));
  EXPECT_TRUE(ai::GlobMatch("a*b*c", "axxbyyc"));
  EXPECT_FALSE(ai::GlobMatch("a*b*c", "axxbyy"));
  EXPECT_FALSE(ai::GlobMatch("orders", "orders-2"));
  EXPECT_FALSE(ai::GlobMatch("ra?p", "rap"));
}

}  // namespace
}  // namespace flowctl

namespace flowctl {
namespace {

TEST(MonitorDocumentTest, WhatAiCreateWritesLoadsAndTargetsThePipeline) {
  config::LoadOptions lo;
  auto r = config::LoadString(ai::MonitorDocumentFor("orders"), "m.yaml", lo);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.documents.size(), 1u);
  const MonitorSpec& m = r.documents[0].monitor;
  EXPECT_EQ(r.documents[0].metadata.name, "orders-monitor");
  EXPECT_EQ(m.targets, (std::vector<std::string>{"orders"}));
  ASSERT_EQ(m.predictions.size(), 3u);
  EXPECT_EQ(m.predictions[0].advance_warning_s, 1800);
  EXPECT_EQ(m.on_predicted_failure.size(), 2u);
}

}  // namespace
}  // namespace flowctl
