// Sandbox: the file-system roots a pipeline applied by a remote client or an
// agent may read and write (`flowctl serve --data-root DIR`, `flowctl mcp
// --data-root DIR`). A person's foreground `flowctl apply` has none.
//
// Contract:
// - Resolve() turns a configured path into the absolute path to open: a
//   relative path is taken under the first root; symlinks and `..` are
//   resolved (realpath of the longest existing prefix, the rest appended; a
//   `..` or a dangling symlink in the part that does not exist is refused).
//   The result must lie under a root and outside every denied directory
//   (the state dir, /proc, /sys, /dev; an exempt directory such as the state
//   dir's data/ root is reachable again). Files need not exist.
// - The check and the later open are two steps: a symlink swapped in between
//   them is not seen (docs/operations.md, "File sandbox").
// - Immutable after Create; thread-safe.
#ifndef FLOWCTL_BASE_SANDBOX_H_
#define FLOWCTL_BASE_SANDBOX_H_

#include <string>
#include <vector>

#include "flowctl/base/status.h"

namespace flowctl {

enum class PathAccess { kRead, kWrite };

struct SandboxOptions {
  // Directories that must exist. The first one anchors relative paths.
  std::vector<std::string> roots;
  // Never reachable, even inside a root (need not exist). /proc, /sys and
  // /dev are always added.
  std::vector<std::string> denied;
  // Reachable again although inside a denied directory (the state dir's
  // default data root).
  std::vector<std::string> exempt;
};

class Sandbox {
 public:
  // kInvalidArgument when a root does not exist, is not a directory or lies
  // inside a denied directory (it could never be used).
  static Result<Sandbox> Create(const SandboxOptions& options);

  // The absolute, resolved path, or kInvalidArgument naming the path, why
  // and the allowed roots (a refused path is an invalid document).
  Result<std::string> Resolve(const std::string& path, PathAccess access) const;

  // Resolved roots, first = the anchor of relative paths.
  const std::vector<std::string>& roots() const { return roots_; }
  // "/data/a, /data/b" (for messages).
  std::string RootsText() const;

 private:
  std::vector<std::string> roots_, denied_, exempt_;
};

// Realpath of the longest existing prefix of an absolute path, the rest
// appended. kInvalidArgument for a `..` or a dangling symlink in the part
// that does not exist.
Result<std::string> ResolveExistingPrefix(const std::string& absolute_path);

}  // namespace flowctl

#endif  // FLOWCTL_BASE_SANDBOX_H_
