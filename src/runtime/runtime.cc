#include "flowctl/runtime/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "checkpoint.h"
#include "flowctl/base/clock.h"
#include "flowctl/base/strings.h"
#include "flowctl/component/schema.h"
#include "flowctl/data/json.h"
#include "flowctl/runtime/crash.h"

namespace flowctl {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kDefaultBatch = 512;
constexpr size_t kDefaultCapacity = 4;
constexpr int kMaxBackoffMs = 30000;
constexpr int kLoggedErrorsPerNode = 5;

struct RtNode {
  const GraphNode* g = nullptr;
  size_t index = 0;
  int concurrency = 1;
  // Distinct nodes this one feeds (consumers of every port, then the
  // dead-letter target); outputs of one step are grouped by these.
  std::vector<size_t> downstream;
  std::vector<std::vector<size_t>> port_targets;  // port -> positions in downstream
  // port -> whether a sink reads it: those events are serialized here, in
  // parallel, rather than in the (single-instance) sink.
  std::vector<bool> port_feeds_sink;
  int dead_letter_pos = -1;  // position in downstream

  std::unique_ptr<Source> source;
  std::mutex read_mu;
  uint64_t next_seq = 0;  // guarded by read_mu
  std::unique_ptr<CheckpointTracker> tracker;
  bool source_done = false;
  Clock::time_point wake_at{};

  std::vector<std::unique_ptr<Processor>> processors;
  std::vector<std::unique_ptr<Sink>> sinks;
  std::vector<int> free_instances;

  std::deque<Batch> queue;
  size_t capacity = kDefaultCapacity;
  size_t reserved = 0;
  int running = 0;
  int open_inputs = 0;
  bool finished = false;

  NodeMetrics metrics;
  NodeCounters counters;
  std::shared_ptr<void> shared;  // the node's instances share it (ComponentContext)
  std::atomic<int> logged_errors{0};
};

// Collects one step's results, grouped by downstream node.
class StepEmitter final : public Emitter {
 public:
  explicit StepEmitter(RtNode& n) : node_(n), outputs_(n.downstream.size()) {}

  void Emit(Event&& e) override { EmitTo(0, std::move(e)); }
  void EmitTo(size_t port, Event&& e) override {
    if (port >= node_.port_targets.size() || node_.port_targets[port].empty()) {
      ++unconsumed_;  // an output no one reads (e.g. an unused route)
      return;
    }
    ++emitted_;
    if (node_.port_feeds_sink[port]) e.CacheJson();
    const auto& targets = node_.port_targets[port];
    for (size_t i = 0; i + 1 < targets.size(); ++i) outputs_[targets[i]].push_back(e);
    outputs_[targets.back()].push_back(std::move(e));
  }
  void Fail(Event&& e, const Status& why) override {
    failed_.push_back(std::move(e));
    reasons_.push_back(why.message());
  }
  void Drop(Event&&) override { ++dropped_; }

  RtNode& node_;
  std::vector<std::vector<Event>> outputs_;
  std::vector<Event> failed_;
  std::vector<std::string> reasons_;
  uint64_t emitted_ = 0, dropped_ = 0, unconsumed_ = 0;
};

// The record a dead-letter sink receives: why, where, and the original event
// (its body, or its raw text when it never decoded).
Event MakeDeadLetter(const std::string& pipeline, const std::string& node,
                     const std::string& reason, Event&& failed) {
  Value rec = Value::MakeObject();
  rec.Set("error", Value(reason));
  rec.Set("node", Value(node));
  rec.Set("pipeline", Value(pipeline));
  rec.Set("attempts", Value(static_cast<int64_t>(failed.attempt) + 1));
  auto now = std::chrono::system_clock::now();
  rec.Set(
      "failed_at_ms",
      Value(static_cast<int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count())));
  if (failed.body().is_null() && !failed.raw().empty()) {
    rec.Set("raw", Value(failed.raw()));
    // The text is written as valid UTF-8 (bad bytes become U+FFFD); keep the
    // exact bytes too, so a reprocessing tool can recover the original.
    if (!IsValidUtf8(failed.raw())) rec.Set("raw_base64", Value(Base64Encode(failed.raw())));
  } else {
    rec.Set("event", Value(failed.body()));
  }
  return Event(std::move(rec));
}

