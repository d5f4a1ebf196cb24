// The gRPC services: thin final classes on the callback API that check the
// caller, call the engine and convert. Blocking engine calls (a drain on
// stop or apply) run on the executor so that no reactor thread blocks.
#ifndef FLOWCTL_CONTROL_SERVICES_H_
#define FLOWCTL_CONTROL_SERVICES_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ai/obsrvr/flowctl/agent.grpc.pb.h"
#include "flowctl/ai/controllers.h"
#include "flowctl/ai/healing.h"
#include "flowctl/ai/monitor.h"
#include "flowctl/ai/optimize.h"
#include "flowctl/engine/engine.h"
#include "flowctl/v1/flowctl.grpc.pb.h"
#include "writer.h"

namespace flowctl::control {

// A few threads for calls that may block, plus the watch loops.
class Executor {
 public:
  explicit Executor(int threads);
  ~Executor();
  void Post(std::function<void()> fn);
  // Starts a long-running loop (a Watch); joined at shutdown.
  void Spawn(std::function<void()> fn);
  bool stopping() const { return stopping_.load(); }
  void Stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  struct Loop {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Loop> loops_;  // finished ones are joined at the next Spawn
  std::atomic<bool> stopping_{false};
};

struct CallContext {
  engine::Engine* engine = nullptr;
  Executor* executor = nullptr;
  std::string token;                                   // empty = no auth
  ai::Monitors* monitors = nullptr;                    // null: this server runs no AIMonitor
  const governance::Identities* identities = nullptr;  // null: no auth file
  governance::Gate* gate = nullptr;                    // null: no governance
  ai::Controllers* controllers = nullptr;              // null: no autoscaling here
  ai::Healer* healer = nullptr;                        // null: no self-healing here
};

// Checks the bearer token; fills *caller with who is calling: the
// principal's name with an auth file, else "local" on loopback or
// "token@PEER".
grpc::Status Authorize(const CallContext& c, grpc::CallbackServerContext* ctx, std::string* caller);

class PipelineServiceImpl final : public v1::PipelineService::CallbackService {
 public:
  explicit PipelineServiceImpl(CallContext c) : c_(c) {}
  grpc::ServerUnaryReactor* Apply(grpc::CallbackServerContext*, const v1::ApplyRequest*,
                                  v1::ApplyResponse*) override;
  grpc::ServerUnaryReactor* Validate(grpc::CallbackServerContext*, const v1::ValidateRequest*,
                                     v1::ValidateResponse*) override;
  grpc::ServerUnaryReactor* ListMonitors(grpc::CallbackServerContext*,
                                         const v1::ListMonitorsRequest*,
                                         v1::ListMonitorsResponse*) override;
  grpc::ServerUnaryReactor* ListApprovals(grpc::CallbackServerContext*,
                                          const v1::ListApprovalsRequest*,
                                          v1::ListApprovalsResponse*) override;
  grpc::ServerUnaryReactor* DecideApproval(grpc::CallbackServerContext*,
                                           const v1::DecideApprovalRequest*,
                                           v1::Approval*) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*, const v1::ListPipelinesRequest*,
                                 v1::ListPipelinesResponse*) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext*, const v1::GetPipelineRequest*,
                                v1::PipelineDetail*) override;
  grpc::ServerUnaryReactor* Stop(grpc::CallbackServerContext*, const v1::StopRequest*,
                                 v1::StopResponse*) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext*, const v1::DeleteRequest*,
                                   v1::DeleteResponse*) override;
  grpc::ServerUnaryReactor* Rollback(grpc::CallbackServerContext*, const v1::RollbackRequest*,
                                     v1::RollbackResponse*) override;
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext*, const v1::HistoryRequest*,
                                    v1::HistoryResponse*) override;
  grpc::ServerWriteReactor<v1::PipelineStatus>* Watch(grpc::CallbackServerContext*,
                                                      const v1::WatchRequest*) override;
  grpc::ServerUnaryReactor* GetMetrics(grpc::CallbackServerContext*, const v1::GetMetricsRequest*,
                                       v1::PipelineStatus*) override;
  grpc::ServerUnaryReactor* MetricHistory(grpc::CallbackServerContext*,
                                          const v1::MetricHistoryRequest*,
                                          v1::MetricHistoryResponse*) override;
  grpc::ServerUnaryReactor* Audit(grpc::CallbackServerContext*, const v1::AuditRequest*,
                                  v1::AuditResponse*) override;
  grpc::ServerUnaryReactor* ExplainDecision(grpc::CallbackServerContext*,
                                            const v1::ExplainDecisionRequest*,
                                            v1::ExplainDecisionResponse*) override;

 private:
  CallContext c_;
};

