// CheckpointTracker: turns out-of-order batch completions into an in-order
// source position, and persists it (atomically, rate-limited) in the state
// dir. Thread-safe.
#ifndef FLOWCTL_RUNTIME_CHECKPOINT_H_
#define FLOWCTL_RUNTIME_CHECKPOINT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "flowctl/base/status.h"
#include "flowctl/data/event.h"

namespace flowctl {

class CheckpointTracker {
 public:
  explicit CheckpointTracker(std::string path) : path_(std::move(path)) {}
  // Reads the persisted position ("" when none).
  std::string Load() const;
  void Register(uint64_t seq, std::string checkpoint);
  void Done(uint64_t seq);
  // Stops committing (used on abort: what is in flight was not handled).
  void Freeze();
  Status Flush();
  // The first failure to persist a position (a full disk, a removed state
  // dir). Done() cannot return it; the runtime polls broken() and fails the
  // run with error() rather than going on without a resume point.
  bool broken() const { return broken_.load(std::memory_order_acquire); }
  Status error() const {
    std::lock_guard<std::mutex> lk(mu_);
    return error_;
  }
  const std::string& path() const { return path_; }

 private:
  Status PersistLocked();
  std::string path_;
  mutable std::mutex mu_;
  std::atomic<bool> broken_{false};
  Status error_;
  std::map<uint64_t, std::string> pending_;
  std::set<uint64_t> done_;
  uint64_t next_ = 0;
  std::string committed_;
  bool dirty_ = false;
  bool frozen_ = false;
  std::chrono::steady_clock::time_point last_write_{};
};

// Acknowledges one source batch when the last reference is released.
class BatchAck final : public AckHandle {
 public:
  BatchAck(CheckpointTracker* t, uint64_t seq) : tracker_(t), seq_(seq) {}
  ~BatchAck() override { tracker_->Done(seq_); }

 private:
  CheckpointTracker* tracker_;
  uint64_t seq_;
};

}  // namespace flowctl

#endif  // FLOWCTL_RUNTIME_CHECKPOINT_H_