// Runs one call into component code. Components report errors as Status,
// but a library they use may still throw (a URL parser, an allocation); an
// exception must end as that node's error, never as the process's abort.
template <typename F>
Status Contained(const std::string& node, const char* what, F&& call) {
  try {
    return call();
  } catch (const std::exception& e) {
    return Status::Internal(node + ": " + what + " threw: " + e.what());
  } catch (...) {
    return Status::Internal(node + ": " + what + " threw an unknown exception");
  }
}

// After a component failed part-way through a batch (a non-OK Status or an
// exception), the events it still holds have not been handled: each goes to
// the node's on_error policy with the reason. Events it already moved on
// (emitted, failed, dropped) keep that outcome.
void FailUnhandled(std::vector<Event>& events, const Status& why, Emitter& em) {
  for (auto& e : events)
    if (!e.moved_from()) em.Fail(std::move(e), why);
  events.clear();
}

}  // namespace

class RunImpl {
 public:
  RunImpl(const Graph& g, RuntimeOptions o) : graph_(g), opts_(std::move(o)) {}

  Status Init();
  Status Start();
  void Cancel() {
    std::lock_guard<std::mutex> lk(mu_);
    // A run that already ended keeps its outcome (succeeded stays succeeded).
    if (done_ || aborted_) return;
    cancelled_ = true;
    // Idle sources end now; busy ones end after their current step.
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i]->source) MaybeFinish(i);
    cv_.notify_all();
  }
  void Abort(Status why);
  bool WaitFor(int timeout_ms);
  Status Wait();
  RunSnapshot Snapshot() const;
  int workers() const { return workers_; }
  ~RunImpl();

 private:
  void WorkerLoop();
  int PickRunnable(Clock::time_point now, Clock::time_point* next_wake);
  bool HasRoom(const RtNode& n) const;
  void MaybeFinish(size_t idx);
  void FinishNode(RtNode& n);

  // Step bodies run without the scheduler lock. They return a fatal status
  // (on_error: fail, or a broken component) or OK.
  Status StepSource(RtNode& n, StepEmitter& em, Batch* out_batch, bool* idle, bool* done);
  Status StepProcessor(RtNode& n, int inst, Batch& in, StepEmitter& em);
  Status StepSink(RtNode& n, int inst, Batch& in, StepEmitter& em);
  // Applies the node's on_error policy to em.failed_ (after retries).
  Status HandleFailures(RtNode& n, StepEmitter& em);
  void Backoff(const ErrorPolicy& p, uint32_t attempt);

  const Graph& graph_;
  RuntimeOptions opts_;
  std::vector<std::unique_ptr<RtNode>> nodes_;
  int workers_ = 1;
  size_t batch_size_ = kDefaultBatch;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  bool started_ = false;
  bool cancelled_ = false;
  bool aborted_ = false;
  std::atomic<bool> stop_flag_{false};  // aborted_, for components (ctx.stop)
  bool done_ = false;
  size_t finished_count_ = 0;
  Status failure_;
  Clock::time_point start_time_;
  Clock::time_point end_time_;
};