class ComponentServiceImpl final : public v1::ComponentService::CallbackService {
 public:
  explicit ComponentServiceImpl(CallContext c) : c_(c) {}
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*, const v1::ListComponentsRequest*,
                                 v1::ListComponentsResponse*) override;
  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext*,
                                     const v1::DescribeComponentRequest*,
                                     v1::ComponentInfo*) override;

 private:
  CallContext c_;
};

class AgentServiceImpl final : public ::ai::obsrvr::flowctl::AIAgentService::CallbackService {
 public:
  explicit AgentServiceImpl(CallContext c) : c_(c) {}
  using Svc = ::ai::obsrvr::flowctl::AIAgentService;
  grpc::ServerUnaryReactor* GeneratePipeline(grpc::CallbackServerContext*,
                                             const ::ai::obsrvr::flowctl::PipelineGoal*,
                                             ::ai::obsrvr::flowctl::Pipeline*) override;
  grpc::ServerUnaryReactor* OptimizePipeline(grpc::CallbackServerContext*,
                                             const ::ai::obsrvr::flowctl::OptimizationRequest*,
                                             ::ai::obsrvr::flowctl::OptimizationPlan*) override;
  grpc::ServerWriteReactor<::ai::obsrvr::flowctl::ExecutionStatus>* ExecutePlan(
      grpc::CallbackServerContext*, const ::ai::obsrvr::flowctl::ExecutionPlan*) override;
  grpc::ServerUnaryReactor* AnalyzePerformance(grpc::CallbackServerContext*,
                                               const ::ai::obsrvr::flowctl::AnalysisRequest*,
                                               ::ai::obsrvr::flowctl::PerformanceReport*) override;
  grpc::ServerUnaryReactor* PredictFailures(grpc::CallbackServerContext*,
                                            const ::ai::obsrvr::flowctl::PredictionRequest*,
                                            ::ai::obsrvr::flowctl::FailurePrediction*) override;
  grpc::ServerUnaryReactor* SuggestImprovements(grpc::CallbackServerContext*,
                                                const ::ai::obsrvr::flowctl::ImprovementRequest*,
                                                ::ai::obsrvr::flowctl::ImprovementPlan*) override;
  grpc::ServerUnaryReactor* EnableAutoHealing(grpc::CallbackServerContext*,
                                              const ::ai::obsrvr::flowctl::AutoHealingConfig*,
                                              ::ai::obsrvr::flowctl::AutoHealingStatus*) override;
  grpc::ServerUnaryReactor* EnableAutoScaling(grpc::CallbackServerContext*,
                                              const ::ai::obsrvr::flowctl::AutoScalingConfig*,
                                              ::ai::obsrvr::flowctl::AutoScalingStatus*) override;
  grpc::ServerUnaryReactor* EnableCostOptimization(
      grpc::CallbackServerContext*, const ::ai::obsrvr::flowctl::CostOptimizationConfig*,
      ::ai::obsrvr::flowctl::CostStatus*) override;

 private:
  Result<ai::OptimizationReport> Optimize(const std::string& name, const std::string& time_range,
                                          const std::string& goal);
  CallContext c_;
};

}  // namespace flowctl::control

#endif  // FLOWCTL_CONTROL_SERVICES_H_
