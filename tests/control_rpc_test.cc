// Every RPC of the control plane through the generated C++ stubs against a
// real server on loopback, including bad requests.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ai/obsrvr/flowctl/agent.grpc.pb.h"
#include "flowctl/ai/planner.h"
#include "flowctl/control/server.h"
#include "flowctl/engine/engine.h"
#include "flowctl/v1/flowctl.grpc.pb.h"
#include "google/rpc/status.pb.h"
#include "test_util.h"

namespace flowctl {
namespace {

namespace pb = ::ai::obsrvr::flowctl;

std::string Running(const std::string& name, int rate = 200) {
  return "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: " + name +
         "}\nspec:\n  sources:\n    - {id: gen, type: generator, config: {count: 0, rate: " +
         std::to_string(rate) +
         ", shape: counter}}\n  processors:\n    - {id: f, type: filter, inputs: [gen], config: "
         "{condition: \"id % 2 == 0\"}}\n  sinks:\n    - {id: out, type: null, inputs: [f]}\n";
}

const char* kBroken =
    "apiVersion: flowctl/v1\n"                                        // 1
    "kind: Pipeline\n"                                                // 2
    "metadata: {name: broken}\n"                                      // 3
    "spec:\n"                                                         // 4
    "  sources:\n"                                                    // 5
    "    - id: in\n"                                                  // 6
    "      type: kafka-source\n"                                      // 7
    "  sinks:\n"                                                      // 8
    "    - {id: out, type: null, inputs: [in], filter: \"id >\"}\n";  // 9

class ControlRpcTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { Stop(); }

  void Start(control::ServerOptions so = {}) {
    engine::EngineOptions eo;
    eo.state_dir = dir_.path();
    eo.workers = 1;
    auto e = engine::Engine::Open(eo);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
    if (so.listen == "127.0.0.1:8080") so.listen = "127.0.0.1:0";
    auto s = control::ControlServer::Start(engine_.get(), so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    auto ch = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    pipelines_ = v1::PipelineService::NewStub(ch);
    components_ = v1::ComponentService::NewStub(ch);
    agents_ = pb::AIAgentService::NewStub(ch);
  }
  void Stop() {
    if (server_) server_->Shutdown();
    if (engine_) engine_->Shutdown();
    server_.reset();
    engine_.reset();
  }

  static void Deadline(grpc::ClientContext* ctx, int seconds = 10) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  }

  grpc::Status Apply(const std::string& yaml, v1::ApplyResponse* resp, bool dry_run = false) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ApplyRequest req;
    req.set_yaml(yaml);
    req.set_dry_run(dry_run);
    req.set_filename("t.yaml");
    return pipelines_->Apply(&ctx, req, resp);
  }

  v1::PipelineStatus Metrics(const std::string& name, grpc::Status* st) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetMetricsRequest req;
    req.set_name(name);
    v1::PipelineStatus resp;
    *st = pipelines_->GetMetrics(&ctx, req, &resp);
    return resp;
  }

  // The standard envelope: google.rpc.Status with ErrorDetails in an Any.
  static v1::ErrorDetails Details(const grpc::Status& st) {
    google::rpc::Status envelope;
    EXPECT_TRUE(envelope.ParseFromString(st.error_details())) << st.error_message();
    EXPECT_EQ(envelope.code(), static_cast<int>(st.error_code()));
    v1::ErrorDetails d;
    EXPECT_EQ(envelope.details_size(), 1);
    if (envelope.details_size() == 1) EXPECT_TRUE(envelope.details(0).UnpackTo(&d));
    return d;
  }

  testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<control::ControlServer> server_;
  std::unique_ptr<v1::PipelineService::Stub> pipelines_;
  std::unique_ptr<v1::ComponentService::Stub> components_;
  std::unique_ptr<pb::AIAgentService::Stub> agents_;
};

