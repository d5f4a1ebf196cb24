// Fuzz target: the file source's line handling and the JSON event reader
// (src/components/file/, src/components/common/io.h, src/data/). The first
// byte picks the codec and max_line_bytes; the rest is the file, read through
// the registered `file` source exactly as a pipeline reads it (Open, Read,
// Decode). Every event it emits is then decoded, patched and serialized the
// way processors and sinks do; each failed line must carry a Status.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flowctl/component/registry.h"
#include "flowctl/data/json.h"

namespace {

using flowctl::Event;

class Collect : public flowctl::Emitter {
 public:
  void Emit(Event&& e) override { Touch(e); }
  void EmitTo(size_t, Event&& e) override { Touch(e); }
  void Fail(Event&& e, const flowctl::Status& why) override {
    if (why.ok()) __builtin_trap();  // a failure must say why
    std::string dlq;
    flowctl::AppendJsonString(e.raw(), &dlq);  // what a dead-letter line holds
  }
  void Drop(Event&&) override {}

 private:
  static void Touch(Event& e) {
    flowctl::Value top;
    (void)flowctl::ExtractTopLevel(e.raw(), {"id", "priority", "geo"}, &top);
    std::string out;
    if (e.lazy()) {
      // As the enrich processors do: a member written after the original ones.
      flowctl::Value present;
      if (flowctl::ExtractTopLevel(e.raw(), {"_fuzz"}, &present).ok() && present.is_object() &&
          present.as_object().empty()) {
        e.PatchTopLevel("_fuzz", flowctl::Value(int64_t{1}));
        e.AppendJson(&out);
      }
    }
    const flowctl::Value& body = e.body();
    if (!body.is_object()) __builtin_trap();  // a source emits objects only
    out.clear();
    e.AppendJson(&out);
    e.Mutable().Set("x", flowctl::Value("y"));
    out.clear();
    e.AppendJson(&out);
  }
};

const flowctl::ComponentDescriptor& FileSource() {
  static const flowctl::Registry* registry = [] {
    auto* r = new flowctl::Registry();
    flowctl::RegisterBuiltins(*r);
    return r;
  }();
  return *registry->Find("file", flowctl::NodeKind::kSource);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const size_t kMaxLine[] = {16, 64, 1024, 1 << 20};
  uint8_t flags = data[0];
  int fd = ::memfd_create("fuzz-event", MFD_CLOEXEC);
  if (fd < 0) return 0;
  size_t done = 0;
  while (done < size - 1) {
    ssize_t n = ::write(fd, data + 1 + done, size - 1 - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  flowctl::ComponentContext ctx;
  ctx.pipeline = "fuzz";
  ctx.node_id = "in";
  ctx.config = {{"path", "/proc/self/fd/" + std::to_string(fd)},
                {"codec", (flags & 1) ? "lines" : "json"},
                {"max_line_bytes", kMaxLine[(flags >> 1) & 3]},
                {"field", "message"}};
  auto source = FileSource().make_source(ctx);
  if (source.ok() && source.value()->Open("").ok()) {
    flowctl::Source& s = *source.value();
    Collect out;
    // Bounded: every round consumes at least one line or ends the file.
    for (size_t round = 0; round <= size + 2; ++round) {
      std::vector<Event> batch;
      std::string checkpoint;
      auto r = s.Read(&batch, 7, &checkpoint);
      if (!r.ok()) break;
      s.Decode(batch, out);
      if (r.value() == flowctl::ReadResult::kFinished) break;
      if (r.value() == flowctl::ReadResult::kIdle && batch.empty()) break;
    }
    s.Close();
  }
  ::close(fd);
  return 0;
}
