// The expression language: CEL-like, compiled once per node, evaluated per
// event. Used by filter, transform, route and a sink's `filter:`.
//
// Syntax: literals (null, true, false, 42, 1.5, 'str', "str", [a, b],
// {'k': v}), field paths resolved against the event (priority, geo.city,
// tags[0], event.priority — `event.` is an optional prefix), operators
// (== != < <= > >= && || ! in + - * / % unary -), ternary a ? b : c,
// functions has(path), size(x), now(), int(x), double(x), string(x),
// lower(s), upper(s), contains(s, sub), startsWith(s, p), endsWith(s, p),
// matches(s, re2) and the same as methods: s.contains('x'), s.lower().
//
// Contract: Compile is thread-safe. A compiled Program is immutable and Eval
// is const and thread-safe, so one Program is shared by every worker.
// Errors carry the 1-based column in the expression text.
#ifndef FLOWCTL_EXPR_EXPR_H_
#define FLOWCTL_EXPR_EXPR_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flowctl/base/status.h"
#include "flowctl/data/event.h"
#include "flowctl/data/value.h"

namespace flowctl::expr {

struct Node;  // opaque AST

class Program {
 public:
  ~Program();
  // Compiles source. On error the Status message is
  // "column N: what is wrong (what would be valid)".
  static Result<std::shared_ptr<const Program>> Compile(std::string_view source);

  // Evaluates against an event body (a JSON object). Runtime errors (type
  // mismatch, division by zero) come back as a non-OK Result. A missing
  // field evaluates to null (so `missing == null` is true and
  // `missing > 3` is an error); has() tests presence.
  Result<Value> Eval(const Value& event) const;
  // Eval and require a bool result.
  Result<bool> EvalBool(const Value& event) const;
  // The same on an Event. A lazy event (raw JSON not yet decoded) is not
  // decoded whole: only the top-level fields the expression reads are.
  Result<Value> Eval(const Event& event) const;
  Result<bool> EvalBool(const Event& event) const;

  const std::string& source() const { return source_; }
  // Top-level field paths the expression reads (e.g. "priority", "geo.city").
  const std::vector<std::string>& fields() const { return fields_; }
  // Top-level members the expression reads, and whether it reads the event
  // as a whole (then no partial decode is possible).
  const std::vector<std::string>& top_level_keys() const { return top_keys_; }
  bool reads_whole_event() const { return whole_event_; }

 private:
  Program() = default;
  // What an Event-based evaluation needs decoded; whole_event_ when the
  // expression reads the event as a whole (`event` alone).
  const Value& View(const Event& e, Value* scratch) const;
  std::vector<std::string> top_keys_;
  bool whole_event_ = false;
  std::string source_;
  std::vector<std::string> fields_;
  std::unique_ptr<Node> root_;
};

}  // namespace flowctl::expr

#endif  // FLOWCTL_EXPR_EXPR_H_