TEST_F(ControlRpcTest, ApplyVersionsDiffsAndDryRuns) {
  v1::ApplyResponse r1;
  ASSERT_TRUE(Apply(Running("a"), &r1).ok());
  EXPECT_EQ(r1.name(), "a");
  EXPECT_EQ(r1.version(), 1);
  EXPECT_EQ(r1.state(), "running");
  v1::ApplyResponse same;
  ASSERT_TRUE(Apply(Running("a"), &same).ok());
  EXPECT_TRUE(same.unchanged());
  EXPECT_EQ(same.version(), 1);
  v1::ApplyResponse dry;
  ASSERT_TRUE(Apply(Running("a", 300), &dry, true).ok());
  EXPECT_TRUE(dry.dry_run());
  EXPECT_EQ(dry.version(), 2);
  EXPECT_NE(dry.diff().find("+"), std::string::npos) << dry.diff();
  EXPECT_NE(dry.plan().find("source gen (generator)"), std::string::npos) << dry.plan();
  v1::ApplyResponse r2;
  ASSERT_TRUE(Apply(Running("a", 300), &r2).ok());
  EXPECT_EQ(r2.version(), 2);
  EXPECT_NE(r2.diff().find("rate: 300"), std::string::npos) << r2.diff();
}

TEST_F(ControlRpcTest, BrokenPipelineGetsLineNumberedDetails) {
  v1::ApplyResponse resp;
  grpc::Status st = Apply(kBroken, &resp);
  ASSERT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("kafka-source"), std::string::npos) << st.error_message();
  v1::ErrorDetails d = Details(st);
  EXPECT_EQ(d.code(), "INVALID_ARGUMENT");
  ASSERT_GE(d.errors_size(), 2);
  bool type_line = false, filter_line = false;
  for (const auto& e : d.errors()) {
    if (e.message().find("kafka-source") != std::string::npos) type_line = e.line() == 7;
    if (e.message().find("filter") != std::string::npos) filter_line = e.line() == 9;
    EXPECT_EQ(e.file(), "t.yaml");
  }
  EXPECT_TRUE(type_line);
  EXPECT_TRUE(filter_line);
  EXPECT_GT(d.suggestions_size(), 0);
  // Empty yaml and a malformed --set are bad requests too.
  EXPECT_EQ(Apply("", &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ApplyRequest req;
  req.set_yaml(Running("x"));
  req.add_sets("no-equals-sign");
  EXPECT_EQ(pipelines_->Apply(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ControlRpcTest, ValidateListGetAndMetrics) {
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ValidateRequest req;
    req.set_yaml(kBroken);
    v1::ValidateResponse resp;
    ASSERT_TRUE(pipelines_->Validate(&ctx, req, &resp).ok());
    EXPECT_FALSE(resp.valid());
    ASSERT_GT(resp.diagnostics_size(), 0);
    EXPECT_EQ(resp.diagnostics(0).line(), 7);
  }
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(Running("b"), &r).ok());
  ASSERT_TRUE(Apply(Running("a"), &r).ok());
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListPipelinesResponse resp;
    ASSERT_TRUE(pipelines_->List(&ctx, v1::ListPipelinesRequest(), &resp).ok());
    ASSERT_EQ(resp.pipelines_size(), 2);
    EXPECT_EQ(resp.pipelines(0).name(), "a");
    EXPECT_EQ(resp.pipelines(1).name(), "b");
    EXPECT_EQ(resp.pipelines(0).state(), "running");
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetPipelineRequest req;
    req.set_name("b");
    v1::PipelineDetail resp;
    ASSERT_TRUE(pipelines_->Get(&ctx, req, &resp).ok());
    EXPECT_NE(resp.yaml().find("name: b"), std::string::npos) << resp.yaml();
    EXPECT_EQ(resp.status().nodes_size(), 3);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetPipelineRequest req;
    req.set_name("bb");
    v1::PipelineDetail resp;
    grpc::Status st = pipelines_->Get(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_NE(st.error_message().find("did you mean 'b'"), std::string::npos) << st.error_message();
  }
  grpc::Status st;
  uint64_t first = Metrics("a", &st).nodes(0).out();
  ASSERT_TRUE(st.ok());
  uint64_t later = first;
  for (int i = 0; i < 50 && later <= first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    later = Metrics("a", &st).nodes(0).out();
  }
  EXPECT_GT(later, first);
  EXPECT_EQ(Metrics("", &st).name(), "");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ControlRpcTest, StopRollbackHistoryDeleteAndAudit) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(Running("p"), &r).ok());
  {  // no version before v1
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::RollbackRequest req;
    req.set_name("p");
    v1::RollbackResponse resp;
    EXPECT_EQ(pipelines_->Rollback(&ctx, req, &resp).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  ASSERT_TRUE(Apply(Running("p", 400), &r).ok());
  ASSERT_EQ(r.version(), 2);
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::RollbackRequest req;
    req.set_name("p");  // to_version 0 = previous
    req.set_reason("test");
    v1::RollbackResponse resp;
    ASSERT_TRUE(pipelines_->Rollback(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.version(), 1);
    EXPECT_NE(resp.diff().find("-"), std::string::npos);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::StopRequest req;
    req.set_name("p");
    v1::StopResponse resp;
    ASSERT_TRUE(pipelines_->Stop(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.state(), "stopped");
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::HistoryRequest req;
    req.set_name("p");
    v1::HistoryResponse resp;
    ASSERT_TRUE(pipelines_->History(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.versions_size(), 2);
    EXPECT_TRUE(resp.versions(0).current());  // v1 after the rollback
    EXPECT_EQ(resp.runs_size(), 3);           // v1, v2, v1 again
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::DeleteRequest req;
    req.set_name("p");
    v1::DeleteResponse resp;
    ASSERT_TRUE(pipelines_->Delete(&ctx, req, &resp).ok());
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::StopRequest req;
    req.set_name("p");
    v1::StopResponse resp;
    EXPECT_EQ(pipelines_->Stop(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::AuditRequest req;
    req.set_target("p");
    v1::AuditResponse resp;
    ASSERT_TRUE(pipelines_->Audit(&ctx, req, &resp).ok());
    std::vector<std::string> actions;
    for (const auto& e : resp.entries())
      actions.push_back(e.action() + ":" + (e.result() == "ok" ? "ok" : "err"));
    // Newest first.
    std::vector<std::string> want = {"stop:err", "delete:ok",    "stop:ok", "rollback:ok",
                                     "apply:ok", "rollback:err", "apply:ok"};
    EXPECT_EQ(actions, want);
    EXPECT_FALSE(resp.entries(0).caller().empty());
  }
}

TEST_F(ControlRpcTest, WatchStreamsUntilCancelledOrTheRunEnds) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(Running("w"), &r).ok());
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::WatchRequest req;
    req.set_name("w");
    req.set_interval_ms(100);
    auto reader = pipelines_->Watch(&ctx, req);
    v1::PipelineStatus s1, s2;
    ASSERT_TRUE(reader->Read(&s1));
    ASSERT_TRUE(reader->Read(&s2));
    EXPECT_EQ(s1.name(), "w");
    EXPECT_GE(s2.time_ms(), s1.time_ms());
    ctx.TryCancel();
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  {  // a bounded pipeline: the stream ends with the final state
    ASSERT_TRUE(Apply("apiVersion: v1\nkind: Pipeline\nmetadata: {name: short}\nspec:\n  sources:\n"
                      "    - {id: g, type: generator, config: {count: 500, rate: 1000}}\n"
                      "  sinks:\n    - {id: o, type: null, inputs: [g]}\n",
                      &r)
                    .ok());
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::WatchRequest req;
    req.set_name("short");
    req.set_interval_ms(100);
    auto reader = pipelines_->Watch(&ctx, req);
    v1::PipelineStatus s;
    std::string last;
    while (reader->Read(&s)) last = s.state();
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_EQ(last, "succeeded");
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::WatchRequest req;
    req.set_name("nope");
    auto reader = pipelines_->Watch(&ctx, req);
    v1::PipelineStatus s;
    EXPECT_FALSE(reader->Read(&s));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(ControlRpcTest, ComponentCatalog) {
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListComponentsRequest req;
    req.set_kind("sink");
    v1::ListComponentsResponse resp;
    ASSERT_TRUE(components_->List(&ctx, req, &resp).ok());
    ASSERT_GT(resp.components_size(), 3);
    for (const auto& c : resp.components()) EXPECT_EQ(c.kind(), "sink");
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListComponentsRequest req;
    req.set_kind("spout");
    v1::ListComponentsResponse resp;
    EXPECT_EQ(components_->List(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::DescribeComponentRequest req;
    req.set_type("file");
    req.set_kind("source");
    v1::ComponentInfo resp;
    ASSERT_TRUE(components_->Describe(&ctx, req, &resp).ok());
    auto schema = nlohmann::json::parse(resp.config_schema_json());
    EXPECT_TRUE(schema["properties"].contains("path"));
    EXPECT_EQ(resp.kind(), "source");
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::DescribeComponentRequest req;
    req.set_type("fitler");
    v1::ComponentInfo resp;
    grpc::Status st = components_->Describe(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_NE(st.error_message().find("did you mean 'filter'"), std::string::npos);
  }
}

TEST_F(ControlRpcTest, AnalyzePerformanceUsesRealMetrics) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(Running("perf", 2000), &r).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  grpc::ClientContext ctx;
  Deadline(&ctx);
  pb::AnalysisRequest req;
  req.set_pipeline_id("perf");
  req.set_time_range("1h");
  req.add_optimization_goals("latency");
  pb::PerformanceReport resp;
  ASSERT_TRUE(agents_->AnalyzePerformance(&ctx, req, &resp).ok());
  EXPECT_GT(resp.throughput_eps(), 100);
  EXPECT_EQ(resp.nodes_size(), 3);
  EXPECT_FALSE(resp.bottleneck_node().empty());
  EXPECT_GT(resp.findings_size(), 0);
  for (auto [range, goal, code] : {std::tuple<const char*, const char*, grpc::StatusCode>{
                                       "2h", "latency", grpc::StatusCode::INVALID_ARGUMENT},
                                   {"1h", "speed", grpc::StatusCode::INVALID_ARGUMENT}}) {
    grpc::ClientContext c;
    Deadline(&c);
    pb::AnalysisRequest bad = req;
    bad.set_time_range(range);
    bad.clear_optimization_goals();
    bad.add_optimization_goals(goal);
    EXPECT_EQ(agents_->AnalyzePerformance(&c, bad, &resp).error_code(), code) << range << goal;
  }
  grpc::ClientContext c2;
  Deadline(&c2);
  req.set_pipeline_id("ghost");
  EXPECT_EQ(agents_->AnalyzePerformance(&c2, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

std::vector<std::string> Steps(pb::AIAgentService::Stub& stub, const pb::ExecutionPlan& plan,
                               grpc::Status* st) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto reader = stub.ExecutePlan(&ctx, plan);
  pb::ExecutionStatus s;
  std::vector<std::string> steps;
  while (reader->Read(&s)) steps.push_back(s.step() + ":" + s.state());
  *st = reader->Finish();
  return steps;
}

TEST_F(ControlRpcTest, ExecutePlanStepsAndRollback) {
  pb::ExecutionPlan plan;
  plan.set_pipeline_yaml(Running("planned"));
  plan.set_health_check_ms(300);
  grpc::Status st;
  EXPECT_EQ(
      Steps(*agents_, plan, &st),
      (std::vector<std::string>{"validate:ok", "diff:ok", "apply:ok", "start:ok", "healthy:ok"}));
  EXPECT_TRUE(st.ok());
  plan.set_dry_run(true);
  plan.set_pipeline_yaml(Running("planned", 500));
  EXPECT_EQ(Steps(*agents_, plan, &st),
            (std::vector<std::string>{"validate:ok", "diff:ok", "apply:skipped"}));
  plan.set_dry_run(false);
  plan.set_pipeline_yaml(kBroken);
  EXPECT_EQ(Steps(*agents_, plan, &st), (std::vector<std::string>{"validate:failed"}));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A new version that fails at once is rolled back to the running one.
  plan.set_pipeline_yaml(
      "apiVersion: v1\nkind: Pipeline\nmetadata: {name: planned}\nspec:\n  sources:\n"
      "    - {id: gen, type: generator, config: {count: 0, shape: counter}}\n"
      "  processors:\n    - {id: f, type: filter, inputs: [gen], config: {condition: \"id > "
      "'x'\"}, "
      "on_error: fail}\n  sinks:\n    - {id: out, type: null, inputs: [f]}\n");
  auto steps = Steps(*agents_, plan, &st);
  ASSERT_GE(steps.size(), 6u);
  EXPECT_EQ(steps[4], "healthy:failed");
  EXPECT_EQ(steps[5], "rollback:ok");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ABORTED);
  auto info = engine_->Get("planned");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, 1);
  EXPECT_EQ(info->state, "running");
}

// Every agent RPC is built; self-healing needs the daemon's state dir (its
// loop: e2e test_self_healing.sh).
TEST_F(ControlRpcTest, SelfHealingNeedsTheDaemon) {
  grpc::ClientContext c5;
  pb::AutoHealingStatus ah;
  grpc::Status st = agents_->EnableAutoHealing(&c5, pb::AutoHealingConfig(), &ah);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("flowctl serve"), std::string::npos) << st.error_message();
}

// EnableAutoScaling turns the daemon's autoscaler on and off for a pipeline
// that exists (its rule: autoscale_test; its effect: e2e test_autoscale.sh).
// A control plane without monitors or a governance gate (a foreground
// apply's) refuses their documents, once (one reactor per call: answering
// twice aborted a debug build).
TEST_F(ControlRpcTest, DocumentsForTheDaemonAreRefusedElsewhere) {
  const char* monitor =
      "apiVersion: flowctl/v1\nkind: AIMonitor\nmetadata: {name: m}\n"
      "spec: {targets: [p], predictions: [{type: failure-prediction}]}\n";
  const char* policy =
      "apiVersion: governance.obsrvr.com/v1\nkind: AIGovernancePolicy\nmetadata: {name: g}\n"
      "spec: {approval-required: [{action: stop, approvers: [admin]}]}\n";
  for (const char* doc : {monitor, policy}) {
    v1::ApplyRequest req;
    req.set_yaml(doc);
    v1::ApplyResponse resp;
    grpc::ClientContext ctx;
    Deadline(&ctx);
    grpc::Status st = pipelines_->Apply(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << doc;
    EXPECT_NE(st.error_message().find("flowctl serve"), std::string::npos) << st.error_message();
  }
}

TEST_F(ControlRpcTest, EnableAutoScalingKeepsItsSetting) {
  Stop();
  control::ServerOptions so;
  so.controllers_file = dir_.path() + "/controllers.json";
  Start(so);
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(Running("scaled", 2000), &r).ok());
  auto enable = [&](const std::string& name, bool on, int max) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    pb::AutoScalingConfig req;
    req.set_pipeline_id(name);
    req.set_enabled(on);
    req.set_max_workers(max);
    pb::AutoScalingStatus out;
    grpc::Status st = agents_->EnableAutoScaling(&ctx, req, &out);
    return std::make_pair(st, out);
  };
  EXPECT_EQ(enable("ghost", true, 4).first.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(enable("scaled", true, -1).first.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto [st, out] = enable("scaled", true, 4);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(out.enabled());
  EXPECT_NE(out.message().find("between 1 and 4"), std::string::npos) << out.message();
  std::ifstream kept(so.controllers_file);
  std::string text((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"scaled\""), std::string::npos) << text;
  auto off = enable("scaled", false, 0);
  ASSERT_TRUE(off.first.ok());
  EXPECT_FALSE(off.second.enabled());
}

// The analysis itself is tested in optimize_test and, on a real model
// server with measured effects, in e2e test_ai_optimize.sh; here: the RPCs'
// answers and errors.
TEST_F(ControlRpcTest, OptimizePipelineAndSuggestImprovementsAnswer) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(Running("tuned", 2000), &r).ok());
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    pb::OptimizationRequest req;
    req.set_pipeline_id("tuned");
    req.set_simulate_only(true);
    pb::OptimizationPlan plan;
    ASSERT_TRUE(agents_->OptimizePipeline(&ctx, req, &plan).ok());
    EXPECT_EQ(plan.pipeline_id(), "tuned");
    EXPECT_FALSE(plan.applied());
    // Just applied: its warm-up is not measured, and nothing is made up.
    EXPECT_EQ(plan.suggestions_size(), 0);
    ASSERT_GT(plan.notes_size(), 0);
    EXPECT_NE(plan.notes(0).find("no samples of version 1 yet"), std::string::npos)
        << plan.notes(0);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    pb::ImprovementRequest req;
    req.set_pipeline_id("tuned");
    pb::ImprovementPlan plan;
    ASSERT_TRUE(agents_->SuggestImprovements(&ctx, req, &plan).ok());
    EXPECT_EQ(plan.pipeline_id(), "tuned");
  }
  for (auto [name, goal, range, code] :
       {std::tuple<const char*, const char*, const char*, grpc::StatusCode>{
            "ghost", "", "", grpc::StatusCode::NOT_FOUND},
        {"tuned", "speed", "", grpc::StatusCode::INVALID_ARGUMENT},
        {"tuned", "cost", "2x", grpc::StatusCode::INVALID_ARGUMENT}}) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    pb::OptimizationRequest req;
    req.set_pipeline_id(name);
    req.set_time_range(range);
    if (*goal) req.add_objectives()->set_goal(goal);
    pb::OptimizationPlan plan;
    EXPECT_EQ(agents_->OptimizePipeline(&ctx, req, &plan).error_code(), code) << name << goal;
  }
}

TEST_F(ControlRpcTest, PredictFailuresAnswersAndChecksItsArguments) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(Running("watched", 2000), &r).ok());
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    pb::PredictionRequest req;
    req.set_pipeline_id("watched");
    req.set_horizon("1h");
    pb::FailurePrediction p;
    ASSERT_TRUE(agents_->PredictFailures(&ctx, req, &p).ok());
    EXPECT_EQ(p.pipeline_id(), "watched");
    EXPECT_FALSE(p.algorithms().empty());
    EXPECT_FALSE(p.reason().empty());
  }
  for (auto [name, horizon, sensitivity, code] :
       {std::tuple<const char*, const char*, const char*, grpc::StatusCode>{
            "ghost", "", "", grpc::StatusCode::NOT_FOUND},
        {"watched", "soon", "", grpc::StatusCode::INVALID_ARGUMENT},
        {"watched", "1h", "extreme", grpc::StatusCode::INVALID_ARGUMENT}}) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    pb::PredictionRequest req;
    req.set_pipeline_id(name);
    req.set_horizon(horizon);
    req.set_sensitivity(sensitivity);
    pb::FailurePrediction p;
    EXPECT_EQ(agents_->PredictFailures(&ctx, req, &p).error_code(), code) << name << horizon;
  }
}

