// ModelClient: what every AI component calls instead of a Provider. It adds
// to each call a concurrency limit, retries with exponential backoff on
// kUnavailable (HTTP 429/5xx, timeouts, refused connections), a circuit
// breaker that fails calls fast while the provider is down (the events go to
// the node's on_error policy), a bounded response cache keyed by the request
// hash, and token and cost accounting.
//
// Contract: thread-safe; one instance is shared by all parallel instances of
// a node (ComponentContext::shared), so the limit and the breaker are per
// node. Counters may be null (not counted).
#ifndef FLOWCTL_AI_CLIENT_H_
#define FLOWCTL_AI_CLIENT_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "flowctl/ai/provider.h"

namespace flowctl::ai {

struct ClientOptions {
  int max_retries = 3;   // attempts after the first, on kUnavailable only
  int backoff_ms = 200;  // first backoff, doubled each attempt (with jitter)
  int max_backoff_ms = 5000;
  int max_concurrency = 8;          // calls in flight for the node
  int breaker_failures = 5;         // consecutive failed calls that open the circuit
  int breaker_cooldown_ms = 30000;  // open this long, then let one call try
  size_t cache_entries = 4096;      // 0 = no cache
  Pricing pricing;
};

struct ClientCounters {
  std::atomic<int64_t>* calls = nullptr;  // provider calls made (after cache)
  std::atomic<int64_t>* cache_hits = nullptr;
  std::atomic<int64_t>* retries = nullptr;
  std::atomic<int64_t>* failures = nullptr;          // calls that failed after retries
  std::atomic<int64_t>* breaker_rejected = nullptr;  // failed fast: circuit open
  std::atomic<int64_t>* input_tokens = nullptr;
  std::atomic<int64_t>* output_tokens = nullptr;
  std::atomic<int64_t>* cost_micro_usd = nullptr;
  std::atomic<int64_t>* latency_us_total = nullptr;
};

class ModelClient {
 public:
  ModelClient(std::unique_ptr<Provider> provider, ClientOptions options, ClientCounters counters);
  const std::string& provider_name() const { return provider_->name(); }

  // *cost_usd (if given) receives this call's cost (0 on a cache hit).
  Result<CompletionResponse> Complete(const CompletionRequest& request, double* cost_usd = nullptr,
                                      bool* cache_hit = nullptr);
  Result<std::vector<std::vector<float>>> Embed(const std::string& model,
                                                const std::vector<std::string>& texts);

  enum class BreakerState { kClosed, kOpen, kHalfOpen };
  BreakerState breaker_state() const;

 private:
  using Clock = std::chrono::steady_clock;
  template <typename T, typename F>
  Result<T> Call(F&& f);
  void Acquire();
  void Release();
  Status BreakerAdmit();
  void BreakerRecord(bool ok);
  static void Add(std::atomic<int64_t>* c, int64_t v) {
    if (c != nullptr) c->fetch_add(v, std::memory_order_relaxed);
  }

  std::unique_ptr<Provider> provider_;
  ClientOptions options_;
  ClientCounters counters_;

  std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  int in_flight_ = 0;

  mutable std::mutex breaker_mu_;
  int consecutive_failures_ = 0;
  BreakerState state_ = BreakerState::kClosed;
  Clock::time_point open_until_{};
  bool trial_in_flight_ = false;

  std::mutex cache_mu_;
  std::list<std::pair<uint64_t, CompletionResponse>> lru_;
  std::unordered_map<uint64_t, std::list<std::pair<uint64_t, CompletionResponse>>::iterator> cache_;
};

// A stable hash of everything that decides a model's answer.
uint64_t RequestHash(const CompletionRequest& request);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_CLIENT_H_