Status RunImpl::Init() {
  // Create spdlog's registry before any worker logs: its lazy set-up in an
  // uninstrumented shared library would otherwise race in the workers.
  (void)spdlog::default_logger_raw();
  const auto& gnodes = graph_.nodes();
  const auto& spec = graph_.spec();
  unsigned hw = std::thread::hardware_concurrency();
  workers_ = opts_.workers > 0 ? opts_.workers : static_cast<int>(hw ? hw : 2);
  batch_size_ = opts_.batch_size      ? opts_.batch_size
                : spec.batch_size > 0 ? static_cast<size_t>(spec.batch_size)
                                      : kDefaultBatch;
  size_t capacity = opts_.channel_capacity      ? opts_.channel_capacity
                    : spec.channel_capacity > 0 ? static_cast<size_t>(spec.channel_capacity)
                                                : kDefaultCapacity;
  std::string pipeline_dir;
  if (!opts_.state_dir.empty()) {
    pipeline_dir = (fs::path(opts_.state_dir) / spec.metadata.name).string();
    std::error_code ec;
    fs::create_directories(pipeline_dir, ec);
    if (ec) return Status::IoError("cannot create state dir " + pipeline_dir + ": " + ec.message());
  }
  // A checkpoint left by an earlier run means this run continues its output.
  bool resuming = false;
  if (!pipeline_dir.empty()) {
    for (const GraphNode& g : gnodes) {
      if (g.kind() != NodeKind::kSource) continue;
      std::error_code ec;
      auto size = fs::file_size(fs::path(pipeline_dir) / (g.id() + ".checkpoint"), ec);
      if (!ec && size > 0) resuming = true;
    }
  }
  for (size_t i = 0; i < gnodes.size(); ++i) {
    auto n = std::make_unique<RtNode>();
    const GraphNode& g = gnodes[i];
    n->g = &g;
    n->index = i;
    n->capacity = capacity;
    int want = g.spec->concurrency;
    if (want <= 0) {
      // Sources decode in parallel; sinks keep order by default.
      want = (g.kind() == NodeKind::kSink || !g.descriptor->parallel_safe) ? 1 : workers_;
    }
    n->concurrency = want;
    for (size_t p = 0; p < g.consumers.size(); ++p) {
      std::vector<size_t> targets;
      for (size_t c : g.consumers[p]) {
        auto it = std::find(n->downstream.begin(), n->downstream.end(), c);
        if (it == n->downstream.end()) {
          n->downstream.push_back(c);
          it = n->downstream.end() - 1;
        }
        targets.push_back(static_cast<size_t>(it - n->downstream.begin()));
      }
      n->port_targets.push_back(std::move(targets));
      bool to_sink = false;
      for (size_t c : g.consumers[p]) to_sink = to_sink || gnodes[c].kind() == NodeKind::kSink;
      n->port_feeds_sink.push_back(to_sink);
    }
    if (g.dead_letter_target >= 0) {
      size_t t = static_cast<size_t>(g.dead_letter_target);
      auto it = std::find(n->downstream.begin(), n->downstream.end(), t);
      if (it == n->downstream.end()) {
        n->downstream.push_back(t);
        it = n->downstream.end() - 1;
      }
      n->dead_letter_pos = static_cast<int>(it - n->downstream.begin());
    }
    ComponentContext ctx;
    ctx.pipeline = spec.metadata.name;
    ctx.node_id = g.id();
    ctx.config = g.config;
    if (!pipeline_dir.empty()) ctx.state_dir = pipeline_dir;
    ctx.counters = &n->counters;
    ctx.shared = &n->shared;
    ctx.resuming = resuming;
    ctx.stop = &stop_flag_;
    const auto& d = *g.descriptor;
    if (opts_.sandbox) {
      // Re-resolved at open, not only at apply: a symlink swapped in since
      // then is seen (docs/operations.md, "File sandbox").
      ctx.sandbox = opts_.sandbox;
      Status st = ResolvePathFields(d.config_schema, *ctx.sandbox, &ctx.config);
      if (!st.ok()) return Status(st.code(), g.id() + ": " + st.message());
    }
    if (g.kind() == NodeKind::kSource) {
      Result<std::unique_ptr<Source>> src = Status::Internal("no source");
      Status made = Contained(g.id(), "create", [&] {
        src = d.make_source(ctx);
        return Status::OK();
      });
      if (!made.ok()) return made;
      if (!src.ok()) return Status(src.status().code(), g.id() + ": " + src.status().message());
      n->source = std::move(src).value();
      std::string resume;
      if (!pipeline_dir.empty()) {
        n->tracker = std::make_unique<CheckpointTracker>(
            (fs::path(pipeline_dir) / (g.id() + ".checkpoint")).string());
        resume = n->tracker->Load();
      }
      Status st = Contained(g.id(), "open", [&] { return n->source->Open(resume); });
      if (!st.ok()) return Status(st.code(), g.id() + ": " + st.message());
    } else {
      for (int k = 0; k < want; ++k) {
        ctx.instance = k;
        if (g.kind() == NodeKind::kProcessor) {
          Result<std::unique_ptr<Processor>> p = Status::Internal("no processor");
          Status made = Contained(g.id(), "create", [&] {
            p = d.make_processor(ctx);
            return Status::OK();
          });
          if (!made.ok()) return made;
          if (!p.ok()) return Status(p.status().code(), g.id() + ": " + p.status().message());
          n->processors.push_back(std::move(p).value());
        } else {
          Result<std::unique_ptr<Sink>> s = Status::Internal("no sink");
          Status made = Contained(g.id(), "create", [&] {
            s = d.make_sink(ctx);
            return Status::OK();
          });
          if (!made.ok()) return made;
          if (!s.ok()) return Status(s.status().code(), g.id() + ": " + s.status().message());
          Status st = Contained(g.id(), "open", [&] { return s.value()->Open(); });
          if (!st.ok()) return Status(st.code(), g.id() + ": " + st.message());
          n->sinks.push_back(std::move(s).value());
        }
        n->free_instances.push_back(k);
      }
    }
    nodes_.push_back(std::move(n));
  }
  // Lifecycle: a node ends when every distinct upstream node has ended.
  for (auto& n : nodes_)
    for (size_t d : n->downstream) nodes_[d]->open_inputs++;
  return Status::OK();
}

