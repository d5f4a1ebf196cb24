// Wall-clock time as Unix milliseconds: what history, audit and decision
// records store.
//
// Contract: thread-safe; follows the system clock (it can step).
#ifndef FLOWCTL_BASE_CLOCK_H_
#define FLOWCTL_BASE_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace flowctl {

inline int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace flowctl

#endif  // FLOWCTL_BASE_CLOCK_H_
