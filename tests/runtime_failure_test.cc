// The runtime keeps component.h's promise when components fail: a Process
// that returns an error or throws sends the events it still held to the
// node's on_error policy; a throwing factory or sink never takes the process
// down; a checkpoint that cannot be written fails the run; a resumed run never
// truncates what the earlier run wrote; every dead-letter line is JSON.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "flowctl/runtime/runtime.h"
#include "test_util.h"

namespace flowctl {
namespace {

using nlohmann::json;
using testing::ReadLines;
using testing::TempDir;

// Emits events until it meets one whose id is a multiple of `every`, then
// fails the rest of the batch: by exception or by returning an error.
class BreakingProcessor : public Processor {
 public:
  BreakingProcessor(int every, bool throws) : every_(every), throws_(throws) {}
  Status Process(std::vector<Event>& events, Emitter& out) override {
    for (auto& e : events) {
      int64_t id = e.body().Find("id")->as_int();
      if (id % every_ == 0) {
        if (throws_) throw std::invalid_argument("bad scheme in url 'ftp://x'");
        return Status::Unavailable("model endpoint down");
      }
      out.Emit(std::move(e));
    }
    return Status::OK();
  }

 private:
  int every_;
  bool throws_;
};

class ThrowingSink : public Sink {
 public:
  Status Write(std::vector<Event>&) override { throw std::runtime_error("disk on fire"); }
};

class RuntimeFailureTest : public ::testing::Test {
 protected:
  RuntimeFailureTest() {
    RegisterBuiltins(registry_);
    ComponentDescriptor breaking;
    breaking.type = "test-breaking";
    breaking.kind = NodeKind::kProcessor;
    breaking.make_processor =
        [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
      return std::unique_ptr<Processor>(
          new BreakingProcessor(ctx.config.value("every", 10), ctx.config.value("throws", false)));
    };
    EXPECT_TRUE(registry_.Register(breaking).ok());
    ComponentDescriptor throwing_sink;
    throwing_sink.type = "test-throwing-sink";
    throwing_sink.kind = NodeKind::kSink;
    throwing_sink.make_sink = [](const ComponentContext&) -> Result<std::unique_ptr<Sink>> {
      return std::unique_ptr<Sink>(new ThrowingSink());
    };
    EXPECT_TRUE(registry_.Register(throwing_sink).ok());
    ComponentDescriptor throwing_factory;
    throwing_factory.type = "test-throwing-factory";
    throwing_factory.kind = NodeKind::kProcessor;
    throwing_factory.make_processor =
        [](const ComponentContext&) -> Result<std::unique_ptr<Processor>> {
      throw std::out_of_range("map::at");
    };
    EXPECT_TRUE(registry_.Register(throwing_factory).ok());
  }

  Result<RunSnapshot> RunYaml(const std::string& body, Status* final_status,
                              RuntimeOptions opts = {}) {
    config::LoadOptions lo;
    lo.vars["DIR"] = dir_.path();
    auto b = testing::BuildFromYaml(
        "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: rf}\nspec:\n" + body, registry_,
        lo);
    EXPECT_TRUE(b.ok()) << testing::DiagText(b.diagnostics);
    if (!b.ok()) return Status::Invalid("bad test pipeline");
    graph_ = std::move(b.graph);
    opts.workers = 2;
    auto run = Run::Create(*graph_, opts);
    if (!run.ok()) return run.status();
    EXPECT_TRUE(run.value()->Start().ok());
    *final_status = run.value()->Wait();
    return run.value()->Snapshot();
  }

  std::set<int64_t> OutIds(const std::string& file) {
    std::set<int64_t> ids;
    for (const auto& line : ReadLines(file)) ids.insert(json::parse(line)["id"].get<int64_t>());
    return ids;
  }
  std::set<int64_t> DeadIds(const std::string& file) {
    std::set<int64_t> ids;
    for (const auto& line : ReadLines(file))
      ids.insert(json::parse(line)["event"]["id"].get<int64_t>());
    return ids;
  }

