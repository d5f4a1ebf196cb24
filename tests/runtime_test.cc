// The runtime with real built-in components plus two test doubles (a flaky
// processor and a slow sink) registered the same way built-ins are.
#include "flowctl/runtime/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace flowctl {
namespace {

using nlohmann::json;
using testing::ReadLines;
using testing::TempDir;

// Fails events whose id is a multiple of `every` for their first
// `fail_times` attempts.
class FlakyProcessor : public Processor {
 public:
  FlakyProcessor(int every, int fail_times) : every_(every), fail_times_(fail_times) {}
  Status Process(std::vector<Event>& events, Emitter& out) override {
    for (auto& e : events) {
      int64_t id = e.body().Find("id")->as_int();
      if (id % every_ == 0 && static_cast<int>(e.attempt) < fail_times_)
        out.Fail(std::move(e), Status::Invalid("flaky failure for id " + std::to_string(id)));
      else
        out.Emit(std::move(e));
    }
    return Status::OK();
  }

 private:
  int every_, fail_times_;
};

std::atomic<uint64_t> g_slow_written{0};

class SlowSink : public Sink {
 public:
  explicit SlowSink(int delay_ms) : delay_ms_(delay_ms) {}
  Status Write(std::vector<Event>& events) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    g_slow_written += events.size();
    return Status::OK();
  }

 private:
  int delay_ms_;
};

class RuntimeTest : public ::testing::Test {
 protected:
  RuntimeTest() {
    RegisterBuiltins(registry_);
    ComponentDescriptor flaky;
    flaky.type = "test-flaky";
    flaky.kind = NodeKind::kProcessor;
    flaky.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
      return std::unique_ptr<Processor>(
          new FlakyProcessor(ctx.config.value("every", 10), ctx.config.value("fail_times", 1000)));
    };
    EXPECT_TRUE(registry_.Register(flaky).ok());
    ComponentDescriptor slow;
    slow.type = "test-slow";
    slow.kind = NodeKind::kSink;
    slow.parallel_safe = false;
    slow.make_sink = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Sink>> {
      return std::unique_ptr<Sink>(new SlowSink(ctx.config.value("delay_ms", 5)));
    };
    EXPECT_TRUE(registry_.Register(slow).ok());
  }

  // Builds and runs a pipeline to the end; returns the final snapshot.
  RunSnapshot RunYaml(const std::string& yaml, Status* final_status = nullptr,
                      RuntimeOptions opts = {}) {
    config::LoadOptions lo;
    lo.vars["DIR"] = dir_.path();
    auto b = testing::BuildFromYaml(yaml, registry_, lo);
    EXPECT_TRUE(b.ok()) << testing::DiagText(b.diagnostics);
    if (!b.ok()) return {};
    graph_ = std::move(b.graph);
    if (opts.workers == 0) opts.workers = 2;
    auto run = Run::Create(*graph_, opts);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    if (!run.ok()) return {};
    EXPECT_TRUE(run.value()->Start().ok());
    Status st = run.value()->Wait();
    if (final_status) *final_status = st;
    else EXPECT_TRUE(st.ok()) << st.ToString();
    return run.value()->Snapshot();
  }

  static const NodeSnapshot& Node(const RunSnapshot& s, const std::string& id) {
    for (const auto& n : s.nodes)
      if (n.id == id) return n;
    static NodeSnapshot none;
    ADD_FAILURE() << "no node " << id;
    return none;
  }

  std::set<int64_t> Ids(const std::string& file) {
    std::set<int64_t> ids;
    for (const auto& line : ReadLines(file)) ids.insert(json::parse(line)["id"].get<int64_t>());
    return ids;
  }

  Registry registry_;
  TempDir dir_;
  std::unique_ptr<Graph> graph_;
};

const char* kHead = "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: rt}\nspec:\n";

