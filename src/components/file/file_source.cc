// file and stdin sources: JSON lines (codec json) or plain lines (codec
// lines). Reading splits lines serially; decoding JSON runs in parallel in
// Decode. The file source resumes from a byte offset checkpoint.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../builtin_list.h"
#include "../common/io.h"
#include "flowctl/data/json.h"

namespace flowctl::components {
namespace {

using nlohmann::json;

class LineSource : public Source {
 public:
  LineSource(std::string path, bool json_codec, bool follow, size_t max_line, std::string field)
      : path_(std::move(path)),
        json_(json_codec),
        follow_(follow),
        max_line_(max_line),
        field_(std::move(field)) {}
  ~LineSource() override { Close(); }

  Status Open(const std::string& checkpoint) override {
    if (path_.empty()) {
      fd_ = 0;
    } else {
      fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0)
        return Status::NotFound("cannot open " + path_ + ": " + std::strerror(errno));
      struct stat st {};
      ::fstat(fd_, &st);
      inode_ = static_cast<uint64_t>(st.st_ino);
    }
    reader_ = std::make_unique<LineReader>(fd_, max_line_);
    reader_->set_final_partial(!follow_);
    uint64_t offset = 0, inode = 0;
    if (!checkpoint.empty() && !path_.empty() &&
        std::sscanf(checkpoint.c_str(), "offset=%lu inode=%lu", &offset, &inode) == 2 &&
        inode == inode_) {
      if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0)
        return Status::IoError("cannot seek " + path_ + ": " + std::strerror(errno));
      reader_->set_offset(offset);
    }
    return Status::OK();
  }

  Result<ReadResult> Read(std::vector<Event>* out, size_t max, std::string* checkpoint) override {
    if (fd_ == 0 && !stdin_ready()) return ReadResult::kIdle;
    std::string line;
    size_t oversized = 0;
    ReadResult result = ReadResult::kHaveOutput;
    while (out->size() < max) {
      auto st = reader_->Next(&line, &oversized);
      if (!st.ok()) return st.status();
      if (st.value() == LineReader::State::kEof) {
        result = follow_ ? ReadResult::kIdle : ReadResult::kFinished;
        break;
      }
      if (st.value() == LineReader::State::kNeedMore) {
        result = ReadResult::kIdle;
        break;
      }
      if (st.value() == LineReader::State::kOversized) {
        // Marked for Decode: a string body on an undecoded event is an error.
        Event e(Value("line of " + std::to_string(oversized) +
                      " bytes exceeds max_line_bytes (" + std::to_string(max_line_) + ")"));
        e.raw_buffer() = std::move(line);
        out->push_back(std::move(e));
        continue;
      }
      if (line.empty()) continue;
      out->push_back(Event::FromRaw(std::move(line)));
      line = std::string();
    }
    if (!path_.empty())
      *checkpoint = "offset=" + std::to_string(reader_->offset()) +
                    " inode=" + std::to_string(inode_);
    if (result == ReadResult::kIdle && !out->empty()) result = ReadResult::kHaveOutput;
    return result;
  }

  void Decode(std::vector<Event>& events, Emitter& out) const override {
    for (auto& e : events) {
      if (e.body().is_string()) {
        Status why = Status::Invalid(e.body().as_string());
        Event bad = Event::FromRaw(e.raw());
        out.Fail(std::move(bad), why);
        continue;
      }
      if (!json_) {
        Value body = Value::MakeObject();
        body.Set(field_, Value(std::move(e.raw_buffer())));
        out.Emit(Event(std::move(body)));
        continue;
      }
      // Validate now (cheap), decode later and only what is read.
      const std::string& raw = e.raw();
      size_t first = raw.find_first_not_of(" \t");
      if (!IsValidJson(raw)) {
        Value ignored;
        Status st = ParseJson(raw, &ignored);  // for the error message
        out.Fail(std::move(e), st.ok() ? Status::Invalid("invalid JSON") : st);
        continue;
      }
      if (first == std::string::npos || raw[first] != '{') {
        Value body;
        (void)ParseJson(raw, &body);
        out.Fail(std::move(e), Status::Invalid(std::string("expected a JSON object, got ") +
                                               body.TypeName()));
        continue;
      }
      e.SetLazyJson();
      out.Emit(std::move(e));
    }
  }