  Registry registry_;
  TempDir dir_;
  std::unique_ptr<Graph> graph_;
};

// Both ways a Process can fail mid-batch: every event ends up written or
// dead-lettered exactly once, and the run goes on.
class ProcessFailureTest : public RuntimeFailureTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ProcessFailureTest, UnhandledEventsFollowTheNodesOnErrorPolicy) {
  bool throws = GetParam();
  Status st;
  auto s = RunYaml(std::string(R"(
  batch_size: 50
  sources:
    - {id: gen, type: generator, config: {count: 1000, shape: counter}}
  processors:
    - id: breaking
      type: test-breaking
      inputs: [gen]
      config: {every: 40, throws: )") +
                       (throws ? "true" : "false") + R"(}
      on_error: {dead_letter: {to: dlq}}
  sinks:
    - {id: out, type: file, inputs: [breaking], config: {path: "${DIR}/out.jsonl"}}
    - {id: dlq, type: dead-letter, config: {path: "${DIR}/dlq.jsonl"}}
)",
                   &st);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(s.value().state, "succeeded");
  auto out = OutIds(dir_.File("out.jsonl"));
  auto dead = DeadIds(dir_.File("dlq.jsonl"));
  EXPECT_FALSE(out.empty());
  EXPECT_FALSE(dead.empty());
  for (int64_t id : dead) EXPECT_EQ(out.count(id), 0u) << id;
  EXPECT_EQ(out.size() + dead.size(), 1000u);
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size() + ReadLines(dir_.File("dlq.jsonl")).size(),
            1000u);
  // Every multiple of 40 is where a batch broke: it was never emitted.
  for (int64_t id = 40; id <= 1000; id += 40) EXPECT_EQ(dead.count(id), 1u) << id;
  std::string reason = json::parse(ReadLines(dir_.File("dlq.jsonl"))[0])["error"];
  EXPECT_NE(reason.find(throws ? "threw: bad scheme" : "model endpoint down"), std::string::npos)
      << reason;
}

INSTANTIATE_TEST_SUITE_P(ByStatusAndByException, ProcessFailureTest, ::testing::Bool());

TEST_F(RuntimeFailureTest, ThrowingProcessWithoutOnErrorDropsAndCountsNotAborts) {
  Status st;
  auto s = RunYaml(R"(
  sources:
    - {id: gen, type: generator, config: {count: 200, shape: counter}}
  processors:
    - {id: breaking, type: test-breaking, inputs: [gen], config: {every: 1, throws: true}}
  sinks:
    - {id: out, type: file, inputs: [breaking], config: {path: "${DIR}/out.jsonl"}}
)",
                   &st);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(st.ok()) << st.ToString();
  for (const auto& n : s.value().nodes)
    if (n.id == "breaking") {
      EXPECT_EQ(n.errors, 200u);
      EXPECT_EQ(n.dropped, 200u);
    }
}

TEST_F(RuntimeFailureTest, ThrowingSinkFailsTheRunWithTheReasonWhenOnErrorIsFail) {
  Status st;
  auto s = RunYaml(R"(
  sources:
    - {id: gen, type: generator, config: {count: 10, shape: counter}}
  sinks:
    - {id: bad, type: test-throwing-sink, inputs: [gen], on_error: fail}
)",
                   &st);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("disk on fire"), std::string::npos) << st.ToString();
}

TEST_F(RuntimeFailureTest, ThrowingFactoryIsAnErrorNotACrash) {
  Status st;
  auto s = RunYaml(R"(
  sources:
    - {id: gen, type: generator, config: {count: 10, shape: counter}}
  processors:
    - {id: p, type: test-throwing-factory, inputs: [gen]}
  sinks:
    - {id: out, type: null, inputs: [p]}
)",
                   &st);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("p: create threw: map::at"), std::string::npos)
      << s.status().ToString();
}

TEST_F(RuntimeFailureTest, UnwritableCheckpointFailsTheRunWithTheReason) {
  std::string input;
  for (int i = 1; i <= 100; ++i) input += "{\"id\":" + std::to_string(i) + "}\n";
  testing::WriteFile(dir_.File("in.jsonl"), input);
  // The checkpoint is written through NAME.tmp: a directory there makes every
  // write fail, whoever runs the test (root ignores permissions).
  std::filesystem::create_directories(dir_.File("state/rf/in.checkpoint.tmp/x"));
  RuntimeOptions opts;
  opts.state_dir = dir_.File("state");
  Status st;
  auto s = RunYaml(R"(
  sources:
    - {id: in, type: file, config: {path: "${DIR}/in.jsonl"}}
  sinks:
    - {id: out, type: file, inputs: [in], config: {path: "${DIR}/out.jsonl"}}
)",
                   &st, opts);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("checkpoint"), std::string::npos) << st.ToString();
}

