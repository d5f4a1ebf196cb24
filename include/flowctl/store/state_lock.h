// One owner per state dir. Whoever runs pipelines on a state dir (`flowctl
// serve`, a standalone `flowctl mcp`, `flowctl apply --state-dir`) holds an
// exclusive flock(2) on STATE/flowctl.lock for its whole life; a second
// would treat the first one's running pipelines as crashed and run them
// again. The lock file also says who the owner is (pid, command, control
// plane address), so a command that only needs to act on pipelines can find
// the running daemon and go through it instead.
//
// Contract: the kernel releases the lock when the owner exits, however it
// exits (kill -9 included), so a stale file never blocks a restart. Locks are
// per open file description: a second Acquire in the same process fails too.
// StateDirLock is not thread-safe; Acquire/ReadOwner are.
#ifndef FLOWCTL_STORE_STATE_LOCK_H_
#define FLOWCTL_STORE_STATE_LOCK_H_

#include <memory>
#include <string>

#include "flowctl/base/status.h"

namespace flowctl::store {

struct StateDirOwner {
  int pid = 0;
  std::string command;  // "serve", "mcp", "apply"
  std::string address;  // gRPC control plane ("" when it has none)
};

class StateDirLock {
 public:
  ~StateDirLock();
  // Takes the lock on dir (created if missing). A held lock: kAlreadyExists
  // naming the owner ("state dir D is in use by flowctl serve (pid 12,
  // control plane 127.0.0.1:8080)").
  static Result<std::unique_ptr<StateDirLock>> Acquire(const std::string& dir,
                                                       const StateDirOwner& me);
  // Records the control plane address once it is known (after bind).
  Status SetAddress(const std::string& address);
  const std::string& dir() const { return dir_; }

 private:
  StateDirLock(std::string dir, int fd, StateDirOwner me)
      : dir_(std::move(dir)), fd_(fd), me_(std::move(me)) {}
  Status WriteOwner();
  std::string dir_;
  int fd_;
  StateDirOwner me_;
};

// The live owner of dir, or kNotFound when nobody holds its lock.
Result<StateDirOwner> ReadOwner(const std::string& dir);

}  // namespace flowctl::store

#endif  // FLOWCTL_STORE_STATE_LOCK_H_
