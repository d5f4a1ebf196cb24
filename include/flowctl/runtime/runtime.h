// The runtime: executes a validated Graph in-process on a pool of worker
// threads. Work moves in batches through bounded per-node queues; a node runs
// only when every queue it feeds has room, so a slow sink holds back its
// producers (backpressure) and memory stays bounded whatever the input size.
//
// Delivery is at-least-once: a source's checkpoint advances only past
// batches whose every event was written by the sinks it reached, dropped on
// purpose, or dead-lettered (see CheckpointTracker in runtime.cc).
//
// Contract: Create instantiates every component (errors come back before
// anything runs). Start, Cancel, Abort, Wait and Snapshot are thread-safe.
// Cancel drains in-flight events to the sinks; Abort stops at once and
// acknowledges nothing more. The Graph must outlive the Run.
#ifndef FLOWCTL_RUNTIME_RUNTIME_H_
#define FLOWCTL_RUNTIME_RUNTIME_H_

#include <memory>
#include <string>

#include "flowctl/base/sandbox.h"
#include "flowctl/base/status.h"
#include "flowctl/graph/graph.h"
#include "flowctl/runtime/metrics.h"

namespace flowctl {

struct RuntimeOptions {
  int workers = 0;               // 0 = hardware threads
  size_t batch_size = 0;         // 0 = spec's batch_size or 512
  size_t channel_capacity = 0;   // batches per node queue; 0 = spec's or 4
  std::string state_dir;         // checkpoints live here; empty = no resume
  // Confines the nodes' files (ComponentContext::sandbox); null = full access.
  std::shared_ptr<const Sandbox> sandbox;
};

class RunImpl;

class Run {
 public:
  ~Run();
  static Result<std::unique_ptr<Run>> Create(const Graph& graph, const RuntimeOptions& options);
  Status Start();
  // Graceful stop: sources stop reading, everything in flight is written.
  void Cancel();
  // Immediate stop: no more writes, no more acknowledgements.
  void Abort();
  // Blocks until the run ends. OK for a finished or cancelled run.
  Status Wait();
  // Waits up to timeout_ms; true when the run has ended.
  bool WaitFor(int timeout_ms);
  RunSnapshot Snapshot() const;
  int workers() const;

 private:
  explicit Run(std::unique_ptr<RunImpl> impl);
  std::unique_ptr<RunImpl> impl_;
};

}  // namespace flowctl

#endif  // FLOWCTL_RUNTIME_RUNTIME_H_
