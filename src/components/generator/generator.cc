// generator: synthetic events, bounded (count) or endless, optionally at a
// fixed rate. Shape "bench" mimics ../shared/bench/gen_events.py (same
// fields and value distributions, not byte-identical: a different PRNG).
#include <chrono>
#include <cstdio>
#include <random>

#include "../builtin_list.h"

namespace flowctl::components {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* kEventTypes[] = {"click", "view", "purchase", "signup",
                             "login", "logout", "refund", "error"};
const char* kCurrencies[] = {"USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "SEK"};
const char* kPriorities[] = {"low", "medium", "high", "critical"};
const char* kTags[] = {"mobile", "web", "beta", "vip", "retry", "eu",
                       "us", "apac", "promo", "internal", "api", "batch"};
const char* kGeo[][2] = {{"US", "New York"}, {"US", "San Francisco"}, {"US", "Chicago"},
                         {"DE", "Berlin"},   {"DE", "Munich"},        {"FR", "Paris"},
                         {"GB", "London"},   {"JP", "Tokyo"},         {"JP", "Osaka"},
                         {"BR", "Sao Paulo"}, {"IN", "Bengaluru"},    {"AU", "Sydney"},
                         {"CA", "Toronto"},  {"SE", "Stockholm"},     {"ES", "Madrid"},
                         {"NL", "Amsterdam"}};
const char* kWords[] = {"alpha", "bravo", "charlie", "delta", "echo", "order", "payment",
                        "session", "cart", "checkout", "user", "account", "login", "timeout",
                        "retry", "failed", "success", "pending", "shipped", "refund",
                        "invoice", "card", "network", "latency", "cache", "quota"};

class GeneratorSource : public Source {
 public:
  GeneratorSource(uint64_t count, double rate, std::string shape, uint64_t seed, json tmpl)
      : count_(count), rate_(rate), shape_(std::move(shape)), rng_(seed), tmpl_(std::move(tmpl)) {}

  Status Open(const std::string&) override {
    start_ = Clock::now();
    return Status::OK();
  }

  Result<ReadResult> Read(std::vector<Event>* out, size_t max, std::string*) override {
    uint64_t want = max;
    if (count_ > 0) want = std::min<uint64_t>(want, count_ - produced_);
    if (rate_ > 0) {
      double secs = std::chrono::duration<double>(Clock::now() - start_).count();
      uint64_t due = static_cast<uint64_t>(secs * rate_) + 1;
      want = due > produced_ ? std::min<uint64_t>(want, due - produced_) : 0;
      if (want == 0) return ReadResult::kIdle;
    }
    for (uint64_t i = 0; i < want; ++i) out->push_back(Event(Make(++produced_)));
    if (count_ > 0 && produced_ >= count_) return ReadResult::kFinished;
    return ReadResult::kHaveOutput;
  }

 private:
  template <size_t N>
  const char* Pick(const char* (&arr)[N]) {
    return arr[std::uniform_int_distribution<size_t>(0, N - 1)(rng_)];
  }

  Value Make(uint64_t id) {
    Value v = Value::MakeObject();
    v.Set("id", Value(static_cast<int64_t>(id)));
    if (shape_ == "counter") return v;
    if (shape_ == "template") {
      for (auto it = tmpl_.begin(); it != tmpl_.end(); ++it) v.Set(it.key(), FromJson(*it));
      return v;
    }
    ts_ms_ += std::uniform_int_distribution<int>(1, 400)(rng_);
    int64_t t = 1717200000000LL + ts_ms_;  // 2024-06-01T00:00:00Z
    time_t secs = static_cast<time_t>(t / 1000);
    struct tm tm {};
    gmtime_r(&secs, &tm);
    char ts[40];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(t % 1000));
    v.Set("ts", Value(ts));
    char user[24];
    std::snprintf(user, sizeof user, "user_%06d",
                  std::uniform_int_distribution<int>(0, 199999)(rng_));
    v.Set("user_id", Value(user));
    v.Set("event_type", Value(Pick(kEventTypes)));
    double amount = std::uniform_real_distribution<double>(0.5, 5000.0)(rng_);
    v.Set("amount", Value(static_cast<double>(static_cast<int64_t>(amount * 100)) / 100.0));
    v.Set("currency", Value(Pick(kCurrencies)));
    int p = std::uniform_int_distribution<int>(0, 99)(rng_);
    v.Set("priority", Value(kPriorities[p < 40 ? 0 : p < 70 ? 1 : p < 90 ? 2 : 3]));
    std::string msg;
    int words = std::uniform_int_distribution<int>(4, 11)(rng_);
    for (int i = 0; i < words; ++i) {
      if (i) msg.push_back(' ');
      msg += Pick(kWords);
    }
    v.Set("message", Value(std::move(msg)));
    Value::Array tags;
    int ntags = std::uniform_int_distribution<int>(0, 3)(rng_);
    for (int i = 0; i < ntags; ++i) tags.push_back(Value(Pick(kTags)));
    v.Set("tags", Value(std::move(tags)));
    auto& g = kGeo[std::uniform_int_distribution<size_t>(0, 15)(rng_)];
    Value geo = Value::MakeObject();
    geo.Set("country", Value(g[0]));
    geo.Set("city", Value(g[1]));
    v.Set("geo", std::move(geo));
    return v;
  }

  static Value FromJson(const json& j) {
    if (j.is_null()) return Value();
    if (j.is_boolean()) return Value(j.get<bool>());
    if (j.is_number_integer()) return Value(j.get<int64_t>());
    if (j.is_number()) return Value(j.get<double>());
    if (j.is_string()) return Value(j.get<std::string>());
    if (j.is_array()) {
      Value::Array a;
      for (const auto& x : j) a.push_back(FromJson(x));
      return Value(std::move(a));
    }
    Value o = Value::MakeObject();
    for (auto it = j.begin(); it != j.end(); ++it) o.Set(it.key(), FromJson(*it));
    return o;
  }

  uint64_t count_;
  double rate_;
  std::string shape_;
  std::mt19937_64 rng_;
  json tmpl_;
  uint64_t produced_ = 0;
  int64_t ts_ms_ = 0;
  Clock::time_point start_;
};

}  // namespace

