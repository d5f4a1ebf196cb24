// Node dispatch, logic, ternary, member access and collection literals.
#include "expr/eval.h"

#include <optional>
#include <string>
#include <utility>

#include "expr/eval_internal.h"

namespace flowctl::expr {

const Value kNullValue;

Status NodeError(const Node& node, const std::string& message) {
  return Status::Invalid("column " + std::to_string(node.column) + ": " + message);
}

std::string TypeOf(const Value& v) {
  if (v.is_null()) return "null (missing field?)";
  return v.TypeName();
}

namespace {

// Evaluates into *dst as an owned value (moving out of the scratch when
// the result was computed, copying when it references the event or tree).
Status EvalOwned(const Node& node, const Value& root, Value* dst) {
  Value scratch;
  const Value* out = nullptr;
  FLOWCTL_RETURN_IF_ERROR(EvalNode(node, root, &scratch, &out));
  if (out == &scratch) {
    *dst = std::move(scratch);
  } else {
    *dst = *out;
  }
  return Status::OK();
}

// Sets *out to child, which lies inside the value base points at. When base
// is the caller's scratch, the child is moved up into it since the rest of
// the scratch is about to be dropped.
void ReturnChild(const Value* base, const Value* child, Value* scratch, const Value** out) {
  if (child == nullptr) {
    *out = &kNullValue;
    return;
  }
  if (base == scratch) {
    Value tmp = std::move(*const_cast<Value*>(child));
    *scratch = std::move(tmp);
    *out = scratch;
    return;
  }
  *out = child;
}

// A map key or list index; *found is nullptr when absent (a missing field).
Status Lookup(const Node& node, const Value& base, const Value& key, const Value** found) {
  *found = nullptr;
  if (key.is_string()) {
    *found = base.Find(key.as_string());
    return Status::OK();
  }
  if (key.is_int()) {
    if (base.is_array() && key.as_int() >= 0 &&
        static_cast<uint64_t>(key.as_int()) < base.as_array().size()) {
      *found = &base.as_array()[static_cast<size_t>(key.as_int())];
    }
    return Status::OK();
  }
  return NodeError(node, "an index must be an int or a string, got " + TypeOf(key));
}

// One operand of && or ||; a non-bool is an error (that the other side may
// still absorb).
Status LogicalSide(const Node& node, const Node& operand, const Value& root, bool* out) {
  std::optional<Value> storage;
  const Value* other = nullptr;
  FLOWCTL_RETURN_IF_ERROR(EvalTruth(operand, root, &storage, out, &other));
  if (other) {
    return NodeError(node, std::string(node.kind == Kind::kAnd ? "'&&'" : "'||'") +
                               " needs bool operands, got " + TypeOf(*other));
  }
  return Status::OK();
}

// && and || accept an error (or non-bool) on one side when the other side
// alone decides the result, like CEL, so operand order does not matter.
Status LogicalTruth(const Node& node, const Value& root, bool* out) {
  // The operand value that decides the result alone: false for &&, true for ||.
  const bool decisive = node.kind == Kind::kOr;
  bool lb = false;
  Status left = LogicalSide(node, *node.args[0], root, &lb);
  if (left.ok() && lb == decisive) {
    *out = decisive;
    return Status::OK();
  }
  bool rb = false;
  Status right = LogicalSide(node, *node.args[1], root, &rb);
  if (right.ok() && rb == decisive) {
    *out = decisive;
    return Status::OK();
  }
  if (!left.ok()) return left;
  if (!right.ok()) return right;
  *out = !decisive;
  return Status::OK();
}

Status Condition(const Node& node, const Value& root, bool* out) {
  std::optional<Value> storage;
  const Value* other = nullptr;
  FLOWCTL_RETURN_IF_ERROR(EvalTruth(*node.args[0], root, &storage, out, &other));
  if (other) return NodeError(node, "'?:' needs a bool condition, got " + TypeOf(*other));
  return Status::OK();
}

// b is a pointer, not a value: it must be read after st's call has run, and
// argument evaluation order is unspecified.
Status Boxed(Status st, const bool* b, Value* scratch, const Value** out) {
  if (!st.ok()) return st;
  *scratch = Value(*b);
  *out = scratch;
  return Status::OK();
}

}  // namespace

Status EvalTruth(const Node& node, const Value& root, std::optional<Value>* storage,
                 bool* out, const Value** other) {
  *other = nullptr;
  switch (node.kind) {
    case Kind::kBinary:
      if (IsComparison(node.op)) return ComparisonTruth(node, root, out);
      break;
    case Kind::kAnd:
    case Kind::kOr: return LogicalTruth(node, root, out);
    case Kind::kUnary:
      if (node.op == Op::kNot) return NotTruth(node, root, out);
      break;
    case Kind::kCall:
      if (IsPredicate(node.fn)) return PredicateCall(node, root, out);
      break;
    case Kind::kTernary: {
      bool cond = false;
      FLOWCTL_RETURN_IF_ERROR(Condition(node, root, &cond));
      return EvalTruth(*node.args[cond ? 1 : 2], root, storage, out, other);
    }
    default: break;
  }
  const Value* v = nullptr;
  FLOWCTL_RETURN_IF_ERROR(Operand(node, root, storage, &v));
  if (v->is_bool()) {
    *out = v->as_bool();
  } else {
    *other = v;
  }
  return Status::OK();
}

Status EvalNode(const Node& node, const Value& root, Value* scratch, const Value** out) {
  bool b = false;
  switch (node.kind) {
    case Kind::kLiteral:
      *out = &node.literal;
      return Status::OK();
    case Kind::kField: {
      const Value* v = WalkPath(root, node.path);
      *out = v ? v : &kNullValue;
      return Status::OK();
    }
    case Kind::kBinary:
      if (IsComparison(node.op)) return Boxed(ComparisonTruth(node, root, &b), &b, scratch, out);
      *out = scratch;
      return ArithmeticValue(node, root, scratch);
    case Kind::kUnary:
      if (node.op == Op::kNot) return Boxed(NotTruth(node, root, &b), &b, scratch, out);
      *out = scratch;
      return ArithmeticValue(node, root, scratch);
    case Kind::kAnd:
    case Kind::kOr: return Boxed(LogicalTruth(node, root, &b), &b, scratch, out);
    case Kind::kCall:
      if (IsPredicate(node.fn)) return Boxed(PredicateCall(node, root, &b), &b, scratch, out);
      *out = scratch;
      return ValueCall(node, root, scratch);
    case Kind::kTernary:
      FLOWCTL_RETURN_IF_ERROR(Condition(node, root, &b));
      return EvalNode(*node.args[b ? 1 : 2], root, scratch, out);
    case Kind::kSelect: {
      const Value* base = nullptr;
      FLOWCTL_RETURN_IF_ERROR(EvalNode(*node.args[0], root, scratch, &base));
      ReturnChild(base, base->Find(node.name), scratch, out);
      return Status::OK();
    }
    case Kind::kIndex: {
      const Value* base = nullptr;
      FLOWCTL_RETURN_IF_ERROR(EvalNode(*node.args[0], root, scratch, &base));
      std::optional<Value> ks;
      const Value* key = nullptr;
      FLOWCTL_RETURN_IF_ERROR(Operand(*node.args[1], root, &ks, &key));
      const Value* found = nullptr;
      FLOWCTL_RETURN_IF_ERROR(Lookup(node, *base, *key, &found));
      ReturnChild(base, found, scratch, out);
      return Status::OK();
    }
    case Kind::kList: {
      Value::Array items(node.args.size());
      for (size_t i = 0; i < node.args.size(); ++i) {
        FLOWCTL_RETURN_IF_ERROR(EvalOwned(*node.args[i], root, &items[i]));
      }
      *scratch = Value(std::move(items));
      *out = scratch;
      return Status::OK();
    }
    case Kind::kMap: {
      Value map = Value::MakeObject();
      for (size_t i = 0; i + 1 < node.args.size(); i += 2) {
        std::optional<Value> ks;
        const Value* key = nullptr;
        FLOWCTL_RETURN_IF_ERROR(Operand(*node.args[i], root, &ks, &key));
        if (!key->is_string()) {
          return NodeError(*node.args[i], "map keys must be strings, got " + TypeOf(*key));
        }
        Value v;
        FLOWCTL_RETURN_IF_ERROR(EvalOwned(*node.args[i + 1], root, &v));
        map.Set(key->as_string(), std::move(v));
      }
      *scratch = std::move(map);
      *out = scratch;
      return Status::OK();
    }
  }
  return Status::Internal("unknown expression node");
}

}  // namespace flowctl::expr
