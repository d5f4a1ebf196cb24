// The agent tool registry: argument validation, the preview -> token -> apply
// flow, read-only tools, and the export formats.
#include "flowctl/ai/tools.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "test_util.h"

namespace flowctl {
namespace {

using nlohmann::json;

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions eo;
    eo.workers = 1;  // in-memory store
    auto e = engine::Engine::Open(eo);
    ASSERT_TRUE(e.ok());
    engine_ = std::move(e).value();
    ai::RegisterBuiltinTools(tools_, engine_.get());
  }
  void TearDown() override { engine_->Shutdown(); }

  std::unique_ptr<engine::Engine> engine_;
  ai::ToolRegistry tools_;
};

const char* kDoc =
    "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  sources:\n"
    "    - {id: gen, type: generator, config: {count: 0, rate: 100, shape: counter}}\n"
    "  sinks:\n    - {id: out, type: \"null\", inputs: [gen]}\n";

TEST_F(ToolsTest, BadArgumentsNameTheFieldAndTheValidValues) {
  auto r =
      tools_.Call("analyze_pipeline_performance", {{"pipeline_id", "t"}, {"time_range", "2h"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("time_range"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("1h, 24h, 7d, 30d"), std::string::npos);
  auto missing = tools_.Call("validate_pipeline", json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("yaml"), std::string::npos);
  EXPECT_EQ(tools_.Call("no_such_tool", json::object()).status().code(), StatusCode::kNotFound);
}

// Issue 9 item 8: one name for a tool's pipeline, `name`; `pipeline_id` is
// accepted for it by every tool that acts on one pipeline.
TEST_F(ToolsTest, PipelineIsNameEverywhereAndPipelineIdIsAnAlias) {
  engine::ApplyRequest req;
  req.yaml = kDoc;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(engine_->Apply(req, &diags).ok());
  for (const char* spelling : {"name", "pipeline_id"}) {
    auto perf = tools_.Call("analyze_pipeline_performance", {{spelling, "t"}});
    ASSERT_TRUE(perf.ok()) << spelling << ": " << perf.status().ToString();
    EXPECT_EQ((*perf)["name"], "t");
    auto status = tools_.Call("get_pipeline_status", {{spelling, "t"}});
    ASSERT_TRUE(status.ok()) << spelling << ": " << status.status().ToString();
    EXPECT_EQ((*status)["state"], "running");
    auto stop = tools_.Call("stop_pipeline", {{spelling, "t"}, {"reason", "r"}, {"preview", true}});
    ASSERT_TRUE(stop.ok()) << spelling << ": " << stop.status().ToString();
    EXPECT_EQ((*stop)["name"], "t");
    auto rollback =
        tools_.Call("rollback_pipeline", {{spelling, "nope"}, {"reason", "r"}, {"preview", true}});
    EXPECT_EQ(rollback.status().code(), StatusCode::kNotFound) << spelling;
    auto create = tools_.Call("create_pipeline",
                              {{spelling, "copy"}, {"goal", "copy orders.jsonl to copy.jsonl"}});
    ASSERT_TRUE(create.ok()) << spelling << ": " << create.status().ToString();
    EXPECT_EQ((*create)["name"], "copy");
  }
  auto both = tools_.Call("get_pipeline_status", {{"name", "t"}, {"pipeline_id", "t"}});
  EXPECT_TRUE(both.ok()) << both.status().ToString();
  auto differ = tools_.Call("get_pipeline_status", {{"name", "t"}, {"pipeline_id", "u"}});
  ASSERT_FALSE(differ.ok());
  EXPECT_EQ(differ.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(differ.status().message().find("give only name"), std::string::npos)
      << differ.status().message();
  auto neither = tools_.Call("analyze_pipeline_performance", json::object());
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.status().message().find("name"), std::string::npos);
  // Both spellings are in the exported schema of the seed's tool.
  json props, mcp = tools_.ToMcp();
  for (const auto& t : mcp["tools"])
    if (t["name"] == "analyze_pipeline_performance") props = t["inputSchema"]["properties"];
  EXPECT_TRUE(props.contains("name") && props.contains("pipeline_id")) << props.dump();
}

TEST_F(ToolsTest, ApplyNeedsTheTokenOfThePreviewOfTheSameDocument) {
  auto no_token = tools_.Call("apply_pipeline", {{"yaml", kDoc}, {"plan_token", "made-up"}});
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.status().code(), StatusCode::kFailedPrecondition);
  auto preview = tools_.Call("preview_apply", {{"yaml", kDoc}});
  ASSERT_TRUE(preview.ok()) << preview.status().ToString();
  EXPECT_EQ(preview.value()["version"], 1);
  EXPECT_TRUE(engine_->List().empty());  // a preview changes nothing
  std::string token = preview.value()["plan_token"];
  std::string other = std::string(kDoc) + "# changed\n";
  EXPECT_FALSE(tools_.Call("apply_pipeline", {{"yaml", other}, {"plan_token", token}}).ok());
  auto applied =
      tools_.Call("apply_pipeline", {{"yaml", kDoc}, {"plan_token", token}, {"reason", "test"}});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied.value()["state"], "running");
  // A token is good for one apply.
  EXPECT_FALSE(tools_.Call("apply_pipeline", {{"yaml", kDoc}, {"plan_token", token}}).ok());
  auto status = tools_.Call("get_pipeline_status", {{"name", "t"}});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status.value()["nodes"].size(), 2u);
  auto audit = tools_.Call("get_audit_log", {{"target", "t"}});
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit.value()["entries"][0]["caller"], "agent");
  EXPECT_EQ(audit.value()["entries"][0]["reason"], "test");
  // Destructive: without the token of a preview it refuses.
  auto refused = tools_.Call("stop_pipeline", {{"name", "t"}, {"reason", "done"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("preview: true"), std::string::npos);
  EXPECT_EQ(engine_->Get("t")->state, "running");
  auto stop_preview =
      tools_.Call("stop_pipeline", {{"name", "t"}, {"reason", "done"}, {"preview", true}});
  ASSERT_TRUE(stop_preview.ok()) << stop_preview.status().ToString();
  EXPECT_EQ(engine_->Get("t")->state, "running");
  std::string stop_token = stop_preview.value()["plan_token"].get<std::string>();
  EXPECT_FALSE(
      tools_.Call("rollback_pipeline", {{"name", "t"}, {"reason", "x"}, {"plan_token", stop_token}})
          .ok());  // a stop token is not a rollback token
  auto stop =
      tools_.Call("stop_pipeline", {{"name", "t"}, {"reason", "done"}, {"plan_token", stop_token}});
  ASSERT_TRUE(stop.ok()) << stop.status().ToString();
  EXPECT_EQ(engine_->Get("t")->state, "stopped");
}

TEST_F(ToolsTest, ValidateAndCatalogTools) {
  auto v = tools_.Call("validate_pipeline", {{"yaml",
                                              "apiVersion: v1\nkind: Pipeline\n"
                                              "metadata: {name: x}\nspec:\n  sources:\n"
                                              "    - {id: a, type: nope}\n"}});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v.value()["valid"].get<bool>());
  bool named = false;
  for (const auto& d : v.value()["diagnostics"])
    if (d["message"].get<std::string>().find("'nope'") != std::string::npos)
      named = d["line"] == 6 && d["node"] == "a";
  EXPECT_TRUE(named) << v.value().dump();
  auto sinks = tools_.Call("list_components", {{"kind", "sink"}});
  ASSERT_TRUE(sinks.ok());
  for (const auto& c : sinks.value()["components"]) EXPECT_EQ(c["kind"], "sink");
  auto d = tools_.Call("describe_component", {{"type", "route"}});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.value()["config_schema"]["properties"].contains("routes"));
  // create_pipeline runs the planner; its plan_token applies exactly that document.
  auto create = tools_.Call(
      "create_pipeline", {{"name", "big-orders"},
                          {"goal", "read orders.jsonl, keep orders over $500, write to big.jsonl"},
                          {"constraints", {{"max_latency_ms", 100}}}});
  ASSERT_TRUE(create.ok()) << create.status().ToString();
  EXPECT_EQ(create.value()["name"], "big-orders");
  EXPECT_NE(create.value()["yaml"].get<std::string>().find("amount > 500"), std::string::npos);
  EXPECT_TRUE(create.value()["valid"].get<bool>());
  EXPECT_FALSE(create.value()["nodes"].empty());
  EXPECT_TRUE(create.value().contains("plan_token"));
  EXPECT_TRUE(engine_->Validate(create.value()["yaml"], "<t>", {}).valid);
  auto cannot = tools_.Call("create_pipeline", {{"goal", "bake a cake"}});
  ASSERT_FALSE(cannot.ok());
  EXPECT_EQ(cannot.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(tools_.Call("create_pipeline", {{"name", "x"}}).ok());
}

