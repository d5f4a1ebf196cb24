// Auto-scaling (ai/autoscale.h): the rule over the capacity model of
// ai/optimize.h, and the daemon's controller that applies it.
#include "flowctl/ai/autoscale.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flowctl/ai/engine_api.h"
#include "flowctl/ai/optimize.h"
#include "flowctl/base/clock.h"
#include "flowctl/base/strings.h"
#include "flowctl/config/loader.h"
#include "internal.h"

namespace flowctl::ai {

using nlohmann::json;
using namespace ops_internal;

namespace {

// A new version's first seconds are warm-up (queues fill, caches are cold).
constexpr int64_t kSettleMs = 5000;

}  // namespace

std::vector<ScaleDecision> DecideScaling(const OpsInput& in, const ScalePolicy& p,
                                         int64_t last_change_ms, int64_t now_ms) {
  std::vector<ScaleDecision> out;
  if (now_ms - last_change_ms < p.cooldown_s * 1000) return out;
  int64_t from = std::max(
      {in.version_since_ms + kSettleMs, last_change_ms + kSettleMs, now_ms - p.window_s * 1000});
  PipelineModel m = BuildModel(in, from, in.cores);
  // Too few samples of this version in the window yet: wait.
  if (m.window_s < 0.6 * static_cast<double>(p.window_s)) return out;
  const int max = p.max > 0 ? p.max : m.cores;
  for (const auto& st : m.stages) {
    if (st.kind != "processor" || st.call_slots > 0 || !ParallelSafe(in, st)) continue;
    size_t capacity = 0;
    for (const auto& n : in.snapshot.nodes)
      if (n.id == st.node) capacity = n.queue_capacity;
    const int n = std::max(1, st.concurrency);
    const double queued = st.queue_depth;
    ScaleDecision d;
    d.node = st.node;
    d.from = n;
    // Busy alone says it: a source fused with its first processors has no
    // queue between them to fill, yet waits on them.
    if (st.busy >= p.up_busy && n < max) {
      d.to = std::min(max, n * 2);
      d.why = st.node + " " + std::to_string(n) + " -> " + std::to_string(d.to) +
              " workers: busy " + Pct(st.busy) + ", input queue " + Num(queued) +
              (capacity ? " of " + std::to_string(capacity) : std::string()) + " (mean over " +
              Num(m.window_s) + " s)";
    } else if (n > std::max(1, p.min) && queued < 1 && st.busy * n / (n - 1) < p.down_busy) {
      d.to = n - 1;
      d.why = st.node + " " + std::to_string(n) + " -> " + std::to_string(d.to) +
              " workers: busy " + Pct(st.busy) + " with an empty queue; one fewer would be " +
              Pct(st.busy * n / (n - 1)) + " busy (mean over " + Num(m.window_s) + " s)";
    } else {
      continue;
    }
    out.push_back(std::move(d));
  }
  return out;
}

Autoscalers::Autoscalers(engine::Engine* engine, std::string path, Clock clock)
    : engine_(engine), path_(std::move(path)), clock_(std::move(clock)) {
  if (!clock_) clock_ = UnixMs;
  std::ifstream in(path_);
  if (!in) return;
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (!j.is_object()) return;
  for (const auto& [name, v] : j.items()) {
    if (!v.is_object()) continue;
    State s;
    s.policy.min = v.value("min", 1);
    s.policy.max = v.value("max", 0);
    pipelines_[name] = s;
  }
}

Autoscalers::~Autoscalers() { Stop(); }

Status Autoscalers::SaveLocked() const {
  json j = json::object();
  for (const auto& [name, s] : pipelines_) j[name] = {{"min", s.policy.min}, {"max", s.policy.max}};
  std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2);
    if (!out) return Status::Internal("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec) return Status::Internal("cannot rename " + tmp + ": " + ec.message());
  return Status::OK();
}

Status Autoscalers::Enable(const std::string& pipeline, bool enabled, const ScalePolicy& policy) {
  if (auto info = engine_->Get(pipeline); !info.ok()) return info.status();
  if (policy.min < 1 || (policy.max != 0 && policy.max < policy.min))
    return Status::Invalid("max_workers must be >= 1 (0 = the host's cores)");
  std::lock_guard<std::mutex> lk(mu_);
  if (enabled) {
    State s;
    s.policy = policy;
    s.last_change_ms = pipelines_.count(pipeline) ? pipelines_[pipeline].last_change_ms : 0;
    pipelines_[pipeline] = s;
  } else {
    pipelines_.erase(pipeline);
  }
  return SaveLocked();
}

bool Autoscalers::Enabled(const std::string& pipeline) const {
  std::lock_guard<std::mutex> lk(mu_);
  return pipelines_.count(pipeline) > 0;
}

std::vector<ScaleDecision> Autoscalers::EvaluateAt(int64_t now_ms) {
  std::map<std::string, State> todo;
  {
    std::lock_guard<std::mutex> lk(mu_);
    todo = pipelines_;
  }
  std::vector<ScaleDecision> done;
  auto api = LocalEngineApi(engine_);
  for (const auto& [name, state] : todo) {
    auto in = GatherOpsInput(*api, name, "5m");
    if (!in.ok() || in->snapshot.state != "running") continue;
    in->registry = &engine_->registry();
    auto decisions = DecideScaling(in.value(), state.policy, state.last_change_ms, now_ms);
    if (decisions.empty()) continue;
    std::optional<PipelineSpec> spec = LoadSpec(in->yaml);
    if (!spec) continue;
    std::vector<std::string> why;
    for (const auto& d : decisions) {
      if (NodeSpec* n = FindNode(*spec, d.node)) n->concurrency = d.to;
      why.push_back(d.why);
    }
    engine::ApplyRequest req;
    req.yaml = config::ToYaml(*spec);
    req.filename = "<autoscaler>";
    req.caller = "autoscaler";
    req.reason = "autoscale: " + Join(why, "; ");
    req.actions = {"scale"};
    std::vector<Diagnostic> diags;
    auto r = engine_->Apply(req, &diags);
    {
      std::lock_guard<std::mutex> lk(mu_);
      // Held or failed, it waits a cooldown too: no approval storm.
      if (pipelines_.count(name)) pipelines_[name].last_change_ms = now_ms;
    }
    if (!r.ok()) {
      spdlog::warn("autoscaler: {}: {}", name, r.status().message());
      continue;
    }
    spdlog::info("autoscaler: {} v{}: {}", name, r->version, req.reason);
    for (auto& d : decisions) done.push_back(std::move(d));
  }
  return done;
}

void Autoscalers::Start() {
  std::lock_guard<std::mutex> lk(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lk(mu_);
    while (!stop_) {
      lk.unlock();
      EvaluateAt(clock_());
      lk.lock();
      cv_.wait_for(lk, std::chrono::seconds(5), [this] { return stop_; });
    }
  });
}

void Autoscalers::Stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace flowctl::ai
