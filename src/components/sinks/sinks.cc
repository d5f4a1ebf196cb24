// Sinks: stdout, file, selective-sink, dead-letter, null. All but null write
// JSON lines: an unchanged event as the bytes it came with, a changed one
// re-serialized.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "../builtin_list.h"
#include "../common/io.h"

namespace flowctl::components {
namespace {

using nlohmann::json;

class FdSink : public Sink {
 public:
  FdSink(std::string path, bool append, bool fsync)
      : path_(std::move(path)), append_(append), fsync_(fsync) {}
  ~FdSink() override { Close(); }

  Status Open() override {
    if (path_.empty()) {
      fd_ = 1;
      return Status::OK();
    }
    std::error_code ec;
    auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append_ ? O_APPEND : O_TRUNC);
    fd_ = ::open(path_.c_str(), flags, 0644);
    if (fd_ < 0) return Status::IoError("cannot open " + path_ + ": " + std::strerror(errno));
    if (append_) return CutPartialLine();
    return Status::OK();
  }

  // A process killed inside a write can leave half a line at the end. That
  // line was never acknowledged (checkpoints move only after a write
  // returns), so the resumed run writes it again: cut the fragment first,
  // or it would glue onto the next line.
  Status CutPartialLine() {
    off_t size = ::lseek(fd_, 0, SEEK_END);
    if (size <= 0) return Status::OK();
    // fd_ is write-only: read through a second descriptor.
    int rfd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd < 0) return Status::OK();
    char last = 0;
    if (::pread(rfd, &last, 1, size - 1) != 1 || last == '\n') {
      ::close(rfd);
      return Status::OK();
    }
    off_t keep = 0;
    char buf[65536];
    for (off_t end = size; end > 0 && keep == 0;) {
      off_t start = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
      ssize_t n = ::pread(rfd, buf, static_cast<size_t>(end - start), start);
      if (n <= 0) break;
      for (ssize_t i = n - 1; i >= 0; --i)
        if (buf[i] == '\n') {
          keep = start + i + 1;
          break;
        }
      end = start;
    }
    ::close(rfd);
    if (::ftruncate(fd_, keep) != 0)
      return Status::IoError(path_ + ": cannot cut a partial last line: " + std::strerror(errno));
    return Status::OK();
  }

  Status Write(std::vector<Event>& events) override {
    buf_.clear();
    for (const auto& e : events) AppendEventLine(e, &buf_);
    Status st = WriteAll(fd_, buf_);
    if (!st.ok())
      return Status(st.code(), (path_.empty() ? "stdout" : path_) + ": " + st.message());
    if (fsync_ && ::fdatasync(fd_) != 0)
      return Status::IoError(path_ + ": fdatasync failed: " + std::strerror(errno));
    return Status::OK();
  }

  Status Close() override {
    if (fd_ > 2) ::close(fd_);
    fd_ = -1;
    return Status::OK();
  }

 private:
  std::string path_;
  bool append_;
  bool fsync_;
  int fd_ = -1;
  std::string buf_;
};

class NullSink : public Sink {
 public:
  Status Write(std::vector<Event>&) override { return Status::OK(); }
};

json FileProps(bool path_required_desc) {
  return {
      {"path",
       {{"type", "string"},
        {"minLength", 1},
        {"description", path_required_desc ? "file to write (JSON lines)"
                                           : "file to write (JSON lines); stdout when absent"},
        {"x-flowctl-path", "write"}}},
      {"append",
       {{"type", "boolean"},
        {"default", true},
        {"description",
         "append to an existing file; false starts the file afresh when the run starts "
         "fresh (a run resuming from a --state-dir checkpoint always appends, so what the "
         "interrupted run wrote is kept)"}}},
      {"fsync",
       {{"type", "boolean"},
        {"default", false},
        {"description", "fdatasync after each batch: survives power loss, costs speed"}}},
  };
}