TEST_F(RuntimeTest, FanOutAndFanIn) {
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - {id: gen, type: generator, config: {count: 5000, shape: counter}}
  processors:
    - {id: even, type: filter, inputs: [gen], config: {condition: "id % 2 == 0"}}
    - {id: odd, type: filter, inputs: [gen], config: {condition: "id % 2 == 1"}}
  sinks:
    - {id: merged, type: file, inputs: [even, odd], config: {path: "${DIR}/merged.jsonl"}}
    - {id: copy, type: file, inputs: [gen], config: {path: "${DIR}/copy.jsonl"}}
)");
  auto merged = Ids(dir_.File("merged.jsonl"));
  EXPECT_EQ(merged.size(), 5000u);
  EXPECT_EQ(*merged.begin(), 1);
  EXPECT_EQ(*merged.rbegin(), 5000);
  EXPECT_EQ(ReadLines(dir_.File("merged.jsonl")).size(), 5000u);  // no duplicates
  EXPECT_EQ(ReadLines(dir_.File("copy.jsonl")).size(), 5000u);
  EXPECT_EQ(Node(s, "even").out, 2500u);
  EXPECT_EQ(Node(s, "even").dropped, 2500u);
  EXPECT_EQ(Node(s, "merged").in, 5000u);
  EXPECT_EQ(s.state, "succeeded");
}

TEST_F(RuntimeTest, RouteSendsEachEventToItsNamedOutput) {
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - {id: gen, type: generator, config: {count: 4000}}
  processors:
    - id: router
      type: route
      inputs: [gen]
      config:
        routes:
          - {name: hot, when: "priority in ['high', 'critical']"}
          - {name: low, when: "priority == 'low'"}
  sinks:
    - {id: hot, type: file, inputs: [router.hot], config: {path: "${DIR}/hot.jsonl"}}
    - {id: low, type: file, inputs: [router.low], config: {path: "${DIR}/low.jsonl"}}
    - {id: rest, type: file, inputs: [router.default], config: {path: "${DIR}/rest.jsonl"}}
)");
  std::map<std::string, size_t> seen;
  for (const char* f : {"hot", "low", "rest"}) {
    for (const auto& line : ReadLines(dir_.File(std::string(f) + ".jsonl"))) {
      std::string p = json::parse(line)["priority"];
      std::string expect = (p == "high" || p == "critical") ? "hot" : p == "low" ? "low" : "rest";
      EXPECT_EQ(expect, f) << line;
      seen[f]++;
    }
  }
  EXPECT_EQ(seen["hot"] + seen["low"] + seen["rest"], 4000u);
  EXPECT_GT(seen["hot"], 0u);
  EXPECT_GT(seen["rest"], 0u);
  EXPECT_EQ(Node(s, "router").out, 4000u);
}

TEST_F(RuntimeTest, OnErrorDropCountsAndContinues) {
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - {id: gen, type: generator, config: {count: 1000, shape: counter}}
  processors:
    - {id: flaky, type: test-flaky, inputs: [gen], config: {every: 10}, on_error: drop}
  sinks:
    - {id: out, type: file, inputs: [flaky], config: {path: "${DIR}/out.jsonl"}}
)");
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size(), 900u);
  EXPECT_EQ(Node(s, "flaky").errors, 100u);
  EXPECT_EQ(Node(s, "flaky").dropped, 100u);
}

