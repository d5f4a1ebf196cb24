#include "io.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "flowctl/data/json.h"

namespace flowctl::components {

constexpr size_t kJsonPadding = 64;

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(std::string("write failed: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

void AppendEventLine(const Event& e, std::string* out) {
  e.AppendJson(out);
  out->push_back('\n');
}

Status LineReader::Fill(bool* eof) {
  *eof = false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  while (true) {
    ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::OK();
      return Status::IoError(std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) *eof = true;
    end_ += static_cast<size_t>(n);
    return Status::OK();
  }
}

Result<LineReader::State> LineReader::Next(std::string* line, size_t* oversized_len) {
  while (true) {
    char* start = buf_.data() + begin_;
    size_t avail = end_ - begin_;
    char* nl = static_cast<char*>(std::memchr(start, '\n', avail));
    if (skipping_) {
      if (nl) {
        size_t used = static_cast<size_t>(nl - start) + 1;
        skipped_ += used - 1;
        begin_ += used;
        offset_ += used;
        skipping_ = false;
        *oversized_len = skipped_;
        *line = std::move(oversized_head_);
        return State::kOversized;
      }
      skipped_ += avail;
      offset_ += avail;
      begin_ = end_;
    } else if (nl) {
      size_t len = static_cast<size_t>(nl - start);
      size_t used = len + 1;
      if (len > 0 && start[len - 1] == '\r') --len;
      // Spare capacity lets the JSON parser read the line in place (simdjson
      // needs readable padding after the last byte).
      line->reserve(len + kJsonPadding);
      line->assign(start, len);
      begin_ += used;
      offset_ += used;
      if (len > max_line_) {
        *oversized_len = len;
        line->resize(256);
        return State::kOversized;
      }
      return State::kLine;
    } else if (avail > max_line_) {
      // Keep the head for the error report, skip the rest of the line.
      oversized_head_.assign(start, 256);
      skipping_ = true;
      skipped_ = avail;
      offset_ += avail;
      begin_ = end_;
    }
    if (eof_seen_) {
      // Only reached when a previous Fill hit EOF and no '\n' remains.
      if (skipping_ && final_partial_) {
        // An over-long last line without '\n' is still a line: report it
        // (on_error) rather than losing it without a trace.
        skipping_ = false;
        *oversized_len = skipped_;
        *line = std::move(oversized_head_);
        return State::kOversized;
      }
      size_t rest = end_ - begin_;
      if (rest > 0 && final_partial_ && !skipping_) {
        line->assign(buf_.data() + begin_, rest);
        if (!line->empty() && line->back() == '\r') line->pop_back();
        begin_ = end_;
        offset_ += rest;
        return State::kLine;
      }
      eof_seen_ = false;  // a followed file may grow; try again next time
      return State::kEof;
    }
    bool eof = false;
    size_t before = end_;
    FLOWCTL_RETURN_IF_ERROR(Fill(&eof));
    if (eof)
      eof_seen_ = true;
    else if (end_ == before)
      return State::kNeedMore;
  }
}

}  // namespace flowctl::components
