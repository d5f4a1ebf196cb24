// The metric history (store/metric_history.h) and the feed that turns run
// snapshots into its samples (engine/metric_feed.h), on a fake clock.
#include "flowctl/store/metric_history.h"

#include <gtest/gtest.h>

#include "flowctl/engine/metric_feed.h"
#include "test_util.h"

namespace flowctl {
namespace {

using store::MetricHistory;
using store::MetricPoint;

constexpr int64_t kT0 = 1'699'999'200'000;  // an hour boundary

MetricPoint Point(const std::string& node, int64_t ts, double in, double p99) {
  MetricPoint p;
  p.node = node;
  p.ts_ms = ts;
  p.v[store::kInPerS] = in;
  p.v[store::kP99Us] = p99;
  return p;
}

std::unique_ptr<MetricHistory> OpenMem() {
  auto h = MetricHistory::Open(":memory:");
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return std::move(h).value();
}

TEST(MetricHistoryTest, SecondsFoldIntoMinutesByMeanAndMax) {
  auto h = OpenMem();
  ASSERT_EQ(kT0 % 3600000, 0);
  // Three full minutes of one sample a second: in = the second of the
  // minute (mean 29.5), p99 = 100 except one spike of 5000 in minute 2.
  for (int s = 0; s <= 180; ++s) {
    int64_t ts = kT0 + s * 1000;
    double p99 = s == 75 ? 5000 : 100;
    ASSERT_TRUE(h->Add("p", {Point("a", ts, s % 60, p99)}, ts + 1000).ok());
  }
  int64_t now = kT0 + 181 * 1000;
  auto secs = h->Query("p", "a", now - 3600 * 1000, now, now);
  ASSERT_TRUE(secs.ok());
  EXPECT_EQ(secs->size(), 181u);
  EXPECT_EQ(secs->front().resolution_s, 1);
  // Asking further back than an hour reads the minute tier.
  auto mins = h->Query("p", "a", now - 2 * 3600 * 1000, now, now);
  ASSERT_TRUE(mins.ok());
  ASSERT_EQ(mins->size(), 3u);  // the fourth minute is still open
  for (const auto& m : *mins) {
    EXPECT_EQ(m.resolution_s, 60);
    EXPECT_DOUBLE_EQ(m.v[store::kInPerS], 29.5);
  }
  EXPECT_EQ((*mins)[0].v[store::kP99Us], 100);
  EXPECT_EQ((*mins)[1].v[store::kP99Us], 5000);  // max keeps the spike
  EXPECT_EQ((*mins)[1].ts_ms, kT0 + 60000);
}

TEST(MetricHistoryTest, ThirtyDaysStayWithinTheBoundAndQueryable) {
  auto h = OpenMem();
  // 30 simulated days, two nodes, one sample a minute (a 1 s feed has the
  // same coarse tiers; tier 0 is bounded by its hour alone).
  int64_t end = kT0 + 30LL * 86400 * 1000;
  for (int64_t ts = kT0; ts < end; ts += 60000) {
    Status st = h->Add("p", {Point("a", ts, 1, 1), Point("b", ts, 2, 2)}, ts + 1000);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  auto counts = h->RowCounts();
  ASSERT_TRUE(counts.ok());
  std::map<int, int64_t> by_res(counts->begin(), counts->end());
  // Per node: tier 0 <= 1 h of samples, tier 1 <= 7 d of minutes, tier 2
  // <= 30 d of hours (its retention is 90 d).
  EXPECT_LE(by_res[1], 2 * 62);
  EXPECT_LE(by_res[60], 2 * (7 * 1440 + 2));
  EXPECT_GE(by_res[60], 2 * (7 * 1440 - 2));
  EXPECT_LE(by_res[3600], 2 * (30 * 24 + 1));
  EXPECT_GE(by_res[3600], 2 * (30 * 24 - 1));
  // The whole month reads back from the hour tier.
  auto month = h->Query("p", "b", kT0, end, end);
  ASSERT_TRUE(month.ok());
  EXPECT_GE(month->size(), 30u * 24 - 1);
  for (const auto& p : *month) EXPECT_DOUBLE_EQ(p.v[store::kInPerS], 2);
}

TEST(MetricHistoryTest, SurvivesAReopen) {
  testing::TempDir dir;
  std::string path = dir.File("metrics.db");
  {
    auto h = MetricHistory::Open(path);
    ASSERT_TRUE(h.ok());
    for (int s = 0; s < 70; ++s)
      ASSERT_TRUE((*h)->Add("p", {Point("a", kT0 + s * 1000, 7, 1)}, kT0 + (s + 1) * 1000).ok());
  }
  auto h = MetricHistory::Open(path);
  ASSERT_TRUE(h.ok());
  int64_t now = kT0 + 130 * 1000;
  ASSERT_TRUE((*h)->Add("p", {Point("a", now - 1000, 7, 1)}, now).ok());
  auto secs = (*h)->Query("p", "", kT0, now, now);
  ASSERT_TRUE(secs.ok());
  EXPECT_EQ(secs->size(), 71u);
  auto mins = (*h)->Query("p", "a", now - 2 * 3600 * 1000, now, now);
  ASSERT_TRUE(mins.ok());
  EXPECT_EQ(mins->size(), 2u);  // minute 1 was folded after the reopen
  auto pipelines = (*h)->Pipelines();
  ASSERT_TRUE(pipelines.ok());
  EXPECT_EQ(*pipelines, std::vector<std::string>{"p"});
}

// A profile of n events: {id: number, <field>: value of kind}.
SchemaProfile Profile(int n, const std::string& field, Value v) {
  SchemaProfile p;
  for (int i = 0; i < n; ++i) {
    Value e = Value::MakeObject();
    e.Set("id", Value(i));
    if (!field.empty()) e.Set(field, v);
    p.Add(e);
  }
  return p;
}

TEST(SchemaProfileTest, ShapeChangesWithHysteresis) {
  SchemaProfile before = Profile(100, "amount", Value(1.5));
  // int and double are one kind.
  EXPECT_TRUE(ShapeChanges(before, Profile(50, "amount", Value(3))).empty());
  auto kind = ShapeChanges(before, Profile(50, "amount", Value("3")));
  ASSERT_EQ(kind.size(), 1u);
  EXPECT_EQ(kind[0].what, FieldChange::kKindChanged);
  EXPECT_STREQ(JsonKindName(kind[0].kind_before), "number");
  EXPECT_STREQ(JsonKindName(kind[0].kind_after), "string");
  auto renamed = ShapeChanges(before, Profile(50, "total", Value(2.0)));
  ASSERT_EQ(renamed.size(), 2u);  // sorted by name
  EXPECT_EQ(renamed[0].field, "amount");
  EXPECT_EQ(renamed[0].what, FieldChange::kDisappeared);
  EXPECT_EQ(renamed[1].field, "total");
  EXPECT_EQ(renamed[1].what, FieldChange::kAppeared);
  // A field in a third of the events neither appears nor disappears.
  SchemaProfile some = Profile(20, "", Value());
  some.Merge(Profile(10, "note", Value("x")));
  EXPECT_TRUE(ShapeChanges(Profile(30, "", Value()), some).empty());
  // Since: what a cumulative profile gained.
  SchemaProfile total = before;
  total.Merge(Profile(10, "total", Value(1)));
  SchemaProfile d = total.Since(before);
  EXPECT_EQ(d.sampled, 10);
  EXPECT_EQ(d.fields.at("total").present, 10);
  EXPECT_EQ(d.fields.count("amount"), 0u);
  // Bounded: an event with more fields than kMaxFields keeps the first ones.
  Value wide = Value::MakeObject();
  for (size_t i = 0; i < SchemaProfile::kMaxFields + 10; ++i)
    wide.Set("f" + std::to_string(i), Value(1));
  SchemaProfile w;
  w.Add(wide);
  EXPECT_EQ(w.fields.size(), SchemaProfile::kMaxFields);
  EXPECT_EQ(w.other_fields, 10);
}

TEST(MetricHistoryTest, SchemaEpochsChangeOnlyWithTheShape) {
  testing::TempDir dir;
  std::string path = dir.File("metrics.db");
  int64_t t = kT0;
  {
    auto h = MetricHistory::Open(path);
    ASSERT_TRUE(h.ok());
    // 60 s of numbers (a few events a second: stored once 16 are pending),
    for (int s = 0; s < 60; ++s, t += 1000)
      ASSERT_TRUE(
          (*h)->AddSchema("p", "in", Profile(5, "amount", Value(2.5)), t, t + 1000, false).ok());
    // then strings: a new epoch where the change was first seen.
    for (int s = 0; s < 30; ++s, t += 1000)
      ASSERT_TRUE(
          (*h)->AddSchema("p", "in", Profile(5, "amount", Value("2.5")), t, t + 1000, s == 29)
              .ok());
  }
  auto h = MetricHistory::Open(path);  // survives a reopen
  ASSERT_TRUE(h.ok());
  auto epochs = (*h)->Schemas("p", "", kT0);
  ASSERT_TRUE(epochs.ok());
  ASSERT_EQ(epochs->size(), 2u);
  const auto& a = (*epochs)[0];
  const auto& b = (*epochs)[1];
  EXPECT_EQ(a.node, "in");
  EXPECT_EQ(a.from_ms, kT0);
  EXPECT_EQ(a.profile.fields.at("amount").kinds[kKindNumber], a.profile.sampled);
  // The boundary: within the 4 s it takes to gather 16 events.
  EXPECT_GE(b.from_ms, kT0 + 56 * 1000);
  EXPECT_LE(b.from_ms, kT0 + 60 * 1000);
  EXPECT_EQ(b.to_ms, t);
  EXPECT_EQ(b.profile.sampled + a.profile.sampled, 90 * 5);
  EXPECT_GT(b.profile.fields.at("amount").kinds[kKindString], 0);
  // Only epochs reaching into the window.
  auto recent = (*h)->Schemas("p", "in", kT0 + 70 * 1000);
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(recent->size(), 1u);
  // Bounded: a shape flapping every block keeps the newest kMaxEpochs.
  for (int s = 0; s < 200; ++s, t += 1000)
    ASSERT_TRUE(
        (*h)->AddSchema("p", "in", Profile(16, s % 2 ? "x" : "y", Value(1)), t, t + 1000, false)
            .ok());
  auto all = (*h)->Schemas("p", "in", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 64u);
}

TEST(MetricHistoryTest, ParseSpan) {
  EXPECT_EQ(store::ParseSpan("90s").value(), 90);
  EXPECT_EQ(store::ParseSpan("15m").value(), 900);
  EXPECT_EQ(store::ParseSpan("24h").value(), 86400);
  EXPECT_EQ(store::ParseSpan("30d").value(), 30 * 86400);
  for (const char* bad : {"", "h", "1", "1w", "-1h", "1.5h", "99999999999h"})
    EXPECT_FALSE(store::ParseSpan(bad).ok()) << bad;
}

NodeSnapshot Node(const char* id, const char* kind, uint64_t in, uint64_t out, double busy_ms) {
  NodeSnapshot n;
  n.id = id;
  n.kind = kind;
  n.in = in;
  n.out = out;
  n.busy_ms = busy_ms;
  n.concurrency = 2;
  return n;
}

TEST(MetricFeedTest, RatesAreDeltasOverTheInterval) {
  engine::MetricFeed feed;
  RunSnapshot a;
  a.nodes = {Node("src", "source", 0, 100, 0), Node("f", "processor", 100, 50, 100),
             Node("out", "sink", 50, 50, 10)};
  a.nodes[1].latency_buckets[3] = 10;
  a.elapsed_s = 1;
  EXPECT_EQ(feed.Observe(a, kT0).size(), 4u);  // its first second, from zero
  RunSnapshot b = a;
  b.nodes[0].out = 2100;
  b.nodes[1].in = 2100;
  b.nodes[1].out = 1050;
  b.nodes[1].errors = 20;
  b.nodes[1].busy_ms = 100 + 1000;  // half of 2 workers x 1 s
  b.nodes[1].queue_depth = 42;
  b.nodes[1].latency_buckets[3] = 10 + 98;  // this interval: 98 under 8 us
  b.nodes[1].latency_buckets[12] = 2;       // and 2 under 4096 us
  b.nodes[2].in = 1050;
  b.nodes[2].out = 1050;
  b.nodes[1].counters = {{"ai_calls", 40}, {"ai_cost_micro_usd", 2000}};
  auto pts = feed.Observe(b, kT0 + 2000);  // 2 s later
  ASSERT_EQ(pts.size(), 4u);
  const auto& f = pts[1].v;
  EXPECT_EQ(pts[1].node, "f");
  EXPECT_EQ(pts[1].ts_ms, kT0);
  EXPECT_DOUBLE_EQ(f[store::kInPerS], 1000);
  EXPECT_DOUBLE_EQ(f[store::kOutPerS], 500);
  EXPECT_DOUBLE_EQ(f[store::kErrorsPerS], 10);
  EXPECT_DOUBLE_EQ(f[store::kBusy], 0.25);  // 1000 ms of 2 x 2000 ms
  EXPECT_DOUBLE_EQ(f[store::kQueueDepth], 42);
  EXPECT_DOUBLE_EQ(f[store::kP50Us], 8);
  EXPECT_DOUBLE_EQ(f[store::kP99Us], 4096);
  EXPECT_DOUBLE_EQ(f[store::kAiCallsPerS], 20);
  EXPECT_DOUBLE_EQ(f[store::kAiCostUsdPerH], 2000 / 1e6 / 2 * 3600);
  const auto& total = pts[3];
  EXPECT_EQ(total.node, store::kPipelineNode);
  EXPECT_DOUBLE_EQ(total.v[store::kInPerS], 1000);  // what sources read
  EXPECT_DOUBLE_EQ(total.v[store::kOutPerS], 500);  // what sinks wrote
  EXPECT_GT(total.v[store::kRssMb], 0);
  // A new run (counters start again) is sampled from its own start, never
  // as negative rates.
  auto again = feed.Observe(a, kT0 + 3000);
  ASSERT_EQ(again.size(), 4u);
  for (const auto& p : again)
    for (double x : p.v) EXPECT_GE(x, 0) << p.node;
  EXPECT_DOUBLE_EQ(again[0].v[store::kOutPerS], 100);  // 100 events in its 1 s
}

// A run first seen after it began (or already over, as a short one on the
// daemon) started at zero: its first sample covers it from its start.
TEST(MetricFeedTest, ARunFirstSeenLateIsSampledFromItsStart) {
  RunSnapshot s;
  s.elapsed_s = 0.5;
  s.nodes = {Node("src", "source", 0, 600, 0), Node("out", "sink", 600, 600, 0)};
  engine::MetricFeed feed;
  auto pts = feed.Observe(s, kT0);
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(pts[0].ts_ms, kT0 - 500);
  EXPECT_DOUBLE_EQ(pts[0].v[store::kOutPerS], 1200);
  EXPECT_DOUBLE_EQ(pts[0].v[store::kIntervalS], 0.5);
  // Intervals under kMinIntervalMs wait for the next call, unless the run
  // is over.
  s.nodes[0].out = 610;
  EXPECT_TRUE(feed.Observe(s, kT0 + 10).empty());
  auto last = feed.Observe(s, kT0 + 20, /*last=*/true);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_DOUBLE_EQ(last[0].v[store::kOutPerS], 500);  // 10 events in 20 ms
}

}  // namespace
}  // namespace flowctl