TEST_F(RuntimeTest, PoisonEventsGoToTheDeadLetterSinkWhileTheRestFlows) {
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - {id: gen, type: generator, config: {count: 1000, shape: counter}}
  processors:
    - id: flaky
      type: test-flaky
      inputs: [gen]
      config: {every: 100}
      on_error: {dead_letter: {to: dlq}}
  sinks:
    - {id: out, type: file, inputs: [flaky], config: {path: "${DIR}/out.jsonl"}}
    - {id: dlq, type: dead-letter, config: {path: "${DIR}/dlq.jsonl"}}
)");
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size(), 990u);
  auto dead = ReadLines(dir_.File("dlq.jsonl"));
  ASSERT_EQ(dead.size(), 10u);
  std::set<int64_t> ids;
  for (const auto& line : dead) {
    auto j = json::parse(line);
    EXPECT_EQ(j["node"], "flaky");
    EXPECT_EQ(j["pipeline"], "rt");
    EXPECT_NE(j["error"].get<std::string>().find("flaky failure"), std::string::npos);
    ids.insert(j["event"]["id"].get<int64_t>());
  }
  EXPECT_EQ(ids, (std::set<int64_t>{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}));
  EXPECT_EQ(Node(s, "flaky").dead_lettered, 10u);
  EXPECT_EQ(Node(s, "dlq").out, 10u);
}

TEST_F(RuntimeTest, RetrySucceedsWithinItsBudget) {
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - {id: gen, type: generator, config: {count: 500, shape: counter}}
  processors:
    - id: flaky
      type: test-flaky
      inputs: [gen]
      config: {every: 50, fail_times: 2}
      on_error: {retry: {max: 3, backoff: 1ms}}
  sinks:
    - {id: out, type: file, inputs: [flaky], config: {path: "${DIR}/out.jsonl"}}
)");
  EXPECT_EQ(Ids(dir_.File("out.jsonl")).size(), 500u);
  EXPECT_EQ(Node(s, "flaky").errors, 0u);
  EXPECT_EQ(Node(s, "flaky").retries, 20u);  // 10 events x 2 failed attempts
}

TEST_F(RuntimeTest, RetryExhaustedThenDeadLetter) {
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - {id: gen, type: generator, config: {count: 500, shape: counter}}
  processors:
    - id: flaky
      type: test-flaky
      inputs: [gen]
      config: {every: 50}
      on_error: {retry: {max: 2, backoff: 1ms}, then: {dead_letter: {to: dlq}}}
  sinks:
    - {id: out, type: file, inputs: [flaky], config: {path: "${DIR}/out.jsonl"}}
    - {id: dlq, type: dead-letter, config: {path: "${DIR}/dlq.jsonl"}}
)");
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size(), 490u);
  auto dead = ReadLines(dir_.File("dlq.jsonl"));
  ASSERT_EQ(dead.size(), 10u);
  EXPECT_EQ(json::parse(dead[0])["attempts"], 3);
  EXPECT_EQ(Node(s, "flaky").retries, 20u);
}

TEST_F(RuntimeTest, OnErrorFailStopsThePipelineWithTheReason) {
  Status st;
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - {id: gen, type: generator, config: {count: 0, shape: counter}}
  processors:
    - {id: flaky, type: test-flaky, inputs: [gen], config: {every: 5000}, on_error: fail}
  sinks:
    - {id: out, type: null, inputs: [flaky]}
)",
                   &st);
  EXPECT_FALSE(st.ok());
  // Batches run in parallel: the first failure recorded may be a later
  // multiple of 5000 than the first one generated.
  size_t at = st.message().find("flaky failure for id ");
  ASSERT_NE(at, std::string::npos) << st.message();
  long id = std::strtol(st.message().c_str() + at + 21, nullptr, 10);
  EXPECT_TRUE(id > 0 && id % 5000 == 0) << st.message();
  EXPECT_EQ(s.state, "failed");
}

