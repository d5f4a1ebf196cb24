#include "flowctl/base/sandbox.h"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "flowctl/base/strings.h"

namespace flowctl {
namespace {

std::vector<std::string> Components(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string c = path.substr(i, j - i);
    if (!c.empty() && c != ".") out.push_back(c);
    i = j + 1;
  }
  return out;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

bool Under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  return ec ? "/" + path : (cwd / path).string();
}

}  // namespace

Result<std::string> ResolveExistingPrefix(const std::string& absolute_path) {
  if (absolute_path.empty() || absolute_path[0] != '/')
    return Status::Invalid("'" + absolute_path + "' is not an absolute path");
  if (absolute_path.find('\0') != std::string::npos)
    return Status::Invalid("a path must not contain a NUL byte");
  std::vector<std::string> parts = Components(absolute_path);
  // stat() follows symlinks: a dangling one counts as missing, so it lands in
  // the part that does not exist and is refused below.
  std::string prefix = "/";
  size_t i = 0;
  for (; i < parts.size(); ++i) {
    std::string next = JoinPath(prefix, parts[i]);
    struct stat st;
    if (::stat(next.c_str(), &st) != 0) break;
    prefix = next;
  }
  char buf[PATH_MAX];
  if (::realpath(prefix.c_str(), buf) == nullptr)
    return Status::Invalid("cannot resolve '" + prefix + "': " + std::strerror(errno));
  std::string out = buf;
  for (size_t k = i; k < parts.size(); ++k) {
    if (parts[k] == "..")
      return Status::Invalid("'" + absolute_path + "' has '..' after '" + out +
                             "', which does not exist");
    std::string next = JoinPath(out, parts[k]);
    struct stat st;
    // Missing for stat() but present for lstat(): a symlink whose target
    // does not exist (yet); writing through it would create its target.
    if (k == i && ::lstat(next.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
      return Status::Invalid("'" + next + "' is a symlink to a file that does not exist");
    out = next;
  }
  return out;
}

Result<Sandbox> Sandbox::Create(const SandboxOptions& o) {
  Sandbox s;
  auto resolve_all = [](const std::vector<std::string>& in,
                        std::vector<std::string>* out) -> Status {
    for (const auto& p : in) {
      if (p.empty()) continue;
      auto r = ResolveExistingPrefix(Absolute(p));
      if (!r.ok()) return r.status();
      out->push_back(r.value());
    }
    return Status::OK();
  };
  std::vector<std::string> denied = o.denied;
  for (const char* d : {"/proc", "/sys", "/dev"}) denied.push_back(d);
  FLOWCTL_RETURN_IF_ERROR(resolve_all(denied, &s.denied_));
  FLOWCTL_RETURN_IF_ERROR(resolve_all(o.exempt, &s.exempt_));
  for (const auto& r : o.roots) {
    char buf[PATH_MAX];
    struct stat st;
    std::string abs = Absolute(r);
    if (r.empty() || ::stat(abs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        ::realpath(abs.c_str(), buf) == nullptr)
      return Status::Invalid("data root '" + r + "' is not an existing directory");
    s.roots_.push_back(buf);
  }
  // A root inside a denied directory could never be used: say so now.
  for (const auto& root : s.roots_)
    for (const auto& d : s.denied_) {
      bool exempt = false;
      for (const auto& e : s.exempt_) exempt = exempt || Under(root, e);
      if (Under(root, d) && !exempt)
        return Status::Invalid("data root '" + root + "' lies inside " + d +
                               ", which pipelines may never reach");
    }
  return s;
}

std::string Sandbox::RootsText() const {
  return roots_.empty() ? "none configured" : Join(roots_, ", ");
}

Result<std::string> Sandbox::Resolve(const std::string& path, PathAccess access) const {
  const char* verb = access == PathAccess::kRead ? "read" : "written";
  if (path.empty()) return Status::Invalid("an empty path cannot be " + std::string(verb));
  if (roots_.empty())
    return Status::Invalid("'" + path + "' cannot be " + verb +
                           ": this engine has no data roots, so its pipelines use no files");
  std::string abs = path[0] == '/' ? path : JoinPath(roots_[0], path);
  auto resolved = ResolveExistingPrefix(abs);
  if (!resolved.ok())
    return Status::Invalid("'" + path + "' cannot be " + verb + ": " + resolved.status().message() +
                           " (data roots: " + RootsText() + ")");
  const std::string& real = resolved.value();
  std::string shown = real == path ? "'" + path + "'" : "'" + path + "' (" + real + ")";
  bool inside = false;
  for (const auto& r : roots_) inside = inside || Under(real, r);
  if (!inside)
    return Status::Invalid(shown + " is outside the data roots (" + RootsText() +
                           "): pipelines applied through the daemon or an agent may only use "
                           "files under --data-root");
  for (const auto& d : denied_) {
    if (!Under(real, d)) continue;
    bool exempt = false;
    for (const auto& e : exempt_) exempt = exempt || Under(real, e);
    if (!exempt)
      return Status::Invalid(shown + " is inside " + d +
                             ", which pipelines may never reach (data roots: " + RootsText() + ")");
  }
  return real;
}

}  // namespace flowctl
