// The layout of a state dir, the same for the daemon (`flowctl serve`, a
// standalone `flowctl mcp`) and a foreground `flowctl apply --state-dir`:
//   STATE/flowctl.db, flowctl.lock        pipelines, versions, runs, audit
//   STATE/crash.record, crash-counts       crash attribution (runtime/crash.h)
//   STATE/checkpoints/<pipeline>/          <source>.checkpoint, decisions/,
//                                          rules/ (what a run keeps)
//   STATE/data/                            the default data root (sandbox)
//
// Contract: pure path arithmetic, plus MovePipelineDirToLayout which the
// owner of the state dir (store/state_lock.h) calls before a run starts.
#ifndef FLOWCTL_STORE_LAYOUT_H_
#define FLOWCTL_STORE_LAYOUT_H_

#include <string>

#include "flowctl/base/status.h"

namespace flowctl::store {

// STATE/checkpoints: the runtime's state_dir (it adds <pipeline>/).
std::string CheckpointRoot(const std::string& state_dir);

// Foreground runs before this layout kept a pipeline's files in
// STATE/<pipeline>/. When that dir holds them and the new one does not
// exist, it is moved, so the next run resumes where the last one stopped.
// Returns whether it moved anything.
Result<bool> MovePipelineDirToLayout(const std::string& state_dir, const std::string& pipeline);

}  // namespace flowctl::store

#endif  // FLOWCTL_STORE_LAYOUT_H_
