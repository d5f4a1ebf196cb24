#include "flowctl/store/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace flowctl::store {

namespace {

constexpr const char* kLockFile = "flowctl.lock";

std::string LockPath(const std::string& dir) {
  return (std::filesystem::path(dir) / kLockFile).string();
}

// The file holds "pid=N\ncommand=C\naddress=A\n"; values never contain '\n'.
StateDirOwner ParseOwner(const std::string& text) {
  StateDirOwner o;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "pid")
      o.pid = std::atoi(value.c_str());
    else if (key == "command")
      o.command = value;
    else if (key == "address")
      o.address = value;
  }
  return o;
}

std::string ReadAll(int fd) {
  std::string text;
  char buf[512];
  ssize_t n;
  off_t off = 0;
  while ((n = ::pread(fd, buf, sizeof buf, off)) > 0) {
    text.append(buf, static_cast<size_t>(n));
    off += n;
    if (text.size() > 4096) break;  // a lock file is a few lines
  }
  return text;
}

std::string Describe(const std::string& dir, const StateDirOwner& o) {
  std::string s = "state dir " + dir + " is in use by flowctl " +
                  (o.command.empty() ? std::string("(unknown command)") : o.command);
  s += " (pid " + std::to_string(o.pid);
  if (!o.address.empty()) s += ", control plane " + o.address;
  s += ")";
  return s;
}

}  // namespace

StateDirLock::~StateDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

Result<std::unique_ptr<StateDirLock>> StateDirLock::Acquire(const std::string& dir,
                                                            const StateDirOwner& me) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create state dir " + dir + ": " + ec.message());
  std::string path = LockPath(dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) {
      ::close(fd);
      return Status::IoError("cannot lock " + path + ": " + std::strerror(err));
    }
    StateDirOwner other = ParseOwner(ReadAll(fd));
    ::close(fd);
    return Status(StatusCode::kAlreadyExists, Describe(dir, other));
  }
  std::unique_ptr<StateDirLock> lock(new StateDirLock(dir, fd, me));
  lock->me_.pid = static_cast<int>(::getpid());
  Status st = lock->WriteOwner();
  if (!st.ok()) return st;
  return lock;
}

Status StateDirLock::SetAddress(const std::string& address) {
  me_.address = address;
  return WriteOwner();
}

Status StateDirLock::WriteOwner() {
  std::string text = "pid=" + std::to_string(me_.pid) + "\ncommand=" + me_.command +
                     "\naddress=" + me_.address + "\n";
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return Status::IoError("cannot write " + LockPath(dir_) + ": " + std::strerror(errno));
  return Status::OK();
}

Result<StateDirOwner> ReadOwner(const std::string& dir) {
  std::string path = LockPath(dir);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("no owner of " + dir);
  // A shared lock we can take means no exclusive owner is alive.
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::close(fd);
    return Status::NotFound("no owner of " + dir);
  }
  StateDirOwner o = ParseOwner(ReadAll(fd));
  ::close(fd);
  return o;
}

}  // namespace flowctl::store