Status RunImpl::Start() {
  std::lock_guard<std::mutex> lk(mu_);
  if (started_) return Status(StatusCode::kFailedPrecondition, "run already started");
  started_ = true;
  start_time_ = Clock::now();
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { WorkerLoop(); });
  return Status::OK();
}

void RunImpl::Abort(Status why) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!aborted_) {
    aborted_ = true;
    stop_flag_ = true;
    if (failure_.ok()) failure_ = std::move(why);
    for (auto& n : nodes_)
      if (n->tracker) n->tracker->Freeze();
  }
  cv_.notify_all();
}

bool RunImpl::HasRoom(const RtNode& n) const {
  for (size_t d : n.downstream) {
    const RtNode& t = *nodes_[d];
    if (t.queue.size() + t.reserved >= t.capacity) return false;
  }
  return true;
}

int RunImpl::PickRunnable(Clock::time_point now, Clock::time_point* next_wake) {
  // Downstream first: draining beats reading more.
  for (size_t k = nodes_.size(); k-- > 0;) {
    RtNode& n = *nodes_[k];
    if (n.finished || n.running >= n.concurrency) continue;
    if (n.source) {
      if (n.source_done || cancelled_) continue;
      if (n.wake_at > now) {
        if (*next_wake == Clock::time_point{} || n.wake_at < *next_wake) *next_wake = n.wake_at;
        continue;
      }
    } else if (n.queue.empty()) {
      continue;
    }
    if (!HasRoom(n)) continue;
    return static_cast<int>(k);
  }
  return -1;
}