TEST_F(ToolsTest, ExportFormatsCarryAnnotationsAndSchemas) {
  json mcp = tools_.ToMcp();
  bool saw_apply = false;
  for (const auto& t : mcp["tools"]) {
    EXPECT_TRUE(t.contains("inputSchema"));
    if (t["name"] == "apply_pipeline") {
      saw_apply = true;
      EXPECT_TRUE(t["annotations"]["destructiveHint"].get<bool>());
      EXPECT_FALSE(t["annotations"]["readOnlyHint"].get<bool>());
    }
  }
  EXPECT_TRUE(saw_apply);
  json anthropic = tools_.ToAnthropic();
  EXPECT_EQ(anthropic[0]["name"], "create_pipeline");
  EXPECT_TRUE(anthropic[0].contains("input_schema"));
}

}  // namespace
}  // namespace flowctl

namespace flowctl {
namespace {

// A pipeline with an AI node run by an engine with a state dir: the decision
// id in an event is explained by the explain_decision tool.
TEST(ExplainDecisionTool, FindsTheRecordOfADecisionInAnEvent) {
  testing::TempDir dir;
  engine::EngineOptions eo;
  eo.workers = 1;
  eo.state_dir = dir.File("state");
  auto e = engine::Engine::Open(eo);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto engine = std::move(e).value();
  ai::ToolRegistry tools;
  ai::RegisterBuiltinTools(tools, engine.get());
  std::string yaml =
      "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: fb}\nspec:\n  sources:\n"
      "    - {id: gen, type: generator, config: {count: 3, shape: template, template: "
      "{message: 'the app crashes, this is terrible'}}}\n"
      "  processors:\n    - {id: mood, type: ai-processor, inputs: [gen], config: {task: "
      "sentiment}}\n"
      "  sinks:\n    - {id: out, type: file, inputs: [mood], config: {path: '" +
      dir.File("out.jsonl") + "'}}\n";
  engine::ApplyRequest req;
  req.yaml = yaml;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(engine->Apply(req, &diags).ok()) << testing::DiagText(diags);
  for (int i = 0; i < 200 && engine->Get("fb")->state == "running"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  engine->Shutdown();  // flushes the decision log
  auto lines = testing::ReadLines(dir.File("out.jsonl"));
  ASSERT_EQ(lines.size(), 3u);
  std::string id = json::parse(lines[0])["_ai"]["decision"].get<std::string>();
  auto r = tools.Call("explain_decision", {{"decision_id", id}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value()["id"], id);
  EXPECT_EQ(r.value()["model"], "embedded-v1");
  EXPECT_LT(r.value()["output"]["sentiment"].get<double>(), 0);
  auto missing = tools.Call("explain_decision", {{"decision_id", "mood.zzz.9"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace flowctl

namespace flowctl {
namespace {

// debug_pipeline on the engine's own history: a transform failing every
// 10th event is found with its error group, and its fix_yaml previews and
// applies through the ordinary tools as version 2.
TEST_F(ToolsTest, DebugPipelineFindsFailuresAndItsFixApplies) {
  // The fix puts its dead-letter file beside the pipeline's output.
  testing::TempDir dir;
  engine::ApplyRequest req;
  req.yaml =
      "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: d}\nspec:\n  sources:\n"
      "    - {id: gen, type: generator, config: {count: 0, rate: 200, shape: counter}}\n"
      "  processors:\n    - {id: div, type: transform, inputs: [gen], config: {set: {x: "
      "'10 / (id % 10)'}}}\n"
      "  sinks:\n    - {id: out, type: file, inputs: [div], config: {path: '" +
      dir.File("out.jsonl") + "'}}\n";
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(engine_->Apply(req, &diags).ok()) << testing::DiagText(diags);
  json r;
  for (int i = 0; i < 100; ++i) {  // the supervisor samples once a second
    auto call = tools_.Call("debug_pipeline", {{"name", "d"}, {"since", "15m"}});
    ASSERT_TRUE(call.ok()) << call.status().ToString();
    r = call.value();
    if (!r["findings"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(r["findings"].empty()) << r.dump();
  const json& f = r["findings"][0];
  EXPECT_EQ(f["kind"], "errors");
  EXPECT_EQ(f["node"], "div");
  EXPECT_NE(f["evidence"]["clusters"][0]["message"].get<std::string>().find("division by zero"),
            std::string::npos);
  ASSERT_TRUE(f.contains("fix_yaml")) << f.dump();
  auto preview = tools_.Call("preview_apply", {{"yaml", f["fix_yaml"]}});
  ASSERT_TRUE(preview.ok()) << preview.status().ToString();
  EXPECT_NE(preview.value()["diff"].get<std::string>().find("dead_letter"), std::string::npos);
  // apply_fix: the same fix by the finding's id (or number), behind its own preview.
  EXPECT_EQ(f["id"], "errors:div");
  json fix = {{"name", "d"}, {"finding", f["id"]}, {"since", "15m"}};
  auto unpreviewed = tools_.Call("apply_fix", fix);
  ASSERT_FALSE(unpreviewed.ok());
  EXPECT_EQ(unpreviewed.status().code(), StatusCode::kFailedPrecondition);
  json p = fix;
  p["preview"] = true;
  auto fix_preview = tools_.Call("apply_fix", p);
  ASSERT_TRUE(fix_preview.ok()) << fix_preview.status().ToString();
  EXPECT_EQ(fix_preview.value()["diff"], preview.value()["diff"]);
  json by_number = p;
  by_number["finding"] = 1;
  auto numbered = tools_.Call("apply_fix", by_number);
  ASSERT_TRUE(numbered.ok()) << numbered.status().ToString();
  EXPECT_EQ(numbered.value()["diff"], preview.value()["diff"]);
  fix["plan_token"] = fix_preview.value()["plan_token"];
  auto applied = tools_.Call("apply_fix", fix);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied.value()["version"], 2);
  EXPECT_FALSE(tools_.Call("apply_fix", fix).ok());  // a token is used once
  for (const json& bad : {json(99), json("bottleneck:div"), json(0), json("")}) {
    p["finding"] = bad;
    EXPECT_EQ(tools_.Call("apply_fix", p).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  engine_->Shutdown();  // before dir goes
  EXPECT_FALSE(tools_.Call("debug_pipeline", {{"name", "d"}, {"since", "1w"}}).ok());
}

TEST_F(ToolsTest, RollbackShowsItsDiffAndNeedsThatPreviewsToken) {
  std::string v2 = std::string(kDoc);
  v2.replace(v2.find("rate: 100"), 9, "rate: 200");
  for (const std::string& doc : {std::string(kDoc), v2}) {
    auto p = tools_.Call("preview_apply", {{"yaml", doc}});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ASSERT_TRUE(tools_
                    .Call("apply_pipeline",
                          {{"yaml", doc}, {"plan_token", p.value()["plan_token"]}, {"reason", "v"}})
                    .ok());
  }
  auto refused = tools_.Call("rollback_pipeline", {{"name", "t"}, {"reason", "bad v2"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  auto preview =
      tools_.Call("rollback_pipeline", {{"name", "t"}, {"reason", "bad v2"}, {"preview", true}});
  ASSERT_TRUE(preview.ok()) << preview.status().ToString();
  EXPECT_EQ(preview.value()["version"], 1);
  std::string diff = preview.value()["diff"].get<std::string>();
  EXPECT_NE(diff.find("-"), std::string::npos);
  EXPECT_NE(diff.find("rate: 100"), std::string::npos) << diff;
  auto done = tools_.Call(
      "rollback_pipeline",
      {{"name", "t"}, {"reason", "bad v2"}, {"plan_token", preview.value()["plan_token"]}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  auto info = engine_->Get("t");
  ASSERT_TRUE(info.ok());
  EXPECT_NE(info->yaml.find("rate: 100"), std::string::npos);
}

}  // namespace
}  // namespace flowctl
