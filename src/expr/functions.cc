// Built-in functions: has, size, now, int, double, string, lower, upper,
// contains, startsWith, endsWith, matches.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <utility>

#include "expr/eval_internal.h"

namespace flowctl::expr {
namespace {

const char* FnName(Fn fn) {
  for (const FunctionInfo* f = kFunctions; f->name != nullptr; ++f) {
    if (f->fn == fn) return f->name;
  }
  return "?";
}

Status ArgError(const Node& node, const char* needs, const Value& a, const Value* b) {
  std::string msg = std::string(FnName(node.fn)) + "() needs " + needs + ", got " + TypeOf(a);
  if (b) msg += " and " + TypeOf(*b);
  return NodeError(node, msg);
}

// RFC3339 UTC with milliseconds, the form event `ts` fields use, so that
// `ts < now()` compares as strings.
std::string NowString() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string DoubleString(double d) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, res.ptr);
}

// Code points, not bytes, as in CEL.
size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

Status ToInt(const Node& node, const Value& v, Value* out) {
  switch (v.type()) {
    case Value::Type::kInt: *out = v; return Status::OK();
    case Value::Type::kBool: *out = Value(int64_t{v.as_bool() ? 1 : 0}); return Status::OK();
    case Value::Type::kDouble: {
      const double d = v.as_double();
      // Both bounds are exact doubles (+-2^63); the negated form rejects NaN.
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
        return NodeError(node, "int() out of range: " + DoubleString(d));
      }
      *out = Value(static_cast<int64_t>(d));
      return Status::OK();
    }
    case Value::Type::kString: {
      const std::string& s = v.as_string();
      int64_t r = 0;
      auto res = std::from_chars(s.data(), s.data() + s.size(), r);
      if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size()) {
        return NodeError(node, "int() cannot convert '" + s + "' to an int");
      }
      *out = Value(r);
      return Status::OK();
    }
    default: return ArgError(node, "a number, bool or string", v, nullptr);
  }
}

Status ToDouble(const Node& node, const Value& v, Value* out) {
  if (v.is_number()) {
    *out = Value(v.as_number());
    return Status::OK();
  }
  if (v.is_string()) {
    const std::string& s = v.as_string();
    char* end = nullptr;
    const double d = s.empty() ? 0 : std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) {
      return NodeError(node, "double() cannot convert '" + s + "' to a double");
    }
    *out = Value(d);
    return Status::OK();
  }
  return ArgError(node, "a number or string", v, nullptr);
}

void ToStringValue(const Value& v, Value* out) {
  switch (v.type()) {
    case Value::Type::kString: *out = v; break;
    case Value::Type::kNull: *out = Value("null"); break;
    case Value::Type::kBool: *out = Value(v.as_bool() ? "true" : "false"); break;
    case Value::Type::kInt: *out = Value(std::to_string(v.as_int())); break;
    case Value::Type::kDouble: *out = Value(DoubleString(v.as_double())); break;
    default: *out = Value(v.ToJson()); break;
  }
}

Status Matches(const Node& node, const std::string& s, const std::string& pattern, bool* r) {
  if (node.regex) {
    *r = RE2::PartialMatch(s, *node.regex);
    return Status::OK();
  }
  // Only computed patterns get here; literal ones were compiled with the tree.
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(pattern, options);
  if (!re.ok()) return NodeError(node, "invalid regex '" + pattern + "': " + re.error());
  *r = RE2::PartialMatch(s, re);
  return Status::OK();
}

Status StringPredicate(const Node& node, const Value& a, const Value& b, bool* result) {
  if (!a.is_string() || !b.is_string()) return ArgError(node, "two strings", a, &b);
  const std::string& s = a.as_string();
  const std::string& t = b.as_string();
  switch (node.fn) {
    case Fn::kStartsWith:
      *result = s.size() >= t.size() && s.compare(0, t.size(), t) == 0;
      return Status::OK();
    case Fn::kEndsWith:
      *result = s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
      return Status::OK();
    case Fn::kMatches: return Matches(node, s, t, result);
    default:  // kContains
      *result = s.find(t) != std::string::npos;
      return Status::OK();
  }
}

}  // namespace

bool IsPredicate(Fn fn) {
  return fn == Fn::kHas || fn == Fn::kContains || fn == Fn::kStartsWith ||
         fn == Fn::kEndsWith || fn == Fn::kMatches;
}

Status PredicateCall(const Node& node, const Value& root, bool* out) {
  if (node.fn == Fn::kHas) {
    *out = WalkPath(root, node.args[0]->path) != nullptr;
    return Status::OK();
  }
  std::optional<Value> as, bs;
  const Value* a = nullptr;
  const Value* b = nullptr;
  FLOWCTL_RETURN_IF_ERROR(Operand(*node.args[0], root, &as, &a));
  FLOWCTL_RETURN_IF_ERROR(Operand(*node.args[1], root, &bs, &b));
  if (node.fn == Fn::kContains && a->is_array()) {
    // Lists too: tags.contains('x') reads better than 'x' in tags.
    *out = false;
    for (const Value& e : a->as_array()) {
      if (e == *b) {
        *out = true;
        break;
      }
    }
    return Status::OK();
  }
  return StringPredicate(node, *a, *b, out);
}

Status ValueCall(const Node& node, const Value& root, Value* scratch) {
  if (node.fn == Fn::kNow) {
    *scratch = Value(NowString());
    return Status::OK();
  }
  std::optional<Value> as;
  const Value* a = nullptr;
  FLOWCTL_RETURN_IF_ERROR(Operand(*node.args[0], root, &as, &a));
  switch (node.fn) {
    case Fn::kSize:
      if (a->is_string()) {
        *scratch = Value(static_cast<int64_t>(Utf8Length(a->as_string())));
      } else if (a->is_array()) {
        *scratch = Value(static_cast<int64_t>(a->as_array().size()));
      } else if (a->is_object()) {
        *scratch = Value(static_cast<int64_t>(a->as_object().size()));
      } else {
        return ArgError(node, "a string, list or map", *a, nullptr);
      }
      return Status::OK();
    case Fn::kInt: return ToInt(node, *a, scratch);
    case Fn::kDouble: return ToDouble(node, *a, scratch);
    case Fn::kString: ToStringValue(*a, scratch); return Status::OK();
    case Fn::kLower:
    case Fn::kUpper: {
      if (!a->is_string()) return ArgError(node, "a string", *a, nullptr);
      std::string s = a->as_string();
      // ASCII only: Unicode case mapping needs tables we do not carry.
      const bool lower = node.fn == Fn::kLower;
      for (char& c : s) {
        if (lower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (!lower && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      *scratch = Value(std::move(s));
      return Status::OK();
    }
    default: return Status::Internal("unhandled function");
  }
}

}  // namespace flowctl::expr