TEST_F(RuntimeTest, MalformedLinesGoToDeadLetterWithTheirRawText) {
  std::string input;
  for (int i = 1; i <= 2000; ++i) {
    if (i == 777) input += "{\"id\": 777, broken\n";
    else if (i == 1500) input += "[1,2,3]\n";
    else input += "{\"id\":" + std::to_string(i) + ",\"v\":\"x\"}\n";
  }
  testing::WriteFile(dir_.File("in.jsonl"), input);
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - id: in
      type: file
      config: {path: "${DIR}/in.jsonl"}
      on_error: {dead_letter: {to: dlq}}
  sinks:
    - {id: out, type: file, inputs: [in], config: {path: "${DIR}/out.jsonl"}}
    - {id: dlq, type: dead-letter, config: {path: "${DIR}/dlq.jsonl"}}
)");
  auto out = ReadLines(dir_.File("out.jsonl"));
  EXPECT_EQ(out.size(), 1998u);
  auto dead = ReadLines(dir_.File("dlq.jsonl"));
  ASSERT_EQ(dead.size(), 2u);
  std::set<std::string> raws;
  for (const auto& l : dead) {
    auto j = json::parse(l);
    if (j.contains("raw")) raws.insert(j["raw"].get<std::string>());
    else raws.insert(j["event"].dump());
  }
  EXPECT_TRUE(raws.count("{\"id\": 777, broken")) << dead[0];
  // Unchanged events are written exactly as read.
  std::set<std::string> out_set(out.begin(), out.end());
  EXPECT_TRUE(out_set.count("{\"id\":1,\"v\":\"x\"}"));
}

TEST_F(RuntimeTest, OversizedLinesAreRejectedNotLoaded) {
  std::string big(5000, 'x');
  testing::WriteFile(dir_.File("in.jsonl"),
                     "{\"id\":1}\n{\"id\":2,\"big\":\"" + big + "\"}\n{\"id\":3}\n");
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - id: in
      type: file
      config: {path: "${DIR}/in.jsonl", max_line_bytes: 1024}
      on_error: {dead_letter: {to: dlq}}
  sinks:
    - {id: out, type: file, inputs: [in], config: {path: "${DIR}/out.jsonl"}}
    - {id: dlq, type: dead-letter, config: {path: "${DIR}/dlq.jsonl"}}
)");
  EXPECT_EQ(Ids(dir_.File("out.jsonl")), (std::set<int64_t>{1, 3}));
  auto dead = ReadLines(dir_.File("dlq.jsonl"));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].find("exceeds max_line_bytes"), std::string::npos);
}

TEST_F(RuntimeTest, SlowSinkHoldsBackAFastSource) {
  // Unbounded fast source, sink taking 5 ms per batch: events in flight must
  // stay bounded by the queues, not grow with the input.
  config::LoadOptions lo;
  auto b = testing::BuildFromYaml(std::string(kHead) + R"(
  batch_size: 100
  channel_capacity: 2
  sources:
    - {id: gen, type: generator, config: {count: 0, shape: bench}}
  processors:
    - {id: f, type: filter, inputs: [gen], config: {condition: "amount >= 0"}}
  sinks:
    - {id: slow, type: test-slow, inputs: [f], config: {delay_ms: 5}}
)",
                                  registry_, lo);
  ASSERT_TRUE(b.ok()) << testing::DiagText(b.diagnostics);
  RuntimeOptions opts;
  opts.workers = 2;
  auto run = Run::Create(*b.graph, opts);
  ASSERT_TRUE(run.ok());
  g_slow_written = 0;
  ASSERT_TRUE(run.value()->Start().ok());
  uint64_t max_in_flight = 0;
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto snap = run.value()->Snapshot();
    uint64_t produced = snap.nodes[0].out;
    uint64_t written = g_slow_written.load();
    max_in_flight = std::max(max_in_flight, produced - std::min(produced, written));
    for (const auto& n : snap.nodes) EXPECT_LE(n.queue_depth, n.queue_capacity);
  }
  run.value()->Cancel();
  ASSERT_TRUE(run.value()->Wait().ok());
  auto snap = run.value()->Snapshot();
  // Bound: each of 2 queues x 2 batches x 100, plus the batches held by the
  // 2 workers and the filter's instances: well under 2,000.
  EXPECT_LT(max_in_flight, 2000u);
  EXPECT_GT(g_slow_written.load(), 0u);
  // Drained on cancel: everything the source produced was written.
  EXPECT_EQ(snap.nodes[0].out, g_slow_written.load());
  EXPECT_EQ(snap.state, "cancelled");
}