void RunImpl::WorkerLoop() {
  // A fatal signal on this thread is recorded against this pipeline.
  SetThreadPipeline(graph_.spec().metadata.name.c_str());
  MaybeCrashForTest(graph_.spec().metadata.name);
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    if (aborted_ || done_) break;
    Clock::time_point next_wake{};
    int idx = PickRunnable(Clock::now(), &next_wake);
    if (idx < 0) {
      if (next_wake != Clock::time_point{})
        cv_.wait_until(lk, next_wake);
      else
        cv_.wait(lk);
      continue;
    }
    RtNode& n = *nodes_[static_cast<size_t>(idx)];
    n.running++;
    for (size_t d : n.downstream) nodes_[d]->reserved++;
    int inst = -1;
    Batch in;
    if (!n.source) {
      inst = n.free_instances.back();
      n.free_instances.pop_back();
      in = std::move(n.queue.front());
      n.queue.pop_front();
    }
    lk.unlock();

    StepEmitter em(n);
    Status st;
    bool idle = false, src_done = false;
    Batch src_batch;
    auto t0 = Clock::now();
    if (n.source)
      st = StepSource(n, em, &src_batch, &idle, &src_done);
    else if (n.g->kind() == NodeKind::kProcessor)
      st = StepProcessor(n, inst, in, em);
    else
      st = StepSink(n, inst, in, em);
    auto elapsed = Clock::now() - t0;
    if (!st.ok() || idle) {
      // nothing to record
    } else {
      n.metrics.busy_ns.fetch_add(
          static_cast<uint64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()),
          std::memory_order_relaxed);
      n.metrics.batches.fetch_add(1, std::memory_order_relaxed);
      n.metrics.batch_latency.Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
    }
    // Outputs share the input batch's acknowledgement.
    std::shared_ptr<AckHandle> ack = n.source ? src_batch.ack : in.ack;
    in.events.clear();
    in.ack.reset();
    src_batch.ack.reset();

    lk.lock();
    for (size_t i = 0; i < n.downstream.size(); ++i) {
      RtNode& t = *nodes_[n.downstream[i]];
      t.reserved--;
      if (!em.outputs_[i].empty() && st.ok() && !aborted_) {
        t.queue.push_back(Batch{std::move(em.outputs_[i]), ack});
      }
    }
    n.running--;
    if (inst >= 0) n.free_instances.push_back(inst);
    if (n.source) {
      if (idle) n.wake_at = Clock::now() + std::chrono::milliseconds(2);
      if (src_done) n.source_done = true;
    }
    if (!st.ok() && !aborted_) {
      aborted_ = true;
      failure_ = st;
      for (auto& m : nodes_)
        if (m->tracker) m->tracker->Freeze();
    }
    // Release the acknowledgement outside the scheduler lock would be nicer,
    // but the tracker has its own lock and never calls back into us.
    ack.reset();
    if (!aborted_) {
      for (auto& m : nodes_)
        if (m->tracker && m->tracker->broken()) {
          aborted_ = true;
          Status why = m->tracker->error();
          failure_ = Status(why.code(), m->g->id() + ": checkpoint: " + why.message());
          for (auto& o : nodes_)
            if (o->tracker) o->tracker->Freeze();
          break;
        }
    }
    MaybeFinish(static_cast<size_t>(idx));
    cv_.notify_all();
  }
  cv_.notify_all();
}

void RunImpl::MaybeFinish(size_t idx) {
  RtNode& n = *nodes_[idx];
  if (n.finished || n.running > 0) return;
  bool ended = n.source ? (n.source_done || cancelled_) : (n.open_inputs == 0 && n.queue.empty());
  if (!ended) return;
  FinishNode(n);
  for (size_t d : n.downstream) {
    nodes_[d]->open_inputs--;
    MaybeFinish(d);
  }
}

void RunImpl::FinishNode(RtNode& n) {
  n.finished = true;
  ++finished_count_;
  if (n.source) {
    Status st = Contained(n.g->id(), "close", [&] {
      n.source->Close();
      return Status::OK();
    });
    if (!st.ok() && failure_.ok()) failure_ = st;
  }
  for (auto& s : n.sinks) {
    Status st = Contained(n.g->id(), "close", [&] { return s->Close(); });
    if (!st.ok() && failure_.ok()) failure_ = Status(st.code(), n.g->id() + ": " + st.message());
  }
  if (finished_count_ == nodes_.size()) {
    done_ = true;
    end_time_ = Clock::now();
  }
}

