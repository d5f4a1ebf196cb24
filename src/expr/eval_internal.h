// Helpers shared by the evaluator's files (private to src/expr/eval*.cc,
// operators.cc and functions.cc).
#ifndef FLOWCTL_EXPR_EVAL_INTERNAL_H_
#define FLOWCTL_EXPR_EVAL_INTERNAL_H_

#include <optional>
#include <string>
#include <vector>

#include "expr/ast.h"
#include "expr/eval.h"
#include "flowctl/base/status.h"
#include "flowctl/data/value.h"

namespace flowctl::expr {

// What a missing field evaluates to; shared because it is never written.
extern const Value kNullValue;

// "column N: message".
Status NodeError(const Node& node, const std::string& message);
// The type name for messages; null gets a hint since it usually means a
// missing field.
std::string TypeOf(const Value& v);

inline const Value* WalkPath(const Value& root, const std::vector<Segment>& path) {
  const Value* cur = &root;
  for (const Segment& s : path) {
    if (s.is_index) {
      if (!cur->is_array()) return nullptr;
      const Value::Array& arr = cur->as_array();
      if (s.index >= arr.size()) return nullptr;
      cur = &arr[s.index];
    } else {
      cur = cur->Find(s.key);
      if (!cur) return nullptr;
    }
  }
  return cur;
}

// Evaluates an operand. Field paths and literals resolve to a pointer with
// no scratch Value at all (constructing and resetting one is a measurable
// share of a cheap filter); anything else is computed into *storage.
inline Status Operand(const Node& node, const Value& root, std::optional<Value>* storage,
                      const Value** out) {
  if (node.kind == Kind::kField) {
    const Value* v = WalkPath(root, node.path);
    *out = v ? v : &kNullValue;
    return Status::OK();
  }
  if (node.kind == Kind::kLiteral) {
    *out = &node.literal;
    return Status::OK();
  }
  return EvalNode(node, root, &storage->emplace(), out);
}

// operators.cc
bool IsComparison(Op op);  // == != < <= > >= in
Status ComparisonTruth(const Node& node, const Value& root, bool* out);
Status NotTruth(const Node& node, const Value& root, bool* out);
// + - * / % and unary minus, into *scratch.
Status ArithmeticValue(const Node& node, const Value& root, Value* scratch);

// functions.cc
bool IsPredicate(Fn fn);  // functions that return a bool
Status PredicateCall(const Node& node, const Value& root, bool* out);
Status ValueCall(const Node& node, const Value& root, Value* scratch);

}  // namespace flowctl::expr

#endif  // FLOWCTL_EXPR_EVAL_INTERNAL_H_