TEST_F(ControlRpcTest, GeneratePipelineFeedsExecutePlan) {
  pb::PipelineGoal goal;
  goal.set_description("generate 200 test events, keep priority high or critical, discard them");
  auto* c = goal.add_constraints();
  c->set_name("max_latency_ms");
  c->set_value("100");
  (*goal.mutable_context())["name"] = "generated";
  pb::Pipeline p;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    auto st = agents_->GeneratePipeline(&ctx, goal, &p);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_EQ(p.name(), "generated");
  EXPECT_NE(p.yaml().find("type: generator"), std::string::npos) << p.yaml();
  EXPECT_NE(p.yaml().find("priority in ['high', 'critical']"), std::string::npos) << p.yaml();
  EXPECT_NE(p.explanation().find("filter"), std::string::npos);
  EXPECT_EQ(p.planner(), "embedded");
  // The plan it returns is what ExecutePlan takes.
  pb::ExecutionPlan plan;
  plan.set_pipeline_yaml(p.yaml());
  plan.set_dry_run(true);
  grpc::Status st;
  EXPECT_EQ(Steps(*agents_, plan, &st),
            (std::vector<std::string>{"validate:ok", "diff:ok", "apply:skipped"}));
  EXPECT_TRUE(st.ok()) << st.error_message();
  // Bad requests name what is wrong.
  grpc::ClientContext c1, c2, c3;
  pb::PipelineGoal empty;
  EXPECT_EQ(agents_->GeneratePipeline(&c1, empty, &p).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  pb::PipelineGoal bad = goal;
  bad.mutable_constraints(0)->set_name("max_speed");
  auto bst = agents_->GeneratePipeline(&c2, bad, &p);
  EXPECT_EQ(bst.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bst.error_message().find("max_latency_ms"), std::string::npos);
  pb::PipelineGoal cake;
  cake.set_description("bake a cake");
  EXPECT_EQ(agents_->GeneratePipeline(&c3, cake, &p).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ControlRpcTest, GeneratePipelineCapsTheGoalAndStopsWhenTheCallerLeaves) {
  pb::PipelineGoal big;
  big.set_description(std::string(ai::kMaxGoalBytes + 1, 'a'));
  pb::Pipeline p;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    auto st = agents_->GeneratePipeline(&ctx, big, &p);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find("at most 16384"), std::string::npos) << st.error_message();
  }
  // A slow model whose drafts never validate: without cancellation the
  // planner would ask it 1 + max_repairs (3) times after the caller left.
  httplib::Server model;
  std::atomic<int> hits{0};
  model.Post(".*", [&](const httplib::Request&, httplib::Response& res) {
    hits++;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    nlohmann::json a = {
        {"choices",
         {{{"message", {{"role", "assistant"}, {"content", "```yaml\nkind: Nonsense\n```"}}}}}}};
    res.set_content(a.dump(), "application/json");
  });
  int port = model.bind_to_any_port("127.0.0.1");
  std::thread serve([&] { model.listen_after_bind(); });
  setenv("OPENAI_API_KEY", "k", 1);
  setenv("OPENAI_BASE_URL", ("http://127.0.0.1:" + std::to_string(port) + "/v1").c_str(), 1);
  pb::PipelineGoal goal;
  goal.set_description("read orders.jsonl and write them to out.jsonl");
  (*goal.mutable_context())["provider"] = "openai";
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    auto st = agents_->GeneratePipeline(&ctx, goal, &p);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  // One call at most: under a sanitizer the deadline can pass before the
  // first; a planner that kept repairing would make several.
  EXPECT_LE(hits.load(), 1) << "the planner kept asking the model after the caller left";
  model.stop();
  serve.join();
  unsetenv("OPENAI_BASE_URL");
  unsetenv("OPENAI_API_KEY");
}

