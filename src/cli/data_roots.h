// The file sandbox of an engine that serves remote clients or agents
// (`flowctl serve`, `flowctl mcp`): --data-root DIR (repeatable), default
// STATE_DIR/data (created). The state dir is never reachable, except its
// data/ folder.
//
// Contract: creates STATE_DIR/data when it is the default; errors name the
// bad root (exit 2 at the caller).
#ifndef FLOWCTL_CLI_DATA_ROOTS_H_
#define FLOWCTL_CLI_DATA_ROOTS_H_

#include <memory>
#include <string>
#include <vector>

#include "flowctl/base/sandbox.h"
#include "flowctl/base/status.h"

namespace flowctl::cli {

Result<std::shared_ptr<const Sandbox>> DataRootSandbox(const std::vector<std::string>& roots,
                                                       const std::string& state_dir);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_DATA_ROOTS_H_
