// `flowctl metrics`: a pipeline's metric history (store/metric_history.h).
#ifndef FLOWCTL_CLI_METRICS_CMD_H_
#define FLOWCTL_CLI_METRICS_CMD_H_

#include <string>

#include "remote.h"

namespace flowctl::cli {

struct MetricsOptions {
  std::string name;
  std::string node;          // "" = every node and the totals
  std::string since = "1h";  // 90s, 15m, 1h, 24h, 7d, 30d
  std::string state_dir;     // read it directly when no daemon owns it
};

int MetricsCmd(const MetricsOptions& m, const RemoteOptions& r);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_METRICS_CMD_H_
