// Shared I/O pieces of the built-in file/stdin/stdout components.
#ifndef FLOWCTL_COMPONENTS_COMMON_IO_H_
#define FLOWCTL_COMPONENTS_COMMON_IO_H_

#include <string>
#include <string_view>
#include <vector>

#include "flowctl/base/status.h"
#include "flowctl/data/event.h"

namespace flowctl::components {

// Writes all of data to fd, retrying on EINTR and short writes.
Status WriteAll(int fd, std::string_view data);

// Appends the event's JSON line (raw bytes when unchanged) plus '\n'.
void AppendEventLine(const Event& e, std::string* out);

// Splits a file descriptor into lines, tracking the byte offset after each
// complete line. Lines longer than max_line are cut: the reader reports them
// as oversized (their first bytes are kept for the error report).
class LineReader {
 public:
  LineReader(int fd, size_t max_line) : fd_(fd), max_line_(max_line) {}
  enum class State { kLine, kOversized, kNeedMore, kEof };
  // Next line without its '\n' (and a trailing '\r' stripped). kNeedMore: no
  // complete line is buffered and the fd had nothing more right now (only
  // for non-blocking fds or a followed file at its end).
  Result<State> Next(std::string* line, size_t* oversized_len);
  uint64_t offset() const { return offset_; }  // after the last returned line
  void set_offset(uint64_t o) { offset_ = o; }
  // At EOF with a final line without '\n': return it as a line.
  void set_final_partial(bool v) { final_partial_ = v; }

 private:
  Status Fill(bool* eof);
  int fd_;
  size_t max_line_;
  std::vector<char> buf_ = std::vector<char>(1 << 20);
  size_t begin_ = 0, end_ = 0;
  uint64_t offset_ = 0;
  bool skipping_ = false;  // inside an oversized line
  size_t skipped_ = 0;
  std::string oversized_head_;
  bool final_partial_ = true;
  bool eof_seen_ = false;
};

}  // namespace flowctl::components

#endif  // FLOWCTL_COMPONENTS_COMMON_IO_H_