ComponentDescriptor GeneratorDescriptor() {
  ComponentDescriptor d;
  d.type = "generator";
  d.kind = NodeKind::kSource;
  d.summary = "Generates synthetic events: a counter, a template, or the benchmark event shape.";
  d.description =
      "Produces count events (0 = until stopped), optionally at rate events per second. "
      "shape bench produces the benchmark's event shape (id, ts, user_id, "
      "event_type, amount, currency, priority, message, tags, geo); counter only {id}; "
      "template copies config.template and adds id. Deterministic for a given seed.";
  d.keywords = {"generator", "generate", "synthetic", "test data", "demo", "fake", "sample",
                "load test", "random"};
  d.config_schema = {
      {"type", "object"},
      {"properties",
       {{"count",
         {{"type", "integer"}, {"minimum", 0}, {"default", 1000},
          {"description", "events to produce; 0 = until the pipeline is stopped"}}},
        {"rate",
         {{"type", "number"}, {"minimum", 0}, {"default", 0},
          {"description", "events per second; 0 = as fast as possible"}}},
        {"shape",
         {{"type", "string"}, {"enum", {"bench", "counter", "template"}}, {"default", "bench"},
          {"description", "what the events look like"}}},
        {"template", {{"type", "object"}, {"description", "fields for shape template"}}},
        {"seed", {{"type", "integer"}, {"default", 20240601}, {"description", "PRNG seed"}}}}},
      {"additionalProperties", false}};
  d.parallel_safe = false;
  d.example = "- id: events\n  type: generator\n  config:\n    count: 1000\n    shape: bench\n";
  d.make_source = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Source>> {
    const auto& c = ctx.config;
    return std::unique_ptr<Source>(new GeneratorSource(
        c.value("count", uint64_t{1000}), c.value("rate", 0.0), c.value("shape", "bench"),
        c.value("seed", uint64_t{20240601}), c.value("template", json::object())));
  };
  return d;
}

}  // namespace flowctl::components
