// AIMonitor documents on the daemon: applied through the control plane's
// Apply (like pipelines), kept in STATE/monitors/NAME.yaml (so they survive
// restarts), and run every `interval` over the pipelines their targets name
// with the predictions of ai/predict.h.
//
// An alert fires when a failure prediction's trend scores at least the
// prediction's alert-threshold and reaches its threshold within the
// advance-warning, or when an anomaly scores past the sensitivity. Its
// actions:
//   notify   a warning in the daemon's log, an audit record
//            (action "monitor-alert"), and with a webhook an HTTP POST of
//            the alert as JSON, retried 3 times with backoff;
//   prepare  rollback-plan: the version before the running one, the diff to
//            it and the command that rolls back, kept in the alert for a
//            person (nothing is rolled back);
//   execute  recorded as waiting: changing a pipeline is for self-healing
//            policies, not built.
// The same alert (monitor, pipeline, kind, node) fires again only after its
// advance-warning (at least a minute) has passed.
//
// Contract: thread-safe; one background thread from Start() to Stop()
// (or destruction). Times are Unix ms from the clock given (tests drive a
// fake one through EvaluateAt).
#ifndef FLOWCTL_AI_MONITOR_H_
#define FLOWCTL_AI_MONITOR_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "flowctl/base/periodic.h"
#include "flowctl/base/status.h"
#include "flowctl/engine/engine.h"
#include "flowctl/spec/spec.h"

namespace flowctl::ai {

struct MonitorAlert {
  std::string monitor, pipeline;
  std::string kind;  // a failure kind (queue_full, ...) or "anomaly"
  std::string node, title;
  double score = 0;  // trend r2, or |z|
  double eta_s = 0;  // failures: seconds until the threshold
  int64_t time_ms = 0;
  nlohmann::json actions = nlohmann::json::array();  // what each action did
};

struct MonitorState {
  std::string name;
  int version = 0;  // times applied
  std::string yaml;
  MonitorSpec spec;
  int64_t last_run_ms = 0;
  std::vector<std::string> watching;  // the pipelines the last run matched
  std::vector<MonitorAlert> alerts;   // newest first, at most kMaxAlerts
};

class Monitors {
 public:
  static constexpr size_t kMaxAlerts = 50;
  using Clock = std::function<int64_t()>;

  // dir: STATE/monitors (created); the monitors found there are loaded.
  static Result<std::unique_ptr<Monitors>> Open(engine::Engine* engine, const std::string& dir,
                                                Clock clock = nullptr);
  ~Monitors();

  // One AIMonitor document (checked like `flowctl validate`; errors are
  // kInvalidArgument with file:line). dry_run: checked, not kept.
  Result<MonitorState> Apply(const std::string& yaml, const std::string& filename,
                             const std::string& caller, bool dry_run,
                             std::vector<Diagnostic>* diagnostics);
  Status Delete(const std::string& name, const std::string& caller);
  // Whether yaml holds an AIMonitor document (cheap when it does not).
  static bool IsMonitor(const std::string& yaml);
  std::vector<MonitorState> List() const;
  bool Has(const std::string& name) const;

  // Runs the monitors whose interval has passed at now_ms, at once.
  void EvaluateAt(int64_t now_ms);
  void Start();  // a thread that calls EvaluateAt once a second
  void Stop();

 private:
  Monitors(engine::Engine* engine, std::string dir, Clock clock);
  void Run(MonitorState* m, int64_t now_ms);  // mu_ not held
  nlohmann::json Act(const std::vector<MonitorAction>& actions, const MonitorAlert& alert);

  engine::Engine* engine_;
  const std::string dir_;
  Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, MonitorState> monitors_;  // guarded by mu_
  std::map<std::string, int64_t> last_fired_;     // guarded by mu_: alert key -> time
  std::mutex run_mu_;                             // one evaluation at a time
  Periodic loop_;                                 // last: stopped before the rest goes
};

// An AIMonitor document for one pipeline with the seed's three predictions
// (failure, capacity, anomaly) and a notify + rollback-plan on a predicted
// failure: what `ai create`'s "Set up monitoring" writes.
std::string MonitorDocumentFor(const std::string& pipeline);

// Whether name matches glob (* any run, ? one character).
bool GlobMatch(const std::string& glob, const std::string& name);

nlohmann::json ToJson(const MonitorAlert& a);
nlohmann::json ToJson(const MonitorState& m);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_MONITOR_H_
