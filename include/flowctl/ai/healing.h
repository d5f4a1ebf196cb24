// Self-healing (the seed's self-healing-pipeline; docs/ai.md "Self-healing"):
// the daemon acts on a pipeline's `spec.ai-policies` of type self-healing.
//
// Every 2 s, per running pipeline with healing on, each detection rule is
// measured over its window of the metric history (the running version's
// samples, past a 5 s warm-up after it started or after the last action).
// A rule over its threshold opens an episode: an `ai-diagnosis` (ai debug's
// findings over the window, narrated when the policy names a
// provider:model), an audit record with the symptom and the diagnosis, then
// the strategies in turn, each through the governance gate as "self-healing"
// (and "scale" / "rollback" where they are that):
//   restart-component   the run stops (draining, checkpointed) and starts
//                       again from the document: every node rebuilt;
//   scale-horizontally  the symptom's node runs x2 instances (to max-workers
//                       or the host's threads; parallel-safe processors, and
//                       only for capacity symptoms: latency, queue, busy);
//   reroute-traffic     the failing node's failures go to a dead-letter sink
//                       (added when there is none), so none is lost;
//   rollback-version    to the newest earlier version the history measured
//                       under the rule's threshold;
//   create-incident     POSTs the episode (symptom, diagnosis, what was
//                       tried) to incident-webhook and audits it; it changes
//                       nothing, so it is not held, and the next strategy
//                       follows at once.
// After an action, the same rule measured over the samples after it (a full
// window's worth, past the warm-up) says whether the pipeline recovered;
// that outcome is audited and, with `learning`, recorded per pipeline,
// metric and strategy. The next episode tries the strategies that recovered
// that symptom most often first (Laplace-smoothed rate; untried 1/2; ties
// keep the order written; create-incident keeps its place);
// `share-learnings` adds the other sharing pipelines' outcomes.
//
// Contract: the pure functions take what they read. Healer is thread-safe;
// one background thread from Start() to Stop(); on/off settings and the
// learnings persist in STATE/healing.json.
#ifndef FLOWCTL_AI_HEALING_H_
#define FLOWCTL_AI_HEALING_H_

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flowctl/ai/ops.h"
#include "flowctl/base/periodic.h"
#include "flowctl/engine/engine.h"
#include "flowctl/spec/spec.h"

namespace flowctl::ai {

// A rule's value over [from_ms, to_ms): of the worst node, or of the
// pipeline ("" node) for throughput_drop.
struct Measurement {
  std::string node;
  double value = 0;
  double covered_s = 0;  // seconds the samples cover
};
std::optional<Measurement> Measure(const OpsInput& in, const HealingDetection& rule,
                                   int64_t from_ms, int64_t to_ms);
// The value in the rule's unit, for messages: "0.98", "1250 ms".
std::string FormatMeasure(const HealingDetection& rule, double value);

struct StrategyStats {
  int tried = 0, recovered = 0;
};
using Learnings = std::map<std::string, StrategyStats>;  // by strategy

// The policy's strategies in the order to try them (see above).
std::vector<std::string> OrderStrategies(const HealingPolicy& p, const Learnings& own,
                                         const Learnings& shared);

// The seed's auto-recovery policy, for EnableAutoHealing on a pipeline whose
// document has none.
HealingPolicy DefaultHealingPolicy();

// Healer::Describe's answer in words (the RPC's message, the CLI's text).
std::string HealingSummary(const nlohmann::json& described);

class Healer {
 public:
  using Clock = std::function<int64_t()>;
  // path: STATE/healing.json (loaded when it exists).
  Healer(engine::Engine* engine, std::string path, Clock clock = nullptr, EnvLookup env = nullptr);
  ~Healer();

  // On or off for a pipeline that exists (on by default when its document
  // has a self-healing policy). The status after the change.
  Result<nlohmann::json> Enable(const std::string& pipeline, bool enabled);
  // Whether it is on, the policies in effect, open episodes, learnings.
  Result<nlohmann::json> Describe(const std::string& pipeline) const;
  // One pass at now_ms: what it did, in words (tests call it directly).
  std::vector<std::string> EvaluateAt(int64_t now_ms);
  void Start();  // a pass every 2 s
  void Stop();

 private:
  struct Episode {
    std::string policy, metric, node;
    int64_t started_ms = 0;
    std::string symptom;    // in words
    std::string diagnosis;  // in words
    std::vector<std::string> order, tried;
    size_t next = 0;
    std::string current;   // the strategy whose outcome is awaited
    int64_t acted_ms = 0;  // when it took effect (0: held)
    std::string approval;  // while held
    bool exhausted = false;
  };
  struct PipelineState {
    std::optional<bool> enabled;                 // unset: on when the document has a policy
    std::map<std::string, Learnings> learnings;  // by metric
    std::map<std::string, Episode> episodes;     // by policy/metric
    int64_t last_action_ms = 0;
  };
  std::vector<HealingPolicy> PoliciesOf(const std::string& yaml, const PipelineState& s) const;
  void Heal(const std::string& name, const HealingPolicy& p, const HealingDetection& rule,
            const OpsInput& in, int64_t now_ms, std::vector<std::string>* done);
  void Act(const std::string& name, const HealingPolicy& p, const HealingDetection& rule,
           const OpsInput& in, Episode* e, int64_t now_ms, std::vector<std::string>* done);
  // learn: the strategy ran, so its outcome counts (not when it was denied).
  void Outcome(const std::string& name, const HealingPolicy& p, Episode* e, bool recovered,
               const std::string& why, bool learn);
  Learnings SharedLearnings(const std::string& name, const std::string& metric) const;
  void Audit(const std::string& name, const std::string& action, const std::string& reason,
             const nlohmann::json& args, const Status& st);
  Status SaveLocked() const;

  engine::Engine* engine_;
  const std::string path_;
  Clock clock_;
  EnvLookup env_;
  mutable std::mutex mu_;
  std::map<std::string, PipelineState> pipelines_;  // guarded by mu_
  // Which pipelines share learnings (their policies say so); guarded by mu_.
  std::map<std::string, bool> sharing_;
  Periodic loop_;  // last: stopped before the rest goes
};

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_HEALING_H_
