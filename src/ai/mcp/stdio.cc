// The stdio transport: one JSON-RPC message per line in, one per line out.
// Polls so that a stop signal is noticed while the client is idle.
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>

#include "flowctl/ai/mcp.h"
#include "rpc.h"

namespace flowctl::ai::mcp {

namespace {

// Far above any real message; a client that never sends a newline must not
// make the buffer grow without end.
constexpr size_t kMaxLine = 64 << 20;

Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return Status::IoError(std::string("writing to the client: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace

Status ServeStdio(const Server& server, int in_fd, int out_fd, const sigset_t* stop_signals) {
  Session session;
  std::string buffer;
  char chunk[64 * 1024];
  auto handle_line = [&](std::string line) -> Status {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) return Status::OK();
    std::string reply = server.HandleText(line, &session);
    return reply.empty() ? Status::OK() : WriteAll(out_fd, reply + "\n");
  };
  for (;;) {
    if (stop_signals) {
      struct timespec zero {
        0, 0
      };
      if (sigtimedwait(stop_signals, nullptr, &zero) > 0) return Status::OK();
    }
    struct pollfd p = {in_fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR)
      return Status::IoError(std::string("polling stdin: ") + std::strerror(errno));
    if (ready <= 0) continue;
    ssize_t n = ::read(in_fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Status::IoError(std::string("reading stdin: ") + std::strerror(errno));
    if (n == 0) return buffer.empty() ? Status::OK() : handle_line(std::move(buffer));
    buffer.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      Status st = handle_line(buffer.substr(start, nl - start));
      if (!st.ok()) return st;
    }
    buffer.erase(0, start);
    if (buffer.size() > kMaxLine) {
      buffer.clear();
      Status st = WriteAll(
          out_fd, RpcError(nullptr, kParseError, "Parse error: line over 64 MiB").dump() + "\n");
      if (!st.ok()) return st;
    }
  }
}

}  // namespace flowctl::ai::mcp
