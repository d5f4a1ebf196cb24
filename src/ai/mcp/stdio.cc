// The stdio transport: one JSON-RPC message per line in, one per line out.
// Polls so that a stop signal is noticed while the client is idle.
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "flowctl/ai/mcp.h"
#include "rpc.h"

namespace flowctl::ai::mcp {

namespace {

// A client that never sends a newline must not make the buffer grow
// without end; a longer line is answered once and skipped to its newline.
constexpr size_t kMaxLine = kMaxMessageBytes;

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
  bool skipping = false;  // inside a line that was over kMaxLine
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
    if (n == 0) return buffer.empty() || skipping ? Status::OK() : handle_line(std::move(buffer));
    size_t begin = 0;
    if (skipping) {
      // The rest of an over-long line: not a message of its own.
      const char* nl = static_cast<const char*>(std::memchr(chunk, '\n', static_cast<size_t>(n)));
      if (!nl) continue;
      skipping = false;
      begin = static_cast<size_t>(nl - chunk) + 1;
    }
    // Only the new bytes can hold a newline: a long line costs O(length).
    size_t scanned = buffer.size();
    buffer.append(chunk + begin, static_cast<size_t>(n) - begin);
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', std::max(start, scanned))) != std::string::npos;
         start = nl + 1) {
      Status st = handle_line(buffer.substr(start, nl - start));
      if (!st.ok()) return st;
    }
    buffer.erase(0, start);
    if (buffer.size() > kMaxLine) {
      buffer.clear();
      skipping = true;
      Status st = WriteAll(
          out_fd, RpcError(nullptr, kParseError,
                           "Parse error: message over " + std::to_string(kMaxLine >> 20) + " MiB")
                          .dump() +
                      "\n");
      if (!st.ok()) return st;
    }
  }
}

}  // namespace flowctl::ai::mcp