ComponentDescriptor FileLike(std::string type, bool path_required) {
  ComponentDescriptor d;
  d.type = std::move(type);
  d.kind = NodeKind::kSink;
  json schema = {{"type", "object"},
                 {"properties", FileProps(path_required)},
                 {"additionalProperties", false}};
  if (path_required) schema["required"] = {"path"};
  d.config_schema = schema;
  d.parallel_safe = false;
  d.make_sink = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Sink>> {
    const auto& c = ctx.config;
    bool append = c.value("append", true) || ctx.resuming;
    return std::unique_ptr<Sink>(new FdSink(c.value("path", ""), append, c.value("fsync", false)));
  };
  return d;
}

}  // namespace

ComponentDescriptor StdoutSinkDescriptor() {
  ComponentDescriptor d;
  d.type = "stdout";
  d.kind = NodeKind::kSink;
  d.summary = "Writes each event as one JSON line to standard output.";
  d.description =
      "Writes events to standard output as JSON lines, one per event, in arrival order. "
      "Unchanged events are written exactly as they were read.";
  d.keywords = {"stdout", "console", "print", "terminal", "output", "debug"};
  d.config_schema = {
      {"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}};
  d.parallel_safe = false;
  d.example = "- id: out\n  type: stdout\n  inputs: [events]\n";
  d.make_sink = [](const ComponentContext&) -> Result<std::unique_ptr<Sink>> {
    return std::unique_ptr<Sink>(new FdSink("", false, false));
  };
  return d;
}

ComponentDescriptor FileSinkDescriptor() {
  ComponentDescriptor d = FileLike("file", true);
  d.summary = "Writes each event as one JSON line to a file.";
  d.description =
      "Appends events to a file as JSON lines. Each batch is handed to the OS with one "
      "write before its events are acknowledged, so a crash never loses an acknowledged "
      "event (set fsync for power-loss safety). Unchanged events keep their original bytes.";
  d.keywords = {"file", "jsonl", "write", "save", "archive", "output", "disk", "log"};
  d.example = "- id: archive\n  type: file\n  inputs: [events]\n  config:\n    path: out.jsonl\n";
  return d;
}

ComponentDescriptor SelectiveSinkDescriptor() {
  ComponentDescriptor d = FileLike("selective-sink", false);
  d.summary = "Writes only the events matching its filter: expression (file or stdout).";
  d.description =
      "A sink meant to be used with the node-level filter: expression, as in the design "
      "seed (filter: \"priority in ['high', 'critical']\"). Events that do not match are "
      "dropped on purpose and counted. Writes JSON lines to config.path, or stdout.";
  d.keywords = {"selective", "filter", "priority", "queue", "conditional", "output", "sink"};
  d.example =
      "- id: priority-queue\n  type: selective-sink\n  inputs: [classifier]\n"
      "  filter: \"priority in ['high', 'critical']\"\n  config:\n    path: priority.jsonl\n";
  return d;
}

ComponentDescriptor DeadLetterSinkDescriptor() {
  ComponentDescriptor d = FileLike("dead-letter", true);
  d.summary = "Receives failed events with the reason, node and original event.";
  d.description =
      "The target of on_error: {dead_letter: {to: ID}}. Each record is a JSON line with "
      "error, node, pipeline, attempts, failed_at_ms and the original event (or raw, the "
      "original text of a line that never parsed). Needs no inputs.";
  d.keywords = {"dead letter", "dlq", "errors", "failed", "poison", "quarantine"};
  d.inputs_optional = true;
  d.example = "- id: dlq\n  type: dead-letter\n  config:\n    path: dead-letters.jsonl\n";
  return d;
}

ComponentDescriptor NullSinkDescriptor() {
  ComponentDescriptor d;
  d.type = "null";
  d.kind = NodeKind::kSink;
  d.summary = "Discards events (counted); for benchmarks and tests.";
  d.description =
      "Acknowledges and discards every event. Useful to measure a pipeline "
      "without output cost, or to terminate a branch on purpose.";
  d.keywords = {"null", "discard", "blackhole", "drop", "devnull", "benchmark"};
  d.config_schema = {
      {"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}};
  d.example = "- id: discard\n  type: null\n  inputs: [events]\n";
  d.make_sink = [](const ComponentContext&) -> Result<std::unique_ptr<Sink>> {
    return std::unique_ptr<Sink>(new NullSink());
  };
  return d;
}

}  // namespace flowctl::components