void RunImpl::Backoff(const ErrorPolicy& p, uint32_t attempt) {
  long ms = static_cast<long>(p.backoff_ms) << std::min<uint32_t>(attempt, 16);
  ms = std::min<long>(ms, kMaxBackoffMs);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

Status RunImpl::StepSource(RtNode& n, StepEmitter& em, Batch* out, bool* idle, bool* done) {
  std::vector<Event> events;
  events.reserve(batch_size_);
  std::string checkpoint;
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lk(n.read_mu);
    Result<ReadResult> r = Status::Internal("no read");
    Status called = Contained(n.g->id(), "read", [&] {
      r = n.source->Read(&events, batch_size_, &checkpoint);
      return Status::OK();
    });
    if (!called.ok()) return called;
    if (!r.ok()) return Status(r.status().code(), n.g->id() + ": " + r.status().message());
    if (r.value() == ReadResult::kIdle && events.empty()) *idle = true;
    if (r.value() == ReadResult::kFinished) *done = true;
    if (events.empty()) return Status::OK();
    seq = n.next_seq++;
    if (n.tracker) n.tracker->Register(seq, std::move(checkpoint));
  }
  if (n.tracker) out->ack = std::make_shared<BatchAck>(n.tracker.get(), seq);
  n.metrics.in.fetch_add(events.size(), std::memory_order_relaxed);
  Status decoded = Contained(n.g->id(), "decode", [&] {
    n.source->Decode(events, em);
    return Status::OK();
  });
  if (!decoded.ok()) FailUnhandled(events, decoded, em);
  // Every downstream node gets the same events: the first one's are a sample.
  for (const auto& out_events : em.outputs_)
    if (!out_events.empty()) {
      n.metrics.schema.Record(out_events);
      break;
    }
  n.metrics.out.fetch_add(em.emitted_, std::memory_order_relaxed);
  n.metrics.dropped.fetch_add(em.dropped_ + em.unconsumed_, std::memory_order_relaxed);
  // Decode failures (malformed input) cannot be retried: the bytes stay bad.
  return HandleFailures(n, em);
}

Status RunImpl::StepProcessor(RtNode& n, int inst, Batch& in, StepEmitter& em) {
  n.metrics.in.fetch_add(in.events.size(), std::memory_order_relaxed);
  Processor& p = *n.processors[static_cast<size_t>(inst)];
  // component.h's promise: a failed Process hands every event it did not
  // pass on to the node's on_error policy (which may retry, dead-letter,
  // drop or fail the run); it does not end the run by itself.
  auto process = [&](std::vector<Event>& events) {
    Status st = Contained(n.g->id(), "process", [&] { return p.Process(events, em); });
    if (!st.ok()) FailUnhandled(events, st, em);
  };
  process(in.events);
  const ErrorPolicy& pol = n.g->spec->on_error;
  if (pol.kind == ErrorPolicy::Kind::kRetry) {
    uint32_t round = 0;
    while (!em.failed_.empty() && round < static_cast<uint32_t>(pol.max_retries)) {
      Backoff(pol, round++);
      std::vector<Event> again = std::move(em.failed_);
      em.failed_.clear();
      em.reasons_.clear();
      for (auto& e : again) e.attempt++;
      n.metrics.retries.fetch_add(again.size(), std::memory_order_relaxed);
      process(again);
    }
  }
  n.metrics.out.fetch_add(em.emitted_, std::memory_order_relaxed);
  n.metrics.dropped.fetch_add(em.dropped_ + em.unconsumed_, std::memory_order_relaxed);
  return HandleFailures(n, em);
}

