// Component SDK: the interfaces every source, processor and sink implements,
// and the context they are created with. Components never see the runtime,
// the graph or the engine; they meet them only through these interfaces.
//
// Contract:
// - A factory is called once per parallel instance; an instance is used by
//   one thread at a time, so instances need no locking of their own state.
//   State shared across instances must be marked in the descriptor
//   (parallel_safe = false keeps the node at one instance).
// - Source::Read is called by one thread at a time. Source::Decode may run on
//   several threads at once and must be safe for that (it should be const in
//   spirit: no shared mutable state).
// - Config has been validated against the descriptor's JSON schema before a
//   factory runs; factories still return Status for semantic problems.
#ifndef FLOWCTL_COMPONENT_COMPONENT_H_
#define FLOWCTL_COMPONENT_COMPONENT_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "flowctl/base/sandbox.h"
#include "flowctl/base/status.h"
#include "flowctl/data/event.h"

namespace flowctl {

// Named counters a node reports beside its standard metrics (model calls,
// tokens, cost in micro-dollars, cache hits). Get() may be called from
// factories and workers; the returned counter lives as long as the run.
class NodeCounters {
 public:
  std::atomic<int64_t>* Get(const std::string& name) {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& [n, v] : items_)
      if (n == name) return &v;
    items_.emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                        std::forward_as_tuple(0));
    return &items_.back().second;
  }
  std::vector<std::pair<std::string, int64_t>> Read() const {
    std::lock_guard<std::mutex> lk(mu_);
    std::vector<std::pair<std::string, int64_t>> out;
    for (const auto& [n, v] : items_) out.emplace_back(n, v.load(std::memory_order_relaxed));
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::deque<std::pair<std::string, std::atomic<int64_t>>> items_;
};

struct ComponentContext {
  std::string pipeline;
  std::string node_id;
  nlohmann::json config;
  // Directory where the node may keep state across runs (checkpoints,
  // indexes). Empty when the run has no state dir.
  std::string state_dir;
  int instance = 0;  // 0..concurrency-1
  // The run resumes from a checkpoint an earlier run of this pipeline left
  // in the state dir: what that run wrote is part of the output, so a sink
  // must not truncate it (append: false means "start fresh" only on a fresh
  // start).
  bool resuming = false;
  // Per-node counters, shared by all instances (never null in a run; may be
  // null when a test builds a component by hand).
  NodeCounters* counters = nullptr;
  // One slot per node shared by its parallel instances for the run (a model
  // client with its concurrency limit, cache and circuit breaker). Factories
  // run one at a time, so the first may fill it and later ones reuse it.
  std::shared_ptr<void>* shared = nullptr;
  // The file sandbox of a pipeline applied by a remote client or an agent;
  // null = full access (a person's foreground run). When set, the path
  // fields the schema declares ("x-flowctl-path") are already resolved in
  // config; a component that opens a path it derives itself (a default
  // directory, a name looked up in a directory) passes it to ResolvePath.
  std::shared_ptr<const Sandbox> sandbox;
  // Set when the run is aborted (a second SIGTERM, a fatal error): a call
  // that can take long inside Process (a query, a model loop) gives up.
  // Null when a test builds a component by hand.
  const std::atomic<bool>* stop = nullptr;
};

// path as is without a sandbox; else its resolved absolute path, or an error
// naming it and the allowed roots.
inline Result<std::string> ResolvePath(const ComponentContext& ctx, const std::string& path,
                                       PathAccess access) {
  if (!ctx.sandbox) return path;
  return ctx.sandbox->Resolve(path, access);
}

// Where a processor (or a source's decode step) sends its results.
class Emitter {
 public:
  virtual ~Emitter() = default;
  // To the default (first) output port.
  virtual void Emit(Event&& e) = 0;
  // To a named output port by index (as listed by the descriptor).
  virtual void EmitTo(size_t port, Event&& e) = 0;
  // The event failed here: the node's on_error policy decides what happens.
  virtual void Fail(Event&& e, const Status& why) = 0;
  // Dropped on purpose (a filter that did not match): counted, acknowledged.
  virtual void Drop(Event&& e) = 0;
};

enum class ReadResult {
  kHaveOutput,  // events were appended
  kIdle,        // nothing now; call again later
  kFinished,    // a bounded source is exhausted
};

class Source {
 public:
  virtual ~Source() = default;
  // Resume from a checkpoint previously returned by Read ("" = beginning).
  virtual Status Open(const std::string& checkpoint) = 0;
  // Appends up to max events. *checkpoint is set to the position after the
  // last appended event ("" if the source cannot resume).
  virtual Result<ReadResult> Read(std::vector<Event>* out, size_t max, std::string* checkpoint) = 0;
  // Turns raw events into bodies; runs in parallel outside the read lock.
  // Default: events are already decoded.
  virtual void Decode(std::vector<Event>& events, Emitter& out) const {
    for (auto& e : events) out.Emit(std::move(e));
  }
  virtual void Close() {}
};

class Processor {
 public:
  virtual ~Processor() = default;
  // Consumes events. Per-event problems go through Emitter::Fail. A non-OK
  // Status (or an exception) fails every event still held in `events`: the
  // node's on_error policy applies to each; events already emitted, failed
  // or dropped keep that outcome (the runtime tells them apart by
  // Event::moved_from()). A processor that moves an event somewhere else and
  // then fails loses it: move events only into the Emitter.
  virtual Status Process(std::vector<Event>& events, Emitter& out) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Open() { return Status::OK(); }
  // Writes events. On return the data must be handed to the OS (or the
  // remote side) so that acknowledging it is safe.
  virtual Status Write(std::vector<Event>& events) = 0;
  virtual Status Close() { return Status::OK(); }
};

}  // namespace flowctl

#endif  // FLOWCTL_COMPONENT_COMPONENT_H_