TEST_F(RuntimeTest, CheckpointResumesAfterTheLastAcknowledgedEvent) {
  std::string input;
  for (int i = 1; i <= 1000; ++i) input += "{\"id\":" + std::to_string(i) + "}\n";
  testing::WriteFile(dir_.File("in.jsonl"), input);
  std::string yaml = std::string(kHead) + R"(
  sources:
    - {id: in, type: file, config: {path: "${DIR}/in.jsonl"}}
  sinks:
    - {id: out, type: file, inputs: [in], config: {path: "${DIR}/out.jsonl"}}
)";
  RuntimeOptions opts;
  opts.state_dir = dir_.File("state");
  RunYaml(yaml, nullptr, opts);
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size(), 1000u);
  // Rerun: nothing new, nothing duplicated.
  RunYaml(yaml, nullptr, opts);
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size(), 1000u);
  // Appended lines are picked up from the checkpoint.
  std::string more;
  for (int i = 1001; i <= 1200; ++i) more += "{\"id\":" + std::to_string(i) + "}\n";
  testing::WriteFile(dir_.File("in.jsonl"), input + more);
  RunYaml(yaml, nullptr, opts);
  auto lines = ReadLines(dir_.File("out.jsonl"));
  EXPECT_EQ(lines.size(), 1200u);
  EXPECT_EQ(Ids(dir_.File("out.jsonl")).size(), 1200u);
}

TEST_F(RuntimeTest, SinkFilterSkipsNonMatchingEvents) {
  auto s = RunYaml(std::string(kHead) + R"(
  sources:
    - {id: gen, type: generator, config: {count: 3000}}
  sinks:
    - id: pq
      type: selective-sink
      inputs: [gen]
      filter: "priority in ['high', 'critical']"
      config: {path: "${DIR}/pq.jsonl"}
)");
  auto lines = ReadLines(dir_.File("pq.jsonl"));
  ASSERT_GT(lines.size(), 0u);
  for (const auto& l : lines) {
    std::string p = json::parse(l)["priority"];
    EXPECT_TRUE(p == "high" || p == "critical") << l;
  }
  EXPECT_EQ(Node(s, "pq").out + Node(s, "pq").dropped, 3000u);
}

}  // namespace
}  // namespace flowctl

namespace flowctl {
namespace {

// A run killed inside a write leaves half a line; the resumed run's file
// sink cuts it before appending, so no broken line remains.
TEST(FileSinkResume, CutsAPartialLastLineBeforeAppending) {
  testing::TempDir dir;
  std::string path = dir.File("out.jsonl");
  testing::WriteFile(path, "{\"id\":1}\n{\"id\":2}\n{\"id\":3, \"half");
  Registry registry;
  RegisterBuiltins(registry);
  const ComponentDescriptor* d = registry.Find("file", NodeKind::kSink);
  ASSERT_NE(d, nullptr);
  ComponentContext ctx;
  ctx.config = {{"path", path}, {"append", true}};
  auto sink = d->make_sink(ctx);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE(sink.value()->Open().ok());
  std::vector<Event> events;
  events.push_back(Event(Value(Value::Object{{"id", Value(3)}})));
  ASSERT_TRUE(sink.value()->Write(events).ok());
  ASSERT_TRUE(sink.value()->Close().ok());
  EXPECT_EQ(testing::ReadFile(path), "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");
  // A file that ends with a newline is left alone.
  auto again = d->make_sink(ctx);
  ASSERT_TRUE(again.value()->Open().ok());
  ASSERT_TRUE(again.value()->Close().ok());
  EXPECT_EQ(testing::ReadFile(path), "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");
}

}  // namespace
}  // namespace flowctl
