// `ai optimize` (ai/optimize.h): the capacity model and the suggestions.
// Every number is measured or computed from measurements; `how` says which.
#include "flowctl/ai/optimize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <thread>

#include "flowctl/ai/provider.h"
#include "internal.h"

namespace flowctl::ai {

using nlohmann::json;
using namespace ops_internal;

namespace {

// Below this busy fraction a service rate is mostly batch overhead: not
// measured well enough to extrapolate from.
constexpr double kMinBusy = 0.02;
// Instances are raised at most this many times in one suggestion.
constexpr int kMaxFactor = 4;
// Samples this soon after a version started are its warm-up: left out when
// an optimization's outcome is measured.
constexpr int64_t kSettleMs = 5000;
constexpr char kReasonTag[] = "ai optimize: ";
constexpr char kPredictedTag[] = " | predicted: ";

bool IsAiType(const std::string& type) {
  return type == "ai-processor" || type == "ai-router" || type == "ml-processor" ||
         type == "rag-processor" || type == "agent-processor";
}

std::string Fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Queue wait of an M/M/1 queue per worker (Wq = rho / (1 - rho) x service
// time): the textbook model for a node whose workers each serve their own
// share of the input. Empty at or above saturation.
std::optional<double> QueueWaitMs(double in_per_s, double service_per_worker, int workers) {
  if (service_per_worker <= 0 || workers < 1) return std::nullopt;
  double rho = in_per_s / (service_per_worker * workers);
  if (rho >= 0.99) return std::nullopt;
  return rho / (1 - rho) * (1000.0 / service_per_worker);
}

// Measured mean queue wait by Little's law: mean queue depth / arrival rate.
double LittleWaitMs(const StageModel& s) {
  return s.in_per_s > 0 ? s.queue_depth / s.in_per_s * 1000.0 : 0;
}

const ComponentDescriptor* Descriptor(const OpsInput& in, const std::string& type,
                                      const std::string& kind) {
  if (in.registry == nullptr) return nullptr;
  for (const ComponentDescriptor* d : in.registry->FindAll(type))
    if (kind == NodeKindName(d->kind)) return d;
  return nullptr;
}

// The node-wide limit of model calls in flight, when the node has one.
int CallSlots(const OpsInput& in, const StageModel& s, const NodeSpec* ns) {
  json given = ns && ns->config.is_object() ? ns->config.value("max_concurrency", json()) : json();
  if (const ComponentDescriptor* d = Descriptor(in, s.type, s.kind)) {
    const json& props = d->config_schema.value("properties", json::object());
    if (!props.contains("max_concurrency")) return 0;
    if (given.is_number_integer()) return given.get<int>();
    return props["max_concurrency"].value("default", 1);
  }
  if (given.is_number_integer()) return given.get<int>();
  return IsAiType(s.type) ? 8 : 0;
}

const StageModel* Stage(const PipelineModel& m, const std::string& node) {
  for (const auto& s : m.stages)
    if (s.node == node) return &s;
  return nullptr;
}

// The pipeline's bound with one stage's capacity replaced.
double BoundWith(const PipelineModel& m, const std::string& node, double capacity) {
  double bound = 0;
  for (const auto& s : m.stages) {
    double b = s.bound;
    if (s.node == node && s.reach > 0) b = capacity / s.reach;
    if (b > 0 && (bound == 0 || b < bound)) bound = b;
  }
  if (m.cpu_bound_eps > 0 && (bound == 0 || m.cpu_bound_eps < bound)) bound = m.cpu_bound_eps;
  return bound;
}

// ---- suggestions ----------------------------------------------------------

void SuggestConcurrency(const OpsInput& in, const PipelineModel& m,
                        const std::optional<PipelineSpec>& spec, std::vector<Suggestion>* out) {
  // The node to widen: the throughput bottleneck, and the node with the
  // longest measured queue wait when that is another one.
  std::vector<std::pair<std::string, std::string>> targets;  // node, goal
  if (!m.bottleneck.empty()) targets.push_back({m.bottleneck, "throughput"});
  const StageModel* waits = nullptr;
  for (const auto& s : m.stages)
    if (s.kind != "source" && LittleWaitMs(s) >= 1.0 &&
        (waits == nullptr || LittleWaitMs(s) > LittleWaitMs(*waits)))
      waits = &s;
  if (waits != nullptr && waits->node != m.bottleneck) targets.push_back({waits->node, "latency"});

  for (const auto& [node, goal] : targets) {
    const StageModel* s = Stage(m, node);
    if (s == nullptr || s->kind == "source" || s->service_per_worker <= 0) continue;
    // Enough instances for this stage to stop being the limit: up to the
    // next stage's bound, at most kMaxFactor times, and (for work that runs
    // on the CPU) no more than the cores.
    double next = 0;
    for (const auto& o : m.stages)
      if (o.node != node && o.bound > 0 && (next == 0 || o.bound < next)) next = o.bound;
    double factor = next > 0 && s->bound > 0 ? next / s->bound : 2.0;
    factor = std::clamp(factor, 1.0, 1.0 * kMaxFactor);
    // An AI node waits on its model: more calls in flight, not more
    // instances (which share the same limit). Other work runs on the CPU:
    // no more instances than cores.
    bool slots = s->call_slots > 0;
    if (!slots && !ParallelSafe(in, *s)) continue;
    int now = slots ? s->call_slots : s->concurrency;
    int to = static_cast<int>(std::ceil(now * factor));
    if (!slots && m.cores > 0) to = std::min(to, m.cores);
    if (to <= now) continue;
    Suggestion sg;
    sg.goal = goal;
    sg.kind = slots ? "max_concurrency" : "concurrency";
    sg.node = node;
    sg.title = slots ? "let " + node + " make up to " + std::to_string(to) +
                           " model calls at once (max_concurrency, now " + std::to_string(now) + ")"
                     : "run " + node + " with concurrency " + std::to_string(to) + " (now " +
                           std::to_string(now) + ")";
    double cap_after = s->service_per_worker * to;
    Prediction tp;
    tp.metric = "throughput_bound_eps";
    tp.before = m.bound_eps;
    tp.after = BoundWith(m, node, cap_after);
    tp.how = node + " handles " + Num(s->service_per_worker) + " events/s per busy " +
             (slots ? "call slot" : "worker") + " (measured: " + Num(s->in_per_s) +
             " events/s in at " + Pct(s->busy) + " busy, " + std::to_string(now) +
             (slots ? " call(s) in flight" : " worker(s)") + "); x " + std::to_string(to) + " = " +
             Num(cap_after) + " events/s; the pipeline bound is the smallest stage bound" +
             (m.cpu_bound_eps > 0 ? " and the CPU bound (" + Num(m.cpu_bound_eps) + ")" : "");
    Prediction wp;
    wp.metric = "queue_wait_ms";
    wp.before = LittleWaitMs(*s);
    wp.after = QueueWaitMs(s->in_per_s, s->service_per_worker, to);
    wp.how = "before: mean queue depth " + Num(s->queue_depth) + " / " + Num(s->in_per_s) +
             " events/s (Little's law); after: M/M/1 per worker at utilization " +
             Pct(s->in_per_s / cap_after) + " for the same input";
    if (goal == "throughput") {
      sg.predicted = {tp, wp};
      sg.gain = tp.before.value() > 0 ? tp.after.value() / tp.before.value() - 1 : 0;
    } else {
      sg.predicted = {wp, tp};
      sg.gain = wp.after && *wp.before > 0 ? 1 - *wp.after / *wp.before : 0;
    }
    if (slots)
      sg.note =
          "the model provider's rate limit is not known here: if it answers 429, the "
          "node's retries (flowctl metrics) grow instead";
    if (m.input_bound())
      sg.note += std::string(sg.note.empty() ? "" : "; ") + "the input (" + Num(m.input_per_s) +
                 " events/s) is below 80% of the bound: "
                 "this raises headroom, not today's throughput";
    if (spec)
      sg.yaml =
          slots ? ConfigFix(*spec, node, "max_concurrency", to) : ConcurrencyFix(*spec, node, to);
    out->push_back(std::move(sg));
  }
}

// Pricing of a model by the measured token split of the node (the current
// run's counters); without one, the worse of the two price ratios.
double PriceRatio(const Pricing& from, const Pricing& to, double in_tokens, double out_tokens,
                  bool* split_known) {
  *split_known = in_tokens + out_tokens > 0;
  if (*split_known) {
    double a = in_tokens * from.input_per_mtok + out_tokens * from.output_per_mtok;
    double b = in_tokens * to.input_per_mtok + out_tokens * to.output_per_mtok;
    return a > 0 ? b / a : 1;
  }
  double ri = from.input_per_mtok > 0 ? to.input_per_mtok / from.input_per_mtok : 1;
  double ro = from.output_per_mtok > 0 ? to.output_per_mtok / from.output_per_mtok : 1;
  return std::max(ri, ro);
}

void SuggestCost(const PipelineModel& m, const std::optional<PipelineSpec>& spec,
                 std::vector<Suggestion>* out) {
  for (const auto& s : m.stages) {
    if (!s.ai) continue;
    const NodeSpec* ns = spec ? FindNode(*spec, s.node) : nullptr;
    // A cache that is off: what it would save is not in the history.
    if (ns && ns->config.is_object() && ns->config.contains("cache") &&
        ns->config["cache"].is_object() && !ns->config["cache"].value("enabled", true) &&
        s.ai_calls_per_s > 0) {
      Suggestion sg;
      sg.goal = "cost";
      sg.kind = "cache";
      sg.node = s.node;
      sg.title = "turn on " + s.node + "'s answer cache";
      Prediction p;
      p.metric = "cost_usd_per_h";
      p.before = s.cost_per_h;
      p.how =
          "repeated inputs are counted only while the cache is on: the saving is the "
          "share of repeats, measured after the change";
      sg.predicted = {p};
      sg.yaml = ConfigFix(*spec, s.node, "cache", json{{"enabled", true}});
      out->push_back(std::move(sg));
    }
    if (s.cost_per_h <= 0 || s.model.empty()) continue;
    Pricing now = DefaultPricing(s.provider, s.model);
    if (ns && ns->config.contains("cost") && ns->config["cost"].is_object()) {
      now.input_per_mtok = ns->config["cost"].value("input_per_mtok", now.input_per_mtok);
      now.output_per_mtok = ns->config["cost"].value("output_per_mtok", now.output_per_mtok);
    }
    const double in_tokens = s.input_tokens, out_tokens = s.output_tokens;
    const ModelPrice* best = nullptr;
    double best_ratio = 1;
    bool split_known = false;
    for (const auto& p : PriceList()) {
      if (p.provider != s.provider || p.kind != "chat" || p.prefix == "*") continue;
      bool known = false;
      double r = PriceRatio(now, p.pricing, in_tokens, out_tokens, &known);
      if (r < best_ratio - 1e-9) {
        best = &p;
        best_ratio = r;
        split_known = known;
      }
    }
    if (best == nullptr) continue;
    Suggestion sg;
    sg.goal = "cost";
    sg.kind = "model";
    sg.node = s.node;
    sg.title = "use " + best->prefix + " instead of " + s.model + " in " + s.node;
    Prediction p;
    p.metric = "cost_usd_per_h";
    p.before = s.cost_per_h;
    p.after = s.cost_per_h * best_ratio;
    const char* basis = m.estimated ? "estimated " : "measured ";
    p.how = basis + Fixed(s.cost_per_h, 4) + " USD/h x the price ratio " + Fixed(best_ratio, 3) +
            " of data/pricing.tsv" +
            (split_known ? std::string(" for the node's ") + basis + "input/output token split"
                         : " (the worse of input and output: no token split measured)");
    sg.predicted = {p};
    sg.note =
        "the answers' quality with the cheaper model is not measured: compare a sample "
        "of decisions (flowctl explain) before keeping it";
    sg.gain = 1 - best_ratio;
    if (spec) sg.yaml = ConfigFix(*spec, s.node, "model", best->prefix);
    out->push_back(std::move(sg));
  }
}

void SuggestReliability(const OpsInput& in, const PipelineModel& m,
                        const std::optional<PipelineSpec>& spec, std::vector<Suggestion>* out) {
  for (const auto& s : m.stages) {
    if (s.error_share <= 0) continue;
    const NodeSpec* ns = spec ? FindNode(*spec, s.node) : nullptr;
    bool kept = ns && ns->has_on_error &&
                (ns->on_error.kind == ErrorPolicy::Kind::kDeadLetter ||
                 ns->on_error.then == ErrorPolicy::Kind::kDeadLetter);
    if (kept || ns == nullptr) continue;
    Suggestion sg;
    sg.goal = "reliability";
    sg.kind = "dead_letter";
    sg.node = s.node;
    sg.title = "keep " + s.node + "'s failed events in a dead-letter sink";
    Prediction p;
    p.metric = "lost_events_per_h";
    double base = s.kind == "source" ? s.out_per_s : s.in_per_s;
    p.before = s.error_share * base * 3600;
    p.after = 0;
    p.how = "measured: " + Pct(s.error_share) + " of " + Num(base) +
            " events/s fail and are dropped or stop the run; a dead-letter sink keeps each "
            "with its reason";
    sg.predicted = {p};
    sg.gain = 1;
    sg.yaml = DeadLetterFix(*spec, s.node);
    out->push_back(std::move(sg));
  }
}

// The measured value of a prediction's metric in a model.
std::optional<double> Measure(const PipelineModel& m, const std::string& metric,
                              const std::string& node) {
  if (metric == "throughput_bound_eps")
    return m.bound_eps > 0 ? std::optional<double>(m.bound_eps) : std::nullopt;
  const StageModel* s = Stage(m, node);
  if (s == nullptr) return std::nullopt;
  if (metric == "queue_wait_ms") return LittleWaitMs(*s);
  if (metric == "cost_usd_per_h") return s->cost_per_h;
  if (metric == "lost_events_per_h") {
    return s->lost_per_s * 3600;
  }
  return std::nullopt;
}

std::vector<Outcome> Outcomes(const OpsInput& in) {
  std::vector<Outcome> out;
  for (const auto& a : in.audit) {
    if (a.action != "apply" || a.result != "ok" || a.reasoning.rfind(kReasonTag, 0) != 0) continue;
    size_t at = a.reasoning.find(kPredictedTag);
    if (at == std::string::npos) continue;
    json p = json::parse(a.reasoning.substr(at + std::strlen(kPredictedTag)), nullptr, false);
    json args = json::parse(a.arguments, nullptr, false);
    if (!p.is_object() || !p.contains("metric") || !args.is_object()) continue;
    Outcome o;
    o.version = args.value("version", 0);
    o.applied_ms = a.time_ms;
    o.title = a.reasoning.substr(std::strlen(kReasonTag), at - std::strlen(kReasonTag));
    o.node = p.value("node", "");
    o.predicted.metric = p.value("metric", "");
    if (p.contains("before") && p["before"].is_number()) o.predicted.before = p["before"];
    if (p.contains("after") && p["after"].is_number()) o.predicted.after = p["after"];
    o.predicted.how = p.value("how", "");
    PipelineModel after = BuildModel(in, a.time_ms + kSettleMs);
    o.measured_over_s = after.window_s;
    if (after.window_s > 0) o.measured = Measure(after, o.predicted.metric, o.node);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

namespace ops_internal {

bool ParallelSafe(const OpsInput& in, const StageModel& s) {
  if (in.registry == nullptr) return true;
  for (const ComponentDescriptor* d : in.registry->FindAll(s.type))
    if (s.kind == NodeKindName(d->kind)) return d->parallel_safe;
  return true;
}

}  // namespace ops_internal

PipelineModel BuildModel(const OpsInput& in, int64_t from_ms, int cores) {
  PipelineModel m;
  if (cores <= 0) cores = in.cores;
  m.cores = cores > 0 ? cores : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::map<std::string, Series> by_node;
  for (const auto& p : in.points)
    if (p.ts_ms >= from_ms) by_node[p.node].push_back(&p);
  std::optional<PipelineSpec> spec = LoadSpec(in.yaml);
  if (auto it = by_node.find(store::kPipelineNode); it != by_node.end()) {
    m.window_s = Seconds(it->second);
    m.input_per_s = Mean(it->second, store::kInPerS);
    m.output_per_s = Mean(it->second, store::kOutPerS);
  }
  for (const auto& [node, s] : by_node) {
    if (node == store::kPipelineNode) continue;
    StageModel st;
    st.node = node;
    const NodeSpec* ns = spec ? FindNode(*spec, node) : nullptr;
    if (ns) {
      st.kind = NodeKindName(ns->kind);
      st.type = ns->type;
      st.concurrency = std::max(1, ns->concurrency);
    }
    for (const auto& n : in.snapshot.nodes)
      if (n.id == node) {
        st.kind = n.kind;
        st.type = n.type;
        st.concurrency = std::max(1, n.concurrency);
      }
    st.in_per_s = Mean(s, store::kInPerS);
    st.out_per_s = Mean(s, store::kOutPerS);
    st.busy = Mean(s, store::kBusy);
    st.queue_depth = Mean(s, store::kQueueDepth);
    st.p50_us = Mean(s, store::kP50Us);
    for (const auto* p : s) st.p99_us = std::max(st.p99_us, p->v[store::kP99Us]);
    double errors = Mean(s, store::kErrorsPerS);
    double base = st.kind == "source" ? st.out_per_s + errors : st.in_per_s;
    st.error_share = base > 0 ? errors / base : 0;
    st.lost_per_s = std::max(0.0, errors - Mean(s, store::kDeadLetteredPerS));
    st.ai_calls_per_s = Mean(s, store::kAiCallsPerS);
    double hits = Mean(s, store::kAiCacheHitsPerS);
    if (st.ai_calls_per_s + hits > 0) st.cache_hit_rate = hits / (st.ai_calls_per_s + hits);
    st.cost_per_h = Mean(s, store::kAiCostUsdPerH);
    for (const auto& n : in.snapshot.nodes)
      if (n.id == node)
        for (const auto& [k, v] : n.counters) {
          if (k == "ai_input_tokens") st.input_tokens = static_cast<double>(v);
          if (k == "ai_output_tokens") st.output_tokens = static_cast<double>(v);
        }
    st.ai = IsAiType(st.type) || st.ai_calls_per_s + hits > 0;
    if (st.ai && ns && ns->config.is_object()) {
      st.model = ns->config.value("model", "");
      ProviderChoice c = ChooseProvider(st.model, ns->config.value("provider", ""), "",
                                        [](const std::string&) { return std::string(); });
      st.provider = c.provider;
    }
    double handled = st.kind == "source" ? st.out_per_s : st.in_per_s;
    if (handled > 0 && st.cost_per_h > 0) st.cost_per_event = st.cost_per_h / 3600 / handled;
    st.call_slots = CallSlots(in, st, ns);
    if (st.kind != "source" && st.busy >= kMinBusy && st.in_per_s > 0) {
      if (st.call_slots > 0) {
        // The slots are shared by the instances: they are in use while any
        // instance works (approximated by the instances' summed busy time).
        double used = std::min(1.0, st.busy * st.concurrency);
        st.service_per_worker = st.in_per_s / (used * st.call_slots);
        st.capacity = st.service_per_worker * st.call_slots;
      } else {
        st.service_per_worker = st.in_per_s / (st.busy * st.concurrency);
        st.capacity = st.service_per_worker * st.concurrency;
      }
    }
    if (m.input_per_s > 0 && st.kind != "source") st.reach = st.in_per_s / m.input_per_s;
    if (st.capacity > 0 && st.reach > 0) st.bound = st.capacity / st.reach;
    m.cost_per_h += st.cost_per_h;
    // Work on the CPU: an AI node's busy time is mostly waiting on its model.
    if (!st.ai && m.input_per_s > 0)
      m.worker_s_per_event += st.busy * st.concurrency / m.input_per_s;
    m.stages.push_back(std::move(st));
  }
  for (const auto& st : m.stages)
    if (st.bound > 0 && (m.bound_eps == 0 || st.bound < m.bound_eps)) {
      m.bound_eps = st.bound;
      m.bottleneck = st.node;
    }
  if (m.worker_s_per_event > 0) m.cpu_bound_eps = m.cores / m.worker_s_per_event;
  return m;
}

Result<OptimizationReport> OptimizePipeline(const OpsInput& in, const std::string& goal) {
  if (!goal.empty() && std::find(OptimizationGoals().begin(), OptimizationGoals().end(), goal) ==
                           OptimizationGoals().end())
    return Status::Invalid("goal '" + goal +
                           "' is not one of latency, throughput, cost, reliability");
  OptimizationReport r;
  r.name = in.name;
  r.goal = goal;
  r.since = in.since;
  // The running version's samples: an earlier version's would mix two
  // pipelines in one model.
  int64_t from = in.version_since_ms > 0 ? in.version_since_ms + kSettleMs : 0;
  r.model = BuildModel(in, from);
  std::optional<PipelineSpec> spec = LoadSpec(in.yaml);
  if (r.model.window_s <= 0) {
    r.notes.push_back(from > 0 ? "no samples of version " + std::to_string(in.version) +
                                     " yet (its first " + std::to_string(kSettleMs / 1000) +
                                     " s are warm-up): run this again in a while"
                               : "no samples in the last " + in.since +
                                     ": a pipeline is sampled once a second while it runs");
  } else {
    SuggestConcurrency(in, r.model, spec, &r.suggestions);
    SuggestCost(r.model, spec, &r.suggestions);
    SuggestReliability(in, r.model, spec, &r.suggestions);
    if (r.model.input_bound())
      r.notes.push_back("the input is the limit: " + Num(r.model.input_per_s) +
                        " events/s read, the pipeline could take " + Num(r.model.bound_eps));
    if (r.model.bound_eps == 0)
      r.notes.push_back("no stage was busy enough (>= " + Pct(kMinBusy) +
                        ") to measure its service rate");
  }
  if (!goal.empty())
    r.suggestions.erase(std::remove_if(r.suggestions.begin(), r.suggestions.end(),
                                       [&](const Suggestion& s) { return s.goal != goal; }),
                        r.suggestions.end());
  std::stable_sort(r.suggestions.begin(), r.suggestions.end(),
                   [](const Suggestion& a, const Suggestion& b) { return a.gain > b.gain; });
  if (spec == std::nullopt && !r.suggestions.empty())
    r.notes.push_back("without the pipeline's document the changes are in words only");
  r.outcomes = Outcomes(in);
  return r;
}

std::string OptimizationReason(const Suggestion& s) {
  json p = s.predicted.empty() ? json::object() : ToJson(s.predicted.front());
  p["node"] = s.node;
  return kReasonTag + s.title + kPredictedTag + p.dump();
}

json ToJson(const PipelineModel& m) {
  json stages = json::array();
  for (const auto& s : m.stages) {
    json j = {{"node", s.node},
              {"kind", s.kind},
              {"type", s.type},
              {"concurrency", s.concurrency},
              {"in_per_s", s.in_per_s},
              {"out_per_s", s.out_per_s},
              {"busy", s.busy},
              {"service_per_worker", s.service_per_worker},
              {"capacity_eps", s.capacity},
              {"reach", s.reach},
              {"bound_eps", s.bound},
              {"queue_depth", s.queue_depth},
              {"queue_wait_ms", LittleWaitMs(s)},
              {"p50_us", s.p50_us},
              {"p99_us", s.p99_us},
              {"error_share", s.error_share}};
    if (s.ai)
      j["ai"] = {{"provider", s.provider},          {"model", s.model},
                 {"calls_per_s", s.ai_calls_per_s}, {"cache_hit_rate", s.cache_hit_rate},
                 {"cost_usd_per_h", s.cost_per_h},  {"cost_usd_per_event", s.cost_per_event}};
    stages.push_back(std::move(j));
  }
  return {{"window_s", m.window_s},
          {"input_per_s", m.input_per_s},
          {"output_per_s", m.output_per_s},
          {"throughput_bound_eps", m.bound_eps},
          {"bottleneck", m.bottleneck},
          {"input_bound", m.input_bound()},
          {"worker_s_per_event", m.worker_s_per_event},
          {"cores", m.cores},
          {"cpu_bound_eps", m.cpu_bound_eps},
          {"cost_usd_per_h", m.cost_per_h},
          {"stages", stages}};
}

json ToJson(const Prediction& p) {
  json j = {{"metric", p.metric}, {"how", p.how}};
  j["before"] = p.before ? json(*p.before) : json(nullptr);
  j["after"] = p.after ? json(*p.after) : json(nullptr);
  return j;
}

json ToJson(const Suggestion& s) {
  json preds = json::array();
  for (const auto& p : s.predicted) preds.push_back(ToJson(p));
  json j = {{"goal", s.goal},   {"kind", s.kind},     {"node", s.node},
            {"title", s.title}, {"predicted", preds}, {"gain", s.gain}};
  if (!s.note.empty()) j["note"] = s.note;
  if (!s.yaml.empty()) j["yaml"] = s.yaml;
  return j;
}

json ToJson(const OptimizationReport& r) {
  json sugg = json::array(), outs = json::array();
  for (const auto& s : r.suggestions) sugg.push_back(ToJson(s));
  for (const auto& o : r.outcomes) {
    json j = {{"version", o.version},
              {"applied_ms", o.applied_ms},
              {"title", o.title},
              {"node", o.node},
              {"predicted", ToJson(o.predicted)},
              {"measured_over_s", o.measured_over_s}};
    j["measured"] = o.measured ? json(*o.measured) : json(nullptr);
    outs.push_back(std::move(j));
  }
  return {{"name", r.name},      {"goal", r.goal.empty() ? "all" : r.goal},
          {"since", r.since},    {"model", ToJson(r.model)},
          {"suggestions", sugg}, {"outcomes", outs},
          {"notes", r.notes}};
}

PipelineModel EstimateModel(const PipelineSpec& spec, const PlanAssumptions& a) {
  PipelineModel m;
  m.estimated = true;
  m.input_per_s = a.events_per_second;
  m.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const NodeSpec* n : spec.AllNodes()) {
    StageModel st;
    st.node = n->id;
    st.kind = NodeKindName(n->kind);
    st.type = n->type;
    st.concurrency = std::max(1, n->concurrency);
    // Filters upstream are not known to drop anything yet: every event
    // reaches every node.
    st.reach = n->kind == NodeKind::kSource ? 0 : 1;
    st.in_per_s = n->kind == NodeKind::kSource ? 0 : a.events_per_second;
    // The nodes that call a chat model once per event (an agent's calls
    // per event depend on its tools; an ml-processor is local).
    const bool rag = n->type == "rag-processor" || n->type == "retrieval-augmented-processor";
    st.ai = rag || n->type == "ai-processor" || n->type == "ai-router";
    if (st.ai && n->config.is_object()) {
      const nlohmann::json& c = rag && n->config.contains("llm") && n->config["llm"].is_object()
                                    ? n->config["llm"]
                                    : n->config;
      st.model = c.value("model", "embedded");
      ProviderChoice pc = ChooseProvider(st.model, c.value("provider", ""), "",
                                         [](const std::string&) { return std::string("x"); });
      st.provider = pc.provider;
      Pricing price = DefaultPricing(st.provider, st.model);
      if (n->config.contains("cost") && n->config["cost"].is_object()) {
        price.input_per_mtok = n->config["cost"].value("input_per_mtok", price.input_per_mtok);
        price.output_per_mtok = n->config["cost"].value("output_per_mtok", price.output_per_mtok);
      }
      st.ai_calls_per_s =
          a.events_per_second * (n->type == "ai-router" ? a.router_model_share : 1.0);
      st.input_tokens = a.input_tokens;
      st.output_tokens = a.output_tokens;
      st.cost_per_h =
          st.ai_calls_per_s * 3600 *
          (a.input_tokens * price.input_per_mtok + a.output_tokens * price.output_per_mtok) / 1e6;
      if (a.events_per_second > 0) st.cost_per_event = st.cost_per_h / 3600 / a.events_per_second;
    }
    m.cost_per_h += st.cost_per_h;
    m.stages.push_back(std::move(st));
  }
  return m;
}

OptimizationReport OptimizePlan(const PipelineSpec& spec, const PlanAssumptions& a) {
  OptimizationReport r;
  r.name = spec.metadata.name;
  r.model = EstimateModel(spec, a);
  std::optional<PipelineSpec> copy = spec;
  SuggestCost(r.model, copy, &r.suggestions);
  std::stable_sort(r.suggestions.begin(), r.suggestions.end(),
                   [](const Suggestion& x, const Suggestion& y) { return x.gain > y.gain; });
  r.notes.push_back("estimated before any run at " + Fixed(a.events_per_second, 0) +
                    " events/s, ~" + Fixed(a.input_tokens, 0) + " input and ~" +
                    Fixed(a.output_tokens, 0) +
                    " output tokens per model call, list prices; once it runs, `flowctl ai "
                    "optimize` measures instead");
  return r;
}

}  // namespace flowctl::ai
