// Where `flowctl metrics`, `ai debug` and `ai optimize` read a pipeline's
// history: a state dir's own STATE/metrics.db when no daemon owns it (a
// foreground run's), else the daemon (the one owning the state dir, or
// --server). ApplyDocument is how their changes become a new version.
//
// Contract: not thread-safe; one per command.
#ifndef FLOWCTL_CLI_HISTORY_ACCESS_H_
#define FLOWCTL_CLI_HISTORY_ACCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "flowctl/ai/ops.h"
#include "flowctl/store/metric_history.h"
#include "remote.h"

namespace flowctl::cli {

class HistoryAccess {
 public:
  // kNotFound when a state dir read directly holds no history.
  static Result<HistoryAccess> Open(const std::string& state_dir, const RemoteOptions& r);

  Result<std::vector<store::MetricPoint>> Points(const std::string& name, const std::string& node,
                                                 int64_t since_s);
  Result<std::vector<store::ErrorGroup>> Errors(const std::string& name, const std::string& node,
                                                int64_t since_s);
  // What the ops analyses read (ai/ops.h). From a state dir read directly
  // the document is `file` (the one the run ran; "" = none): a file that
  // cannot be read is kInvalidArgument, one that does not load too, with
  // its diagnostics (file:line) in the message.
  Result<ai::OpsInput> Gather(const std::string& name, const std::string& since,
                              const std::string& file);
  // The daemon, or null for a state dir read directly.
  ai::EngineApi* daemon() { return remote_.get(); }

 private:
  std::unique_ptr<store::MetricHistory> local_;
  std::unique_ptr<ai::EngineApi> remote_;
};

// No such pipeline, history or document: 1; the daemon failed: 3.
int OpsExitCode(const Status& st);

// Previews yaml on the daemon (the diff, unless quiet), then applies it as a
// new version recorded with caller and reason. Prints the result; returns
// the exit code. cmd names the command in messages.
int ApplyDocument(ai::EngineApi& api, const std::string& yaml, const std::string& label,
                  const std::string& caller, const std::string& reason, bool quiet,
                  const char* cmd);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_HISTORY_ACCESS_H_
