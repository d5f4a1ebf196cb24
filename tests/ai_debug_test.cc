// ai debug's detectors (ai/ops.h) on synthetic histories with known
// answers, and the runtime's error grouping (runtime/metrics.h). The e2e
// test_ai_debug.sh covers failures on real runs; these cover the detectors
// whose faults are slow to provoke for real.
#include <gtest/gtest.h>

#include "flowctl/ai/ops.h"
#include "flowctl/config/loader.h"
#include "flowctl/runtime/metrics.h"
#include "flowctl/store/metric_history.h"

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
    - {id: slow, type: filter, inputs: [gen], config: {condition: "id > 0"}}
  sinks:
    - {id: out, type: file, inputs: [slow], config: {path: out/p.jsonl}}
)";

// n one-second samples per node; set(i, node, v) fills sample i.
template <typename F>
ai::OpsInput History(int n, F&& set) {
  ai::OpsInput in;
  in.name = "p";
  in.now_ms = kT0 + n * 1000;
  in.yaml = kYaml;
  for (const char* node : {"*", "gen", "out", "slow"})
    for (int i = 0; i < n; ++i) {
      store::MetricPoint p;
      p.node = node;
      p.ts_ms = kT0 + i * 1000;
      p.v[store::kIntervalS] = 1;
      p.v[store::kInPerS] = p.v[store::kOutPerS] = 100;
      p.v[store::kP99Us] = 200;
      p.v[store::kBusy] = 0.1;
      p.v[store::kRssMb] = 50;
      set(i, p.node, p.v);
      in.points.push_back(p);
    }
  return in;
}

const ai::Finding* Find(const ai::DebugReport& r, const std::string& kind) {
  for (const auto& f : r.findings)
    if (f.kind == kind) return &f;
  return nullptr;
}

using V = std::array<double, store::kMetricCount>;

TEST(AiDebugTest, AHealthyHistoryHasNoFindings) {
  auto r = ai::DebugPipeline(History(120, [](int, const std::string&, V&) {}));
  EXPECT_TRUE(r.findings.empty()) << ai::ToJson(r).dump();
  EXPECT_EQ(r.samples, 120u);
  EXPECT_EQ(r.from_ms, kT0);
  EXPECT_EQ(r.to_ms, kT0 + 120 * 1000);
}

TEST(AiDebugTest, BottleneckWithAConcurrencyFixThatLoads) {
  auto in = History(60, [](int, const std::string& node, V& v) {
    if (node == "slow") {
      v[store::kBusy] = 0.97;
      v[store::kQueueDepth] = 8;
    }
  });
  auto r = ai::DebugPipeline(in);
  const ai::Finding* f = Find(r, "bottleneck");
  ASSERT_NE(f, nullptr) << ai::ToJson(r).dump();
  EXPECT_EQ(f->node, "slow");
  EXPECT_NEAR(f->evidence["busy"].get<double>(), 0.97, 1e-9);
  EXPECT_EQ(f->evidence["queue_depth_max"], 8);
  ASSERT_FALSE(f->fix_yaml.empty());
  auto loaded = config::LoadString(f->fix_yaml, "fix.yaml", {});
  ASSERT_TRUE(loaded.ok());
  for (const NodeSpec* n : loaded.documents[0].pipeline.AllNodes())
    EXPECT_EQ(n->concurrency, n->id == "slow" ? 2 : 0) << n->id;
  // Only that node: the others are idle enough.
  EXPECT_EQ(r.findings.size(), 1u) << ai::ToJson(r).dump();
}

TEST(AiDebugTest, LatencySpikeIsPlacedInTime) {
  // p99 200 us, then 5000 us for seconds 40..44.
  auto r = ai::DebugPipeline(History(90, [](int i, const std::string& node, V& v) {
    if (node == "slow" && i >= 40 && i < 45) v[store::kP99Us] = 5000;
  }));
  const ai::Finding* f = Find(r, "latency_spike");
  ASSERT_NE(f, nullptr) << ai::ToJson(r).dump();
  EXPECT_EQ(f->node, "slow");
  EXPECT_EQ(f->from_ms, kT0 + 40 * 1000);
  EXPECT_EQ(f->to_ms, kT0 + 45 * 1000);
  EXPECT_DOUBLE_EQ(f->evidence["factor"].get<double>(), 25);
  EXPECT_EQ(f->evidence["intervals"], 5);
}

