// The daemon's pipeline controllers (the seed's EnableAutoScaling and
// EnableCostOptimization): per pipeline, every 5 s, over the running
// version's samples (past its warm-up, the last window), they change the
// document and apply it as a new version through the engine: versioned,
// audited with the numbers that led to it, and through the governance gate
// ("scale", "switch-model").
//
// Auto-scaling (DecideScaling, pure; docs/ai.md "Auto-scaling") sets each
// parallel-safe processor's `concurrency` within [min, max]:
//   up    mean busy >= 85% over the window (its workers are the limit; the
//         input queue is shown, not required: a source runs its first
//         processors in its own thread, with no queue between them):
//         concurrency x2 (at most max);
//   down  the same work on one worker fewer would keep it under 60% busy
//         (busy x n / (n-1) < 0.6) and the queue is empty: concurrency - 1.
// The gap between 85% and 60% and a cooldown after every change keep it
// from flapping.
//
// Cost budgets (DecideBudget, pure): when the measured model cost is over
// max_cost_per_hour, the costliest AI node moves to the cheaper model
// `ai optimize --goal cost` prices for it (by its measured token split);
// one already on its vendor's cheapest moves to the embedded model. Only
// the model changes: no event is dropped to save money.
//
// Contract: the Decide functions are pure. Controllers is thread-safe; one
// background thread from Start() to Stop(); settings persist in
// STATE/controllers.json.
#ifndef FLOWCTL_AI_CONTROLLERS_H_
#define FLOWCTL_AI_CONTROLLERS_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "flowctl/ai/ops.h"
#include "flowctl/base/periodic.h"
#include "flowctl/engine/engine.h"

namespace flowctl::ai {

struct ScalePolicy {
  int min = 1;
  int max = 0;  // 0: the host's hardware threads
  double up_busy = 0.85;
  double down_busy = 0.60;  // predicted, with one worker fewer
  int64_t window_s = 15;
  int64_t cooldown_s = 30;
};

struct ScaleDecision {
  std::string node;
  int from = 0, to = 0;
  std::string why;  // the measurements, in words
};

// The changes the samples of in (the running version's, at or after
// from_ms) call for. now_ms - the last change must be >= cooldown.
std::vector<ScaleDecision> DecideScaling(const OpsInput& in, const ScalePolicy& p,
                                         int64_t last_change_ms, int64_t now_ms);

struct BudgetDecision {
  std::string node, from_model, to_model;
  double measured_per_h = 0, predicted_per_h = 0;
  std::string why;
  std::string yaml;  // the document with the node's model switched
};

// The switch the samples call for when their model cost is over budget;
// nullopt when under it, in the cooldown, or without enough samples.
std::optional<BudgetDecision> DecideBudget(const OpsInput& in, double max_cost_per_hour,
                                           int64_t last_change_ms, int64_t now_ms,
                                           int64_t window_s = 15, int64_t cooldown_s = 30);

class Controllers {
 public:
  using Clock = std::function<int64_t()>;
  // path: STATE/controllers.json (loaded when it exists).
  Controllers(engine::Engine* engine, std::string path, Clock clock = nullptr);
  ~Controllers();

  // Turn auto-scaling (with policy) or a cost budget (USD/hour > 0) on or
  // off for a pipeline that exists.
  Status EnableScaling(const std::string& pipeline, bool enabled, const ScalePolicy& policy);
  Status EnableBudget(const std::string& pipeline, bool enabled, double max_cost_per_hour);
  // One pass over the pipelines at now_ms: the reasons of the versions it
  // applied (tests call it directly).
  std::vector<std::string> EvaluateAt(int64_t now_ms);
  void Start();  // a pass every 5 s
  void Stop();

 private:
  struct State {
    bool scaling = false;
    ScalePolicy policy;
    double budget = 0;  // USD/hour; 0: none
    int64_t last_change_ms = 0;
  };
  Status Update(const std::string& pipeline, const std::function<void(State*)>& change);
  Status SaveLocked() const;

  engine::Engine* engine_;
  const std::string path_;
  Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, State> pipelines_;  // guarded by mu_
  Periodic loop_;                           // last: stopped before the rest goes
};

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_CONTROLLERS_H_
