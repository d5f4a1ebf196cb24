// Comparison, membership and arithmetic operators.
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "expr/eval_internal.h"

namespace flowctl::expr {
namespace {

Status OperandError(const Node& node, const char* needs, const Value& a, const Value* b) {
  std::string msg = std::string("'") + OpName(node.op) + "' needs " + needs + ", got " +
                    TypeOf(a);
  if (b) msg += " and " + TypeOf(*b);
  return NodeError(node, msg);
}

Status IntOverflow(const Node& node) {
  return NodeError(node, std::string("integer overflow in '") + OpName(node.op) + "'");
}

Status Ordering(const Node& node, const Value& a, const Value& b, bool* result) {
  int c;
  if (a.is_int() && b.is_int()) {
    c = a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
  } else if (a.is_number() && b.is_number()) {
    const double x = a.as_number();
    const double y = b.as_number();
    if (std::isnan(x) || std::isnan(y)) {
      *result = false;  // NaN is unordered, as in IEEE and CEL
      return Status::OK();
    }
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (a.is_string() && b.is_string()) {
    c = a.as_string().compare(b.as_string());
  } else {
    return OperandError(node, "numbers or strings", a, &b);
  }
  switch (node.op) {
    case Op::kLt: *result = c < 0; break;
    case Op::kLe: *result = c <= 0; break;
    case Op::kGt: *result = c > 0; break;
    default: *result = c >= 0; break;
  }
  return Status::OK();
}

Status In(const Node& node, const Value& a, const Value& b, bool* result) {
  switch (b.type()) {
    case Value::Type::kArray:
      *result = false;
      for (const Value& e : b.as_array()) {
        if (e == a) {
          *result = true;
          break;
        }
      }
      return Status::OK();
    case Value::Type::kObject:
      *result = a.is_string() && b.Find(a.as_string()) != nullptr;
      return Status::OK();
    case Value::Type::kString:
      if (!a.is_string()) break;
      *result = b.as_string().find(a.as_string()) != std::string::npos;
      return Status::OK();
    default: break;
  }
  return NodeError(node, "'in' needs a list, map or string on the right (and a string to find "
                         "in a string), got " + TypeOf(a) + " in " + TypeOf(b));
}

Status IntArithmetic(const Node& node, int64_t x, int64_t y, Value* out) {
  int64_t r = 0;
  switch (node.op) {
    case Op::kAdd:
      if (__builtin_add_overflow(x, y, &r)) return IntOverflow(node);
      break;
    case Op::kSub:
      if (__builtin_sub_overflow(x, y, &r)) return IntOverflow(node);
      break;
    case Op::kMul:
      if (__builtin_mul_overflow(x, y, &r)) return IntOverflow(node);
      break;
    case Op::kDiv:
      if (y == 0) return NodeError(node, "division by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) return IntOverflow(node);
      r = x / y;
      break;
    default:  // kMod
      if (y == 0) return NodeError(node, "modulo by zero");
      r = y == -1 ? 0 : x % y;  // INT64_MIN % -1 traps on x86
      break;
  }
  *out = Value(r);
  return Status::OK();
}

Status Arithmetic(const Node& node, const Value& a, const Value& b, Value* out) {
  const Op op = node.op;
  if (a.is_int() && b.is_int()) return IntArithmetic(node, a.as_int(), b.as_int(), out);
  if (a.is_number() && b.is_number()) {
    if (op == Op::kMod) return OperandError(node, "two ints", a, &b);
    const double x = a.as_number();
    const double y = b.as_number();
    switch (op) {
      case Op::kAdd: *out = Value(x + y); break;
      case Op::kSub: *out = Value(x - y); break;
      case Op::kMul: *out = Value(x * y); break;
      default:
        if (y == 0) return NodeError(node, "division by zero");
        *out = Value(x / y);
        break;
    }
    return Status::OK();
  }
  if (op == Op::kAdd) {
    if (a.is_string() && b.is_string()) {
      std::string s;
      s.reserve(a.as_string().size() + b.as_string().size());
      s += a.as_string();
      s += b.as_string();
      *out = Value(std::move(s));
      return Status::OK();
    }
    if (a.is_array() && b.is_array()) {
      Value::Array arr;
      arr.reserve(a.as_array().size() + b.as_array().size());
      arr.insert(arr.end(), a.as_array().begin(), a.as_array().end());
      arr.insert(arr.end(), b.as_array().begin(), b.as_array().end());
      *out = Value(std::move(arr));
      return Status::OK();
    }
    return OperandError(node, "two numbers, two strings or two lists", a, &b);
  }
  return OperandError(node, op == Op::kMod ? "two ints" : "numbers", a, &b);
}

}  // namespace

bool IsComparison(Op op) {
  switch (op) {
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kIn: return true;
    default: return false;
  }
}

Status ComparisonTruth(const Node& node, const Value& root, bool* out) {
  std::optional<Value> ls, rs;
  const Value* l = nullptr;
  const Value* r = nullptr;
  FLOWCTL_RETURN_IF_ERROR(Operand(*node.args[0], root, &ls, &l));
  FLOWCTL_RETURN_IF_ERROR(Operand(*node.args[1], root, &rs, &r));
  switch (node.op) {
    case Op::kEq: *out = *l == *r; return Status::OK();
    case Op::kNe: *out = *l != *r; return Status::OK();
    case Op::kIn: return In(node, *l, *r, out);
    default: return Ordering(node, *l, *r, out);
  }
}

Status NotTruth(const Node& node, const Value& root, bool* out) {
  std::optional<Value> storage;
  bool b = false;
  const Value* other = nullptr;
  FLOWCTL_RETURN_IF_ERROR(EvalTruth(*node.args[0], root, &storage, &b, &other));
  if (other) return OperandError(node, "a bool", *other, nullptr);
  *out = !b;
  return Status::OK();
}

Status ArithmeticValue(const Node& node, const Value& root, Value* scratch) {
  std::optional<Value> ls;
  const Value* l = nullptr;
  FLOWCTL_RETURN_IF_ERROR(Operand(*node.args[0], root, &ls, &l));
  if (node.kind == Kind::kUnary) {  // negation
    if (l->is_int()) {
      if (l->as_int() == std::numeric_limits<int64_t>::min()) return IntOverflow(node);
      *scratch = Value(-l->as_int());
    } else if (l->is_double()) {
      *scratch = Value(-l->as_double());
    } else {
      return OperandError(node, "a number", *l, nullptr);
    }
    return Status::OK();
  }
  std::optional<Value> rs;
  const Value* r = nullptr;
  FLOWCTL_RETURN_IF_ERROR(Operand(*node.args[1], root, &rs, &r));
  return Arithmetic(node, *l, *r, scratch);
}

}  // namespace flowctl::expr