TEST(AiDebugTest, SmallJitterIsNoSpike) {
  // 5x, but under a millisecond: batches of a few events jitter like that.
  auto r = ai::DebugPipeline(History(90, [](int i, const std::string& node, V& v) {
    if (node == "slow" && i == 50) v[store::kP99Us] = 999;
  }));
  EXPECT_EQ(Find(r, "latency_spike"), nullptr) << ai::ToJson(r).dump();
  // Over a millisecond for one interval only: one descheduled batch.
  r = ai::DebugPipeline(History(90, [](int i, const std::string& node, V& v) {
    if (node == "slow" && i == 50) v[store::kP99Us] = 4096;
  }));
  EXPECT_EQ(Find(r, "latency_spike"), nullptr) << ai::ToJson(r).dump();
  // Two intervals of it, or one far above it, are a spike.
  r = ai::DebugPipeline(History(90, [](int i, const std::string& node, V& v) {
    if (node == "slow" && (i == 50 || i == 51)) v[store::kP99Us] = 4096;
  }));
  EXPECT_NE(Find(r, "latency_spike"), nullptr) << ai::ToJson(r).dump();
  r = ai::DebugPipeline(History(90, [](int i, const std::string& node, V& v) {
    if (node == "slow" && i == 50) v[store::kP99Us] = 16384;
  }));
  EXPECT_NE(Find(r, "latency_spike"), nullptr) << ai::ToJson(r).dump();
}

TEST(AiDebugTest, MemoryGrowthHasItsSlope) {
  // 50 MB growing 1 MB a minute: 60 MB/h over a mean of ~80 MB.
  auto r = ai::DebugPipeline(History(3600, [](int i, const std::string& node, V& v) {
    if (node == "*") v[store::kRssMb] = 50 + i / 60.0;
  }));
  const ai::Finding* f = Find(r, "memory_growth");
  ASSERT_NE(f, nullptr) << ai::ToJson(r).dump();
  EXPECT_NEAR(f->evidence["slope_mb_per_h"].get<double>(), 60, 0.1);
}

TEST(AiDebugTest, IdleSourceSaysSince) {
  auto r = ai::DebugPipeline(History(100, [](int i, const std::string& node, V& v) {
    if (node == "gen" && i >= 55) v[store::kOutPerS] = 0;
  }));
  const ai::Finding* f = Find(r, "idle_source");
  ASSERT_NE(f, nullptr) << ai::ToJson(r).dump();
  EXPECT_EQ(f->node, "gen");
  EXPECT_EQ(f->from_ms, kT0 + 55 * 1000);
  EXPECT_EQ(f->evidence["idle_s"], 45);
  // 20 idle seconds are not yet a finding.
  auto short_idle = ai::DebugPipeline(History(100, [](int i, const std::string& node, V& v) {
    if (node == "gen" && i >= 80) v[store::kOutPerS] = 0;
  }));
  EXPECT_EQ(Find(short_idle, "idle_source"), nullptr);
}

TEST(AiDebugTest, GrowingDeadLettersAreAWarning) {
  auto r = ai::DebugPipeline(History(60, [](int i, const std::string& node, V& v) {
    if (node == "slow") v[store::kDeadLetteredPerS] = i < 30 ? 0.1 : 2;
  }));
  const ai::Finding* f = Find(r, "dead_letters");
  ASSERT_NE(f, nullptr) << ai::ToJson(r).dump();
  EXPECT_EQ(f->severity, "warning");
  EXPECT_EQ(f->evidence["first_half"], 3);
  EXPECT_EQ(f->evidence["second_half"], 60);
}

TEST(AiDebugTest, AJumpInModelCostPerEventIsAFinding) {
  // 100 events/s at 0.36 USD/h (1e-6 USD an event, with small wobble); at
  // i = 70 the cost per event is 8x.
  auto r = ai::DebugPipeline(History(90, [](int i, const std::string& node, V& v) {
    if (node != "slow") return;
    v[store::kAiCallsPerS] = 100;
    v[store::kAiCostUsdPerH] = 0.36 * (1 + 0.01 * (i % 5));
    if (i == 70) v[store::kAiCostUsdPerH] = 0.36 * 8;
  }));
  const ai::Finding* f = Find(r, "ai_cost");
  ASSERT_NE(f, nullptr) << ai::ToJson(r).dump();
  EXPECT_EQ(f->node, "slow");
  EXPECT_EQ(f->from_ms, kT0 + 70 * 1000);
  EXPECT_NEAR(f->evidence["cost_per_event_usd"].get<double>(), 8e-6, 1e-12);
  EXPECT_NEAR(f->evidence["median_cost_per_event_usd"].get<double>(), 1.02e-6, 1e-8);
  // A steady cost is none.
  auto steady = ai::DebugPipeline(History(90, [](int i, const std::string& node, V& v) {
    if (node == "slow") v[store::kAiCostUsdPerH] = 0.36 * (1 + 0.01 * (i % 5));
  }));
  EXPECT_EQ(Find(steady, "ai_cost"), nullptr);
}

