// Build version of flowctl.
#ifndef FLOWCTL_BASE_VERSION_H_
#define FLOWCTL_BASE_VERSION_H_

namespace flowctl {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace flowctl

#endif  // FLOWCTL_BASE_VERSION_H_
