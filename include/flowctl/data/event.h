// Event and Batch: the unit of data and the unit of work.
//
// An Event is a JSON object (body) plus the original bytes it came from (raw).
// While an event is unchanged its raw bytes are written out as they came in
// (fidelity of numbers and key order, no re-serialization cost); the first
// mutation through Mutable() drops raw, so sinks serialize body instead.
//
// Contract: plain value types, moved between threads, never shared.
// Batch::ack is a shared handle: the batch's source position is
// acknowledged when the last handle (in every batch derived from it) is
// released, which the runtime does only after the events were written,
// dropped on purpose or dead-lettered.
#ifndef FLOWCTL_DATA_EVENT_H_
#define FLOWCTL_DATA_EVENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flowctl/data/value.h"

namespace flowctl {

class Event {
 public:
  Event() = default;
  explicit Event(Value body) : body_(std::move(body)) {}
  Event(const Event&) = default;
  Event& operator=(const Event&) = default;
  // A moved-from event remembers it (moved_from()): when a component fails
  // half-way through a batch, the runtime can tell the events it still holds
  // (which the node's on_error policy must handle) from those it passed on.
  Event(Event&& o) noexcept
      : attempt(o.attempt),
        body_(std::move(o.body_)),
        lazy_(o.lazy_),
        raw_(std::move(o.raw_)),
        has_raw_(o.has_raw_),
        patch_(std::move(o.patch_)),
        moved_from_(o.moved_from_) {
    o.moved_from_ = true;
  }
  Event& operator=(Event&& o) noexcept {
    if (this == &o) return *this;
    attempt = o.attempt;
    body_ = std::move(o.body_);
    lazy_ = o.lazy_;
    raw_ = std::move(o.raw_);
    has_raw_ = o.has_raw_;
    patch_ = std::move(o.patch_);
    moved_from_ = o.moved_from_;
    o.moved_from_ = true;
    return *this;
  }
  bool moved_from() const { return moved_from_; }
  // An event that still has its original text; the body is filled by a
  // decode step (see Source::Decode).
  static Event FromRaw(std::string raw) {
    Event e;
    e.raw_ = std::move(raw);
    return e;
  }

  // The body; an event still in its lazy state is decoded now (once).
  const Value& body() const {
    if (lazy_) Materialize();
    return body_;
  }
  // Mutable access marks the event as changed: raw is no longer valid.
  Value& Mutable() {
    if (lazy_) Materialize();
    raw_.clear();
    has_raw_ = false;
    return body_;
  }
  // raw holds a validated JSON object: the body is built only when someone
  // asks for it, and readers that need a few fields can decode just those
  // (expr::Program::EvalBool(const Event&)).
  void SetLazyJson() {
    lazy_ = true;
    has_raw_ = true;
  }
  bool lazy() const { return lazy_; }

  // Sets a top-level member of a lazy event without decoding it: the member
  // is written after the original ones. Precondition: lazy() and key is not
  // a member of raw (the caller checked); a key patched before is replaced.
  void PatchTopLevel(std::string_view key, Value v);
  const std::vector<Member>& patches() const { return patch_; }

  // Serializes a changed (decoded) body into raw, so that writing it later
  // is a plain copy; unchanged and patched events are left as they are. The
  // runtime calls this in parallel workers before events reach a sink.
  void CacheJson();

  // Appends the event's JSON: the original bytes when unchanged, the
  // original bytes plus patched members, or the serialized body.
  void AppendJson(std::string* out) const;
  // Sets body from a decode of raw while keeping raw as the output form.
  void SetDecoded(Value body) {
    body_ = std::move(body);
    has_raw_ = true;
  }

  const std::string& raw() const { return raw_; }
  std::string& raw_buffer() { return raw_; }
  // True when raw is exactly the JSON of body (unchanged since decode).
  bool has_raw_json() const { return has_raw_ && patch_.empty(); }

  uint32_t attempt = 0;  // retries done so far

 private:
  void Materialize() const;  // raw -> body_ (data/event.cc)

  // Mutable so that a const reader can trigger the one-time lazy decode; an
  // event is owned by one thread at a time, so this needs no locking.
  mutable Value body_;
  mutable bool lazy_ = false;
  mutable std::string raw_;
  mutable bool has_raw_ = false;
  mutable std::vector<Member> patch_;
  bool moved_from_ = false;
};

// Released (destroyed) when every event of a source batch has been handled.
class AckHandle {
 public:
  virtual ~AckHandle() = default;
};

struct Batch {
  std::vector<Event> events;
  std::shared_ptr<AckHandle> ack;
};

}  // namespace flowctl

#endif  // FLOWCTL_DATA_EVENT_H_