TEST_F(ControlRpcTest, TokenRulesAndMessageLimits) {
  Stop();
  control::ServerOptions open_wide;
  open_wide.listen = "0.0.0.0:0";
  auto refused = control::ControlServer::Start(engine_.get(), open_wide);
  // engine_ is gone after Stop(): Start must refuse before touching it.
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("token"), std::string::npos);

  control::ServerOptions so;
  so.listen = "127.0.0.1:0";
  so.token = "s3cret";
  so.max_message_bytes = 64 * 1024;
  Start(so);
  v1::ListPipelinesResponse resp;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    EXPECT_EQ(pipelines_->List(&ctx, {}, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    ctx.AddMetadata("authorization", "Bearer wrong");
    EXPECT_EQ(pipelines_->List(&ctx, {}, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    ctx.AddMetadata("authorization", "Bearer s3cret");
    EXPECT_TRUE(pipelines_->List(&ctx, {}, &resp).ok());
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    ctx.AddMetadata("authorization", "Bearer s3cret");
    v1::ValidateRequest big;
    big.set_yaml(std::string(100 * 1024, '#'));
    v1::ValidateResponse vr;
    EXPECT_EQ(pipelines_->Validate(&ctx, big, &vr).error_code(),
              grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
}

TEST_F(ControlRpcTest, PipelinesComeBackAfterARestart) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(Running("keep"), &r).ok());
  ASSERT_TRUE(Apply(Running("keep", 250), &r).ok());
  Stop();
  Start();
  auto info = engine_->Get("keep");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, 2);
  EXPECT_EQ(info->state, "running");
  auto runs = engine_->Runs("keep", 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_GE(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].status, "running");
  EXPECT_EQ((*runs)[1].status, "cancelled");  // drained by the clean shutdown
}

}  // namespace
}  // namespace flowctl
