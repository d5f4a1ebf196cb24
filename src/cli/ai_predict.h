// `flowctl ai predict PIPELINE`: failures the trends reach within a horizon,
// capacity forecasts and anomalies (ai/predict.h), on a terminal or as JSON.
#ifndef FLOWCTL_CLI_AI_PREDICT_H_
#define FLOWCTL_CLI_AI_PREDICT_H_

#include <string>

#include "remote.h"

namespace flowctl::cli {

struct AiPredictOptions {
  std::string name;
  std::string since = "1h";
  std::string horizon = "30m";
  std::string forecast;  // "" = no capacity forecast
  std::string sensitivity = "medium";
  std::string state_dir;
};

int AiPredict(const AiPredictOptions& o, const RemoteOptions& r);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_AI_PREDICT_H_
