// `flowctl ai optimize`: suggestions with predicted effects for a running
// (or recently run) pipeline, from a model of its measured stages
// (ai/optimize.h); a suggestion that changes the pipeline is applied as a
// new version that keeps its prediction.
#ifndef FLOWCTL_CLI_AI_OPTIMIZE_H_
#define FLOWCTL_CLI_AI_OPTIMIZE_H_

#include <string>

#include "flowctl/ai/optimize.h"
#include "remote.h"

namespace flowctl::cli {

struct AiOptimizeOptions {
  std::string name;
  std::string goal;  // "" = all
  std::string since = "1h";
  std::string state_dir;
  std::string file;
  bool simulate = false;  // predictions only: nothing is applied, no question
  int apply = 0;          // apply suggestion N (daemon only)
  int show = 0;           // print the changed document of suggestion N
  bool yes = false;
};

int AiOptimize(const AiOptimizeOptions& o, const RemoteOptions& r);

// A report's suggestions, numbered, each with its predictions and how they
// were computed (also `ai create`'s "Suggest optimizations").
void PrintSuggestions(const ai::OptimizationReport& r, bool apply_hint);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_AI_OPTIMIZE_H_
