// Where `flowctl metrics` and `flowctl ai debug` read a pipeline's history:
// a state dir's own STATE/metrics.db when no daemon owns it (a foreground
// run's), else the daemon (the one owning the state dir, or --server).
//
// Contract: not thread-safe; one per command.
#ifndef FLOWCTL_CLI_HISTORY_ACCESS_H_
#define FLOWCTL_CLI_HISTORY_ACCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "flowctl/ai/engine_api.h"
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
  // The daemon, or null for a state dir read directly.
  ai::EngineApi* daemon() { return remote_.get(); }

 private:
  std::unique_ptr<store::MetricHistory> local_;
  std::unique_ptr<ai::EngineApi> remote_;
};

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_HISTORY_ACCESS_H_
