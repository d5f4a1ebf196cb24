// Fuzz target: every request of the control plane (src/control/): the first
// byte picks an RPC, the rest is parsed with ParseFromArray as its request
// and sent to a real ControlServer (unix socket) over an in-memory engine,
// so the handlers' request parsing and proto <-> domain conversion run as
// in the daemon. Changes are kept away from the machine: Apply and
// ExecutePlan are forced to dry runs, the engine has no state dir, and model
// providers see no keys and a closed local port.
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ai/obsrvr/flowctl/agent.grpc.pb.h"
#include "flowctl/control/server.h"
#include "flowctl/engine/engine.h"
#include "flowctl/v1/flowctl.grpc.pb.h"

namespace {

namespace v1 = flowctl::v1;
namespace pb = ::ai::obsrvr::flowctl;

const char kSeedPipeline[] =
    "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: seed}\nspec:\n"
    "  sources:\n    - {id: gen, type: generator, config: {count: 0, rate: 1}}\n"
    "  sinks:\n    - {id: out, type: null, inputs: [gen]}\n";

struct World {
  std::unique_ptr<flowctl::engine::Engine> engine;
  std::unique_ptr<flowctl::control::ControlServer> server;
  std::unique_ptr<v1::PipelineService::Stub> pipelines;
  std::unique_ptr<v1::ComponentService::Stub> components;
  std::unique_ptr<pb::AIAgentService::Stub> agents;

  // A running pipeline for Get/Stop/Delete/Rollback/History to find.
  void EnsureSeed() {
    auto info = engine->Get("seed");
    if (info.ok() && info->state == "running") return;
    flowctl::engine::ApplyRequest ar;
    ar.yaml = kSeedPipeline;
    std::vector<flowctl::Diagnostic> diags;
    (void)engine->Apply(ar, &diags);
  }
};

World& TheWorld() {
  static World* w = [] {
    for (const char* var : {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL",
                            "ANTHROPIC_BASE_URL", "FLOWCTL_AI_PROVIDER", "FLOWCTL_TOKEN"})
      ::unsetenv(var);
    ::setenv("OLLAMA_HOST", "http://127.0.0.1:9", 1);  // discard port: refused at once
    // Requests with invalid UTF-8 in string fields are refused by the
    // parser, with one log line each: thousands per second of noise.
    google::protobuf::SetLogHandler(nullptr);
    auto* w = new World();
    flowctl::engine::EngineOptions eo;
    eo.workers = 1;
    eo.recover = false;
    auto e = flowctl::engine::Engine::Open(eo);
    if (!e.ok()) std::abort();
    w->engine = std::move(e).value();
    flowctl::control::ServerOptions so;
    so.listen = "unix:/tmp/flowctl-fuzz-control-" + std::to_string(::getpid()) + ".sock";
    auto s = flowctl::control::ControlServer::Start(w->engine.get(), so);
    if (!s.ok()) std::abort();
    w->server = std::move(s).value();
    auto ch = grpc::CreateChannel(w->server->address(), grpc::InsecureChannelCredentials());
    w->pipelines = v1::PipelineService::NewStub(ch);
    w->components = v1::ComponentService::NewStub(ch);
    w->agents = pb::AIAgentService::NewStub(ch);
    w->EnsureSeed();
    return w;
  }();
  return *w;
}

void Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

// Parses the request; on success, calls stub->method(request).
#define UNARY(stub, method, Req, Resp, ...)                  \
  [](World& w, const uint8_t* d, size_t n) {                 \
    Req req;                                                 \
    if (!req.ParseFromArray(d, static_cast<int>(n))) return; \
    __VA_ARGS__;                                             \
    grpc::ClientContext ctx;                                 \
    Deadline(&ctx);                                          \
    Resp resp;                                               \
    (void)w.stub->method(&ctx, req, &resp);                  \
  }

// A streaming call: up to max messages, then the client hangs up.
template <typename Resp, typename Reader>
void Drain(grpc::ClientContext* ctx, Reader reader, int max) {
  Resp msg;
  for (int i = 0; i < max && reader->Read(&msg); ++i) {
  }
  ctx->TryCancel();
  (void)reader->Finish();
}

using Call = void (*)(World&, const uint8_t*, size_t);

const std::vector<Call>& Calls() {
  static const std::vector<Call> calls = {
      UNARY(pipelines, Apply, v1::ApplyRequest, v1::ApplyResponse, req.set_dry_run(true)),
      UNARY(pipelines, Validate, v1::ValidateRequest, v1::ValidateResponse),
      UNARY(pipelines, List, v1::ListPipelinesRequest, v1::ListPipelinesResponse),
      UNARY(pipelines, Get, v1::GetPipelineRequest, v1::PipelineDetail),
      UNARY(pipelines, Stop, v1::StopRequest, v1::StopResponse),
      UNARY(pipelines, Delete, v1::DeleteRequest, v1::DeleteResponse),
      UNARY(pipelines, Rollback, v1::RollbackRequest, v1::RollbackResponse),
      UNARY(pipelines, History, v1::HistoryRequest, v1::HistoryResponse),
      UNARY(pipelines, GetMetrics, v1::GetMetricsRequest, v1::PipelineStatus),
      UNARY(pipelines, Audit, v1::AuditRequest, v1::AuditResponse),
      UNARY(pipelines, ExplainDecision, v1::ExplainDecisionRequest, v1::ExplainDecisionResponse),
      UNARY(components, List, v1::ListComponentsRequest, v1::ListComponentsResponse),
      UNARY(components, Describe, v1::DescribeComponentRequest, v1::ComponentInfo),
      UNARY(agents, GeneratePipeline, pb::PipelineGoal, pb::Pipeline),
      UNARY(agents, OptimizePipeline, pb::OptimizationRequest, pb::OptimizationPlan),
      UNARY(agents, AnalyzePerformance, pb::AnalysisRequest, pb::PerformanceReport),
      UNARY(agents, PredictFailures, pb::PredictionRequest, pb::FailurePrediction),
      UNARY(agents, SuggestImprovements, pb::ImprovementRequest, pb::ImprovementPlan),
      UNARY(agents, EnableAutoHealing, pb::AutoHealingConfig, pb::AutoHealingStatus),
      UNARY(agents, EnableAutoScaling, pb::AutoScalingConfig, pb::AutoScalingStatus),
      UNARY(agents, EnableCostOptimization, pb::CostOptimizationConfig, pb::CostStatus),
      [](World& w, const uint8_t* d, size_t n) {
        v1::WatchRequest req;
        if (!req.ParseFromArray(d, static_cast<int>(n))) return;
        grpc::ClientContext ctx;
        Deadline(&ctx);
        // One update: the next comes a watch interval (>= 100 ms) later.
        Drain<v1::PipelineStatus>(&ctx, w.pipelines->Watch(&ctx, req), 1);
      },
      [](World& w, const uint8_t* d, size_t n) {
        pb::ExecutionPlan req;
        if (!req.ParseFromArray(d, static_cast<int>(n))) return;
        req.set_dry_run(true);
        grpc::ClientContext ctx;
        Deadline(&ctx);
        Drain<pb::ExecutionStatus>(&ctx, w.agents->ExecutePlan(&ctx, req), 16);
      },
      UNARY(pipelines, MetricHistory, v1::MetricHistoryRequest, v1::MetricHistoryResponse),
  };
  return calls;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  World& w = TheWorld();
  const auto& calls = Calls();
  calls[data[0] % calls.size()](w, data + 1, size - 1);
  w.EnsureSeed();
  return 0;
}