  void Close() override {
    if (fd_ > 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool stdin_ready() {
    struct pollfd p {0, POLLIN, 0};
    int r = ::poll(&p, 1, 20);
    return r > 0;
  }

  std::string path_;
  bool json_;
  bool follow_;
  size_t max_line_;
  std::string field_;
  int fd_ = -1;
  uint64_t inode_ = 0;
  std::unique_ptr<LineReader> reader_;
};

json CommonProps() {
  return {
      {"codec",
       {{"type", "string"},
        {"enum", {"json", "lines"}},
        {"default", "json"},
        {"description", "json: one JSON object per line; lines: each line becomes {field: line}"}}},
      {"field",
       {{"type", "string"},
        {"default", "message"},
        {"description", "with codec lines: the field that receives the line"}}},
      {"max_line_bytes",
       {{"type", "integer"},
        {"minimum", 16},
        {"default", 1048576},
        {"description", "longer lines are not read; they go to the node's on_error policy"}}},
  };
}

}  // namespace

ComponentDescriptor FileSourceDescriptor() {
  ComponentDescriptor d;
  d.type = "file";
  d.kind = NodeKind::kSource;
  d.summary = "Reads JSON lines (or plain lines) from a file, resuming where it stopped.";
  d.description =
      "Reads a file line by line. With codec json each line must be one JSON object; "
      "malformed lines go to the node's on_error policy (drop by default, or dead_letter). "
      "The byte offset of fully handled events is checkpointed in --state-dir, so a rerun "
      "after a crash continues where the last acknowledged event ended (at-least-once). "
      "With follow: true it keeps reading as the file grows.";
  d.keywords = {"file", "jsonl", "json lines", "log", "read", "ndjson", "input", "tail"};
  json props = CommonProps();
  props["path"] = {{"type", "string"},
                   {"minLength", 1},
                   {"description", "file to read"},
                   {"x-flowctl-path", "read"}};
  props["follow"] = {{"type", "boolean"},
                     {"default", false},
                     {"description", "keep reading new lines at the end of the file"}};
  d.config_schema = {{"type", "object"},
                     {"properties", props},
                     {"required", {"path"}},
                     {"additionalProperties", false}};
  d.example = "- id: events\n  type: file\n  config:\n    path: events.jsonl\n";
  d.make_source = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Source>> {
    const auto& c = ctx.config;
    return std::unique_ptr<Source>(new LineSource(
        c.at("path").get<std::string>(), c.value("codec", "json") == "json",
        c.value("follow", false), c.value("max_line_bytes", size_t{1048576}),
        c.value("field", "message")));
  };
  return d;
}

ComponentDescriptor StdinSourceDescriptor() {
  ComponentDescriptor d;
  d.type = "stdin";
  d.kind = NodeKind::kSource;
  d.summary = "Reads JSON lines (or plain lines) from standard input until it closes.";
  d.description =
      "Reads standard input line by line, like the file source but without checkpoints "
      "(a pipe cannot be rewound). Ends when standard input closes.";
  d.keywords = {"stdin", "pipe", "standard input", "console", "input"};
  d.config_schema = {{"type", "object"},
                     {"properties", CommonProps()},
                     {"additionalProperties", false}};
  d.example = "- id: in\n  type: stdin\n";
  d.make_source = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Source>> {
    const auto& c = ctx.config;
    return std::unique_ptr<Source>(new LineSource("", c.value("codec", "json") == "json", false,
                                                  c.value("max_line_bytes", size_t{1048576}),
                                                  c.value("field", "message")));
  };
  return d;
}

}  // namespace flowctl::components
