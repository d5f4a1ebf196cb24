// Auto-scaling (the seed's EnableAutoScaling): per pipeline, a controller
// that sets each parallel-safe processor's `concurrency` from its measured
// busy fraction and input queue, within [min, max], as new versions.
//
// The rule (DecideScaling, a pure function; docs/ai.md "Auto-scaling"):
//   up    mean busy >= 85% over the window (its workers are the limit; the
//         input queue is shown, not required: a source runs its first
//         processors in its own thread, with no queue between them):
//         concurrency x2 (at most max);
//   down  the same work on one worker fewer would keep it under 60% busy
//         (busy x n / (n-1) < 0.6) and the queue is empty: concurrency - 1.
// The gap between 85% and 60% and a cooldown after every change (the window
// only reads samples of the running version, past its warm-up) keep it from
// flapping. Every change goes through the engine's Apply: versioned,
// audited with the numbers that led to it (caller "autoscaler"), and
// through the governance gate as a "scale" action.
//
// Contract: DecideScaling is pure. Autoscalers is thread-safe; one
// background thread from Start() to Stop(); its settings persist in
// STATE/autoscale.json.
#ifndef FLOWCTL_AI_AUTOSCALE_H_
#define FLOWCTL_AI_AUTOSCALE_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "flowctl/ai/ops.h"
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

class Autoscalers {
 public:
  using Clock = std::function<int64_t()>;
  // path: STATE/autoscale.json (loaded when it exists).
  Autoscalers(engine::Engine* engine, std::string path, Clock clock = nullptr);
  ~Autoscalers();

  // Turns it on (with policy) or off for a pipeline that exists.
  Status Enable(const std::string& pipeline, bool enabled, const ScalePolicy& policy);
  bool Enabled(const std::string& pipeline) const;
  // One pass over the enabled pipelines at now_ms (tests call it directly).
  std::vector<ScaleDecision> EvaluateAt(int64_t now_ms);
  void Start();  // a pass every 5 s
  void Stop();

 private:
  struct State {
    ScalePolicy policy;
    int64_t last_change_ms = 0;
  };
  Status SaveLocked() const;

  engine::Engine* engine_;
  const std::string path_;
  Clock clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, State> pipelines_;  // guarded by mu_
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_AUTOSCALE_H_