Status RunImpl::StepSink(RtNode& n, int inst, Batch& in, StepEmitter& em) {
  n.metrics.in.fetch_add(in.events.size(), std::memory_order_relaxed);
  std::vector<Event>& events = in.events;
  if (n.g->filter) {
    size_t keep = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      auto r = n.g->filter->EvalBool(events[i]);
      if (!r.ok()) {
        em.Fail(std::move(events[i]), Status::Invalid("filter: " + r.status().message()));
      } else if (r.value()) {
        if (keep != i) events[keep] = std::move(events[i]);
        ++keep;
      } else {
        ++em.dropped_;
      }
    }
    events.resize(keep);
  }
  if (!events.empty()) {
    Sink& s = *n.sinks[static_cast<size_t>(inst)];
    auto write = [&] { return Contained(n.g->id(), "write", [&] { return s.Write(events); }); };
    Status st = write();
    const ErrorPolicy& pol = n.g->spec->on_error;
    uint32_t round = 0;
    while (!st.ok() && pol.kind == ErrorPolicy::Kind::kRetry &&
           round < static_cast<uint32_t>(pol.max_retries)) {
      Backoff(pol, round++);
      n.metrics.retries.fetch_add(events.size(), std::memory_order_relaxed);
      st = write();
    }
    if (st.ok()) {
      em.emitted_ += events.size();
    } else {
      for (auto& e : events) em.Fail(std::move(e), st);
    }
  }
  n.metrics.out.fetch_add(em.emitted_, std::memory_order_relaxed);
  n.metrics.dropped.fetch_add(em.dropped_, std::memory_order_relaxed);
  return HandleFailures(n, em);
}

Status RunImpl::HandleFailures(RtNode& n, StepEmitter& em) {
  if (em.failed_.empty()) return Status::OK();
  const ErrorPolicy& pol = n.g->spec->on_error;
  ErrorPolicy::Kind kind = pol.kind == ErrorPolicy::Kind::kRetry ? pol.then : pol.kind;
  if (!n.g->spec->has_on_error) kind = ErrorPolicy::Kind::kDrop;
  size_t count = em.failed_.size();
  n.metrics.errors.fetch_add(count, std::memory_order_relaxed);
  int64_t now_ms = UnixMs();
  n.metrics.error_sample.Record(em.reasons_, now_ms, [&](size_t i) {
    const Event& failed = em.failed_[i];
    if (failed.moved_from()) return std::string("(the component kept the event)");
    // A line that never parsed is shown as its text (valid UTF-8).
    if (failed.body().is_null() && !failed.raw().empty())
      return ToValidUtf8(failed.raw().substr(0, ErrorSampler::kMaxExampleBytes));
    std::string text;
    failed.AppendJson(&text);
    return text;
  });
  int logged = n.logged_errors.fetch_add(1, std::memory_order_relaxed);
  if (logged < kLoggedErrorsPerNode) {
    spdlog::warn("node '{}': {} event(s) failed: {} (on_error: {})", n.g->id(), count,
                 em.reasons_.front(), ErrorPolicyName(kind));
  } else if (logged == kLoggedErrorsPerNode) {
    spdlog::warn("node '{}': more failures; further ones are only counted", n.g->id());
  }
  switch (kind) {
    case ErrorPolicy::Kind::kDrop:
      n.metrics.dropped.fetch_add(count, std::memory_order_relaxed);
      return Status::OK();
    case ErrorPolicy::Kind::kDeadLetter: {
      if (n.dead_letter_pos < 0) return Status::Internal("dead-letter target missing");
      auto& out = em.outputs_[static_cast<size_t>(n.dead_letter_pos)];
      for (size_t i = 0; i < count; ++i) {
        out.push_back(MakeDeadLetter(graph_.spec().metadata.name, n.g->id(), em.reasons_[i],
                                     std::move(em.failed_[i])));
      }
      n.metrics.dead_lettered.fetch_add(count, std::memory_order_relaxed);
      return Status::OK();
    }
    case ErrorPolicy::Kind::kFail:
    case ErrorPolicy::Kind::kRetry:
      return Status(StatusCode::kInternal,
                    "node '" + n.g->id() + "' failed (on_error: fail): " + em.reasons_.front());
  }
  return Status::OK();
}

