// `flowctl ai debug`: findings about a running (or recently run) pipeline
// from its metric history, with fixes (ai/ops.h).
#ifndef FLOWCTL_CLI_AI_DEBUG_H_
#define FLOWCTL_CLI_AI_DEBUG_H_

#include <string>

#include "remote.h"

namespace flowctl::cli {

struct AiDebugOptions {
  std::string name;
  std::string since = "1h";
  std::string state_dir;  // a foreground run's (read directly unless a daemon owns it)
  std::string file;       // the document a foreground run ran (for fixes)
  std::string apply;      // apply the fix of finding N or ID (daemon only)
  std::string show_fix;   // print the fixed document of finding N or ID
  bool yes = false;       // no question on a terminal
  // The "AI Analysis" by a model (ai/ops.h Narrative), from the findings.
  bool narrate = false;
  std::string provider, model;  // "" = follow the model's name / the vendor's default
};

int AiDebug(const AiDebugOptions& o, const RemoteOptions& r);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_AI_DEBUG_H_