TEST(ErrorSamplerTest, GroupsByTemplateAndBoundsWhatItKeeps) {
  EXPECT_EQ(MessageTemplate("set x: column 4: division by zero"),
            "set x: column N division by zero");
  EXPECT_EQ(MessageTemplate("no field 'amount' in event 17"), "no field '\u2026' in event N");
  ErrorSampler s;
  std::vector<std::string> batch;
  for (int i = 0; i < 10; ++i) batch.push_back("bad value " + std::to_string(i));
  batch.push_back("other thing");
  int examples = 0;
  s.Record(batch, kT0, [&](size_t i) {
    ++examples;
    return "event " + std::to_string(i);
  });
  auto c = s.Clusters();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].message_template, "bad value N");
  EXPECT_EQ(c[0].count, 10u);
  EXPECT_EQ(c[0].examples, (std::vector<std::string>{"event 0", "event 1", "event 2"}));
  EXPECT_EQ(c[1].count, 1u);
  EXPECT_EQ(examples, 4);  // asked only while a cluster wanted one
  // Past kMaxClusters templates, the rest count under one group.
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i)
    many.push_back("kind" + std::string(1, static_cast<char>('a' + i % 26)) +
                   std::string(i / 26, 'z'));
  s.Record(many, kT0, [](size_t) { return std::string("e"); });
  auto all = s.Clusters();
  EXPECT_EQ(all.size(), ErrorSampler::kMaxClusters);
  EXPECT_EQ(all.back().message_template, "(other messages)");
  uint64_t total = 0;
  for (const auto& x : all) total += x.count;
  EXPECT_EQ(total, 51u);
}

// An epoch of n sampled events of gen: {id, <field>: v}.
store::SchemaEpoch Epoch(int64_t from_ms, int64_t to_ms, const std::string& field, Value v) {
  store::SchemaEpoch e;
  e.node = "gen";
  e.from_ms = from_ms;
  e.to_ms = to_ms;
  for (int i = 0; i < 200; ++i) {
    Value ev = Value::MakeObject();
    ev.Set("id", Value(i));
    ev.Set(field, v);
    e.profile.Add(ev);
  }
  return e;
}

TEST(AiDebugTest, SchemaDriftMatchedToTheFailuresItCaused) {
  // From second 60 on, amount arrives as a string and 'slow' fails on 40%.
  auto in = History(120, [](int i, const std::string& node, V& v) {
    if (node == "slow" && i >= 60) v[store::kErrorsPerS] = 40;
  });
  in.schemas = {Epoch(kT0, kT0 + 60000, "amount", Value(2.5)),
                Epoch(kT0 + 60000, kT0 + 120000, "amount", Value("2.5"))};
  auto r = ai::DebugPipeline(in);
  const ai::Finding* f = Find(r, "schema_drift");
  ASSERT_NE(f, nullptr) << ai::ToJson(r).dump();
  EXPECT_EQ(f->node, "gen");
  EXPECT_EQ(f->severity, "warning");
  EXPECT_EQ(f->from_ms, kT0 + 60000);
  const auto& c = f->evidence["changes"][0];
  EXPECT_EQ(c["field"], "amount");
  EXPECT_EQ(c["change"], "type_changed");
  EXPECT_EQ(c["type_before"], "number");
  EXPECT_EQ(c["type_after"], "string");
  const auto& started = f->evidence["errors_started"];
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["node"], "slow");
  EXPECT_NEAR(started[0]["failure_share_after"].get<double>(), 0.4, 1e-9);
  EXPECT_EQ(started[0]["first_failure_ms"], kT0 + 60000);
  // The fix: a transform right after the source turns the strings back.
  auto fixed = config::LoadString(f->fix_yaml, "fix", {});
  ASSERT_TRUE(fixed.ok()) << f->fix_yaml;
  const auto& spec = fixed.documents[0].pipeline;
  ASSERT_EQ(spec.processors.size(), 2u);
  EXPECT_EQ(spec.processors[0].id, "gen_normalize");
  EXPECT_EQ(spec.processors[0].inputs, std::vector<std::string>{"gen"});
  EXPECT_EQ(spec.processors[0].config["set"]["amount"], "double(amount)");
  EXPECT_EQ(spec.processors[1].inputs, std::vector<std::string>{"gen_normalize"});

  // A rename (same name folded) maps the new field to the old name; with
  // the transform already there, no second one is offered.
  in.schemas = {Epoch(kT0, kT0 + 60000, "user_id", Value(7)),
                Epoch(kT0 + 60000, kT0 + 120000, "userId", Value(7))};
  r = ai::DebugPipeline(in);
  f = Find(r, "schema_drift");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->evidence["changes"].size(), 2u);
  fixed = config::LoadString(f->fix_yaml, "fix", {});
  ASSERT_TRUE(fixed.ok()) << f->fix_yaml;
  EXPECT_EQ(fixed.documents[0].pipeline.processors[0].config["set"]["user_id"],
            "has(user_id) ? user_id : userId");
  in.yaml = f->fix_yaml;
  r = ai::DebugPipeline(in);
  f = Find(r, "schema_drift");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->fix_yaml.empty());

  // A change with no failures after it is information only.
  auto quiet = History(120, [](int, const std::string&, V&) {});
  quiet.schemas = {Epoch(kT0, kT0 + 60000, "a", Value(1)),
                   Epoch(kT0 + 60000, kT0 + 120000, "b", Value(true))};
  r = ai::DebugPipeline(quiet);
  f = Find(r, "schema_drift");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, "info");
  EXPECT_TRUE(f->evidence["errors_started"].empty());
}

}  // namespace
}  // namespace flowctl
