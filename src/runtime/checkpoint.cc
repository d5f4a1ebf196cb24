#include "checkpoint.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace flowctl {

std::string CheckpointTracker::Load() const {
  std::ifstream in(path_);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void CheckpointTracker::Register(uint64_t seq, std::string checkpoint) {
  std::lock_guard<std::mutex> lk(mu_);
  pending_[seq] = std::move(checkpoint);
}

void CheckpointTracker::Done(uint64_t seq) {
  std::lock_guard<std::mutex> lk(mu_);
  if (frozen_) return;
  done_.insert(seq);
  while (!done_.empty() && *done_.begin() == next_) {
    done_.erase(done_.begin());
    auto it = pending_.find(next_);
    if (it != pending_.end()) {
      committed_ = std::move(it->second);
      pending_.erase(it);
      dirty_ = true;
    }
    ++next_;
  }
  // Rate-limited: a crash replays at most this much (at-least-once).
  auto now = std::chrono::steady_clock::now();
  if (dirty_ && now - last_write_ > std::chrono::milliseconds(100)) {
    Status st = PersistLocked();
    if (!st.ok() && error_.ok()) {
      error_ = st;
      broken_.store(true, std::memory_order_release);
    }
  }
}

void CheckpointTracker::Freeze() {
  std::lock_guard<std::mutex> lk(mu_);
  frozen_ = true;
}

Status CheckpointTracker::Flush() {
  std::lock_guard<std::mutex> lk(mu_);
  return PersistLocked();
}

Status CheckpointTracker::PersistLocked() {
  if (!dirty_) return Status::OK();
  std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status::IoError("cannot write checkpoint " + tmp);
    out << committed_;
    if (!out.flush()) return Status::IoError("cannot write checkpoint " + tmp);
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0)
    return Status::IoError("cannot rename checkpoint to " + path_);
  dirty_ = false;
  last_write_ = std::chrono::steady_clock::now();
  return Status::OK();
}

}  // namespace flowctl
