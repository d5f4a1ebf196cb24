// A background thread that calls a function every interval until Stop():
// the loop of the daemon's monitors and controllers.
//
// Contract: thread-safe. fn runs on the loop's thread, never while the
// loop's own lock is held, so it may take its owner's locks. Stop() waits
// for a call in progress; the destructor stops.
#ifndef FLOWCTL_BASE_PERIODIC_H_
#define FLOWCTL_BASE_PERIODIC_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace flowctl {

class Periodic {
 public:
  Periodic() = default;
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;
  ~Periodic() { Stop(); }

  // The first call at once; a second Start while running does nothing.
  void Start(std::chrono::milliseconds interval, std::function<void()> fn) {
    std::lock_guard<std::mutex> lk(mu_);
    if (thread_.joinable()) return;
    stop_ = false;
    thread_ = std::thread([this, interval, fn = std::move(fn)] {
      std::unique_lock<std::mutex> lk(mu_);
      while (!stop_) {
        woken_ = false;
        lk.unlock();
        fn();
        lk.lock();
        cv_.wait_for(lk, interval, [this] { return stop_ || woken_; });
      }
    });
  }
  // The next call now, not at the end of the interval.
  void Wake() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool woken_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace flowctl

#endif  // FLOWCTL_BASE_PERIODIC_H_