TEST_F(RuntimeFailureTest, ResumedRunNeverTruncatesWhatTheFirstRunWrote) {
  std::string first, second;
  for (int i = 1; i <= 300; ++i) first += "{\"id\":" + std::to_string(i) + "}\n";
  for (int i = 301; i <= 500; ++i) second += "{\"id\":" + std::to_string(i) + "}\n";
  testing::WriteFile(dir_.File("in.jsonl"), first);
  std::string yaml = R"(
  sources:
    - {id: in, type: file, config: {path: "${DIR}/in.jsonl"}}
  sinks:
    - {id: out, type: file, inputs: [in], config: {path: "${DIR}/out.jsonl", append: false}}
)";
  RuntimeOptions opts;
  opts.state_dir = dir_.File("state");
  Status st;
  ASSERT_TRUE(RunYaml(yaml, &st, opts).ok());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size(), 300u);
  // The input grows; the rerun resumes from the checkpoint: the first 300 are
  // not read again, so truncating the output would lose them.
  testing::WriteFile(dir_.File("in.jsonl"), first + second);
  ASSERT_TRUE(RunYaml(yaml, &st, opts).ok());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(OutIds(dir_.File("out.jsonl")).size(), 500u);
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size(), 500u);
  // Without a state dir, append: false still starts afresh.
  ASSERT_TRUE(RunYaml(yaml, &st).ok());
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size(), 500u);
  testing::WriteFile(dir_.File("in.jsonl"), second);
  ASSERT_TRUE(RunYaml(yaml, &st).ok());
  EXPECT_EQ(ReadLines(dir_.File("out.jsonl")).size(), 200u);
}

TEST_F(RuntimeFailureTest, DeadLetterLinesAreValidJsonEvenForBinaryInput) {
  std::string bad = "\xff\xfe{not json \xc3\x28 \xed\xa0\x80";
  testing::WriteFile(dir_.File("in.jsonl"), "{\"id\":1}\n" + bad + "\n{\"id\":2}\n");
  Status st;
  auto s = RunYaml(R"(
  sources:
    - id: in
      type: file
      config: {path: "${DIR}/in.jsonl"}
      on_error: {dead_letter: {to: dlq}}
  sinks:
    - {id: out, type: file, inputs: [in], config: {path: "${DIR}/out.jsonl"}}
    - {id: dlq, type: dead-letter, config: {path: "${DIR}/dlq.jsonl"}}
)",
                   &st);
  ASSERT_TRUE(s.ok());
  auto dead = ReadLines(dir_.File("dlq.jsonl"));
  ASSERT_EQ(dead.size(), 1u);
  json rec;
  ASSERT_NO_THROW(rec = json::parse(dead[0])) << dead[0];    // nlohmann rejects bad UTF-8
  EXPECT_EQ(rec["raw_base64"], "//57bm90IGpzb24gwygg7aCA");  // the exact bytes
  EXPECT_EQ(OutIds(dir_.File("out.jsonl")), (std::set<int64_t>{1, 2}));
}

TEST_F(RuntimeFailureTest, OverlongLastLineWithoutNewlineGoesToOnError) {
  std::string big(4000, 'y');
  testing::WriteFile(dir_.File("in.jsonl"), "{\"id\":1}\n{\"id\":2,\"big\":\"" + big + "\"}");
  Status st;
  auto s = RunYaml(R"(
  sources:
    - id: in
      type: file
      config: {path: "${DIR}/in.jsonl", max_line_bytes: 1024}
      on_error: {dead_letter: {to: dlq}}
  sinks:
    - {id: out, type: file, inputs: [in], config: {path: "${DIR}/out.jsonl"}}
    - {id: dlq, type: dead-letter, config: {path: "${DIR}/dlq.jsonl"}}
)",
                   &st);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(OutIds(dir_.File("out.jsonl")), (std::set<int64_t>{1}));
  auto dead = ReadLines(dir_.File("dlq.jsonl"));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].find("exceeds max_line_bytes"), std::string::npos) << dead[0];
}

}  // namespace
}  // namespace flowctl