bool RunImpl::WaitFor(int timeout_ms) {
  std::unique_lock<std::mutex> lk(mu_);
  return cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms),
                      [this] { return done_ || aborted_; });
}

Status RunImpl::Wait() {
  {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [this] { return done_ || aborted_; });
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lk(mu_);
  if (end_time_ == Clock::time_point{}) end_time_ = Clock::now();
  if (!aborted_) {
    for (auto& n : nodes_)
      if (n->tracker) {
        Status st = n->tracker->Flush();
        if (!st.ok() && failure_.ok()) failure_ = st;
      }
  }
  return failure_;
}

RunImpl::~RunImpl() {
  Abort(Status::Cancelled("run destroyed"));
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

RunSnapshot RunImpl::Snapshot() const {
  RunSnapshot s;
  std::lock_guard<std::mutex> lk(mu_);
  s.pipeline = graph_.spec().metadata.name;
  if (!failure_.ok() && aborted_) {
    s.state = failure_.code() == StatusCode::kCancelled ? "cancelled" : "failed";
    s.error = failure_.message();
  } else if (done_) {
    s.state = cancelled_ ? "cancelled" : "succeeded";
    if (!failure_.ok()) {
      s.state = "failed";
      s.error = failure_.message();
    }
  } else {
    s.state = started_ ? "running" : "created";
  }
  auto end = (done_ || aborted_) && end_time_ != Clock::time_point{} ? end_time_ : Clock::now();
  if (started_) s.elapsed_s = std::chrono::duration<double>(end - start_time_).count();
  for (const auto& n : nodes_) {
    NodeSnapshot ns;
    ns.id = n->g->id();
    ns.type = n->g->spec->type;
    ns.kind = NodeKindName(n->g->kind());
    ns.concurrency = n->concurrency;
    const auto& m = n->metrics;
    ns.in = m.in.load();
    ns.out = m.out.load();
    ns.dropped = m.dropped.load();
    ns.errors = m.errors.load();
    ns.dead_lettered = m.dead_lettered.load();
    ns.retries = m.retries.load();
    ns.p50_us = m.batch_latency.Quantile(0.5);
    ns.p90_us = m.batch_latency.Quantile(0.9);
    ns.p99_us = m.batch_latency.Quantile(0.99);
    ns.queue_depth = n->queue.size();
    ns.queue_capacity = n->capacity;
    ns.busy_ms = static_cast<double>(m.busy_ns.load()) / 1e6;
    ns.latency_buckets = m.batch_latency.Buckets();
    ns.latency_sum_us = m.batch_latency.SumMicros();
    ns.counters = n->counters.Read();
    ns.error_clusters = m.error_sample.Clusters();
    if (n->source) ns.schema = m.schema.Read();
    s.nodes.push_back(std::move(ns));
  }
  return s;
}

Run::Run(std::unique_ptr<RunImpl> impl) : impl_(std::move(impl)) {}
Run::~Run() = default;

Result<std::unique_ptr<Run>> Run::Create(const Graph& graph, const RuntimeOptions& options) {
  auto impl = std::make_unique<RunImpl>(graph, options);
  Status st = impl->Init();
  if (!st.ok()) return st;
  return std::unique_ptr<Run>(new Run(std::move(impl)));
}
Status Run::Start() { return impl_->Start(); }
void Run::Cancel() { impl_->Cancel(); }
void Run::Abort() { impl_->Abort(Status::Cancelled("aborted")); }
Status Run::Wait() { return impl_->Wait(); }
bool Run::WaitFor(int timeout_ms) { return impl_->WaitFor(timeout_ms); }
RunSnapshot Run::Snapshot() const { return impl_->Snapshot(); }
int Run::workers() const { return impl_->workers(); }

}  // namespace flowctl
