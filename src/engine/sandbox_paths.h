// The file sandbox at validate/apply time: every path a pipeline's nodes
// name (the fields their schemas mark "x-flowctl-path") must resolve under
// the engine's data roots. Runs before the graph is built, so no component
// check ever touches a refused file.
//
// Contract: pure function of its inputs and the file system; thread-safe.
#ifndef FLOWCTL_ENGINE_SANDBOX_PATHS_H_
#define FLOWCTL_ENGINE_SANDBOX_PATHS_H_

#include <vector>

#include "flowctl/base/sandbox.h"
#include "flowctl/component/registry.h"
#include "flowctl/spec/diagnostic.h"
#include "flowctl/spec/spec.h"

namespace flowctl::engine {

// One error per refused path, at the file:line:col where it was written,
// naming the path and the allowed roots. Nodes of unknown types are left to
// the graph builder.
std::vector<Diagnostic> CheckSandboxPaths(const PipelineSpec& spec, const Registry& registry,
                                          const Sandbox& sandbox);

}  // namespace flowctl::engine

#endif  // FLOWCTL_ENGINE_SANDBOX_PATHS_H_
