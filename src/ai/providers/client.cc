// ModelClient: limits, retries, circuit breaker, cache and accounting around
// a Provider (see include/flowctl/ai/client.h).
#include "flowctl/ai/client.h"

#include <algorithm>
#include <random>
#include <thread>

namespace flowctl::ai {
namespace {

uint64_t Fnv(const std::string& s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

uint64_t RequestHash(const CompletionRequest& r) {
  uint64_t h = Fnv(r.model);
  h = Fnv("\x1f" + r.system, h);
  for (const auto& m : r.messages) {
    h = Fnv("\x1e" + m.role + "\x1f" + m.content + "\x1f" + m.tool_call_id, h);
    if (!m.tool_calls.is_null()) h = Fnv(m.tool_calls.dump(), h);
  }
  if (!r.output_schema.is_null()) h = Fnv("\x1d" + r.output_schema.dump(), h);
  for (const auto& t : r.tools) h = Fnv("\x1c" + t.name + t.parameters.dump(), h);
  h = Fnv("\x1b" + r.task + "\x1f" + r.text + std::to_string(r.max_tokens) + "/" +
              std::to_string(r.temperature),
          h);
  for (const auto& c : r.categories) h = Fnv("\x1a" + c, h);
  return h;
}

ModelClient::ModelClient(std::unique_ptr<Provider> provider, ClientOptions options,
                         ClientCounters counters)
    : provider_(std::move(provider)), options_(options), counters_(counters) {}

void ModelClient::Acquire() {
  std::unique_lock<std::mutex> lk(slots_mu_);
  slots_cv_.wait(lk, [&] { return in_flight_ < std::max(1, options_.max_concurrency); });
  ++in_flight_;
}

void ModelClient::Release() {
  {
    std::lock_guard<std::mutex> lk(slots_mu_);
    --in_flight_;
  }
  slots_cv_.notify_one();
}

ModelClient::BreakerState ModelClient::breaker_state() const {
  std::lock_guard<std::mutex> lk(breaker_mu_);
  return state_;
}

Status ModelClient::BreakerAdmit() {
  std::lock_guard<std::mutex> lk(breaker_mu_);
  if (state_ == BreakerState::kClosed) return Status::OK();
  auto now = Clock::now();
  if (state_ == BreakerState::kOpen && now >= open_until_) state_ = BreakerState::kHalfOpen;
  if (state_ == BreakerState::kHalfOpen && !trial_in_flight_) {
    trial_in_flight_ = true;  // one call tests the provider; the rest wait it out
    return Status::OK();
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(open_until_ - now).count();
  return Status::Unavailable("circuit open: " + provider_->name() + " failed " +
                             std::to_string(options_.breaker_failures) +
                             " calls in a row; next try in " +
                             std::to_string(std::max<int64_t>(0, left)) + " ms");
}

void ModelClient::BreakerRecord(bool ok) {
  std::lock_guard<std::mutex> lk(breaker_mu_);
  if (state_ == BreakerState::kHalfOpen) trial_in_flight_ = false;
  if (ok) {
    consecutive_failures_ = 0;
    state_ = BreakerState::kClosed;
    return;
  }
  ++consecutive_failures_;
  if (state_ == BreakerState::kHalfOpen ||
      (options_.breaker_failures > 0 && consecutive_failures_ >= options_.breaker_failures)) {
    state_ = BreakerState::kOpen;
    open_until_ = Clock::now() + std::chrono::milliseconds(options_.breaker_cooldown_ms);
  }
}

template <typename T, typename F>
Result<T> ModelClient::Call(F&& f) {
  Status admit = BreakerAdmit();
  if (!admit.ok()) {
    Add(counters_.breaker_rejected, 1);
    return admit;
  }
  Acquire();
  thread_local std::mt19937 rng{std::random_device{}()};
  Result<T> r = Status::Internal("not called");
  for (int attempt = 0;; ++attempt) {
    auto start = Clock::now();
    Add(counters_.calls, 1);
    r = f();
    Add(counters_.latency_us_total,
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    if (r.ok() || r.status().code() != StatusCode::kUnavailable || attempt >= options_.max_retries)
      break;
    Add(counters_.retries, 1);
    int64_t backoff = std::min<int64_t>(options_.max_backoff_ms,
                                        static_cast<int64_t>(options_.backoff_ms) << attempt);
    // Full jitter in the upper half: spreads retries of parallel callers.
    std::uniform_int_distribution<int64_t> d(backoff / 2, std::max<int64_t>(backoff / 2, backoff));
    std::this_thread::sleep_for(std::chrono::milliseconds(d(rng)));
  }
  Release();
  // Only provider trouble counts against the breaker, not a bad answer.
  bool provider_ok = r.ok() || r.status().code() != StatusCode::kUnavailable;
  BreakerRecord(provider_ok);
  if (!r.ok()) Add(counters_.failures, 1);
  return r;
}

Result<CompletionResponse> ModelClient::Complete(const CompletionRequest& request, double* cost_usd,
                                                 bool* cache_hit) {
  if (cost_usd != nullptr) *cost_usd = 0;
  if (cache_hit != nullptr) *cache_hit = false;
  uint64_t key = options_.cache_entries > 0 ? RequestHash(request) : 0;
  if (options_.cache_entries > 0) {
    std::lock_guard<std::mutex> lk(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      Add(counters_.cache_hits, 1);
      if (cache_hit != nullptr) *cache_hit = true;
      return it->second->second;
    }
  }
  auto r = Call<CompletionResponse>([&] { return provider_->Complete(request); });
  if (!r.ok()) return r;
  const Usage& u = r.value().usage;
  Add(counters_.input_tokens, u.input_tokens);
  Add(counters_.output_tokens, u.output_tokens);
  double cost = (static_cast<double>(u.input_tokens) * options_.pricing.input_per_mtok +
                 static_cast<double>(u.output_tokens) * options_.pricing.output_per_mtok) /
                1e6;
  Add(counters_.cost_micro_usd, static_cast<int64_t>(cost * 1e6 + 0.5));
  if (cost_usd != nullptr) *cost_usd = cost;
  if (options_.cache_entries > 0) {
    std::lock_guard<std::mutex> lk(cache_mu_);
    if (cache_.find(key) == cache_.end()) {
      lru_.emplace_front(key, r.value());
      cache_[key] = lru_.begin();
      if (lru_.size() > options_.cache_entries) {
        cache_.erase(lru_.back().first);
        lru_.pop_back();
      }
    }
  }
  return r;
}

Result<std::vector<std::vector<float>>> ModelClient::Embed(const std::string& model,
                                                           const std::vector<std::string>& texts) {
  return Call<std::vector<std::vector<float>>>([&] { return provider_->Embed(model, texts); });
}

}  // namespace flowctl::ai
