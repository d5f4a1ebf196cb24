#include "expr/ast.h"

namespace flowctl::expr {

const FunctionInfo kFunctions[] = {
    {"has", Fn::kHas, 1, false, "has(field.path)"},
    {"size", Fn::kSize, 1, true, "size(x) or x.size()"},
    {"now", Fn::kNow, 0, false, "now()"},
    {"int", Fn::kInt, 1, true, "int(x) or x.int()"},
    {"double", Fn::kDouble, 1, true, "double(x) or x.double()"},
    {"string", Fn::kString, 1, true, "string(x) or x.string()"},
    {"lower", Fn::kLower, 1, true, "lower(s) or s.lower()"},
    {"upper", Fn::kUpper, 1, true, "upper(s) or s.upper()"},
    {"contains", Fn::kContains, 2, true, "contains(s, sub) or s.contains(sub)"},
    {"startsWith", Fn::kStartsWith, 2, true, "startsWith(s, prefix) or s.startsWith(prefix)"},
    {"endsWith", Fn::kEndsWith, 2, true, "endsWith(s, suffix) or s.endsWith(suffix)"},
    {"matches", Fn::kMatches, 2, true, "matches(s, regex) or s.matches(regex)"},
    {nullptr, Fn::kHas, 0, false, nullptr},
};

const FunctionInfo* FindFunction(std::string_view name) {
  for (const FunctionInfo* f = kFunctions; f->name != nullptr; ++f) {
    if (name == f->name) return f;
  }
  return nullptr;
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kNot: return "!";
    case Op::kNeg: return "-";
    case Op::kEq: return "==";
    case Op::kNe: return "!=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kIn: return "in";
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kMod: return "%";
  }
  return "?";
}

std::string PathString(const std::vector<Segment>& path) {
  std::string out;
  for (const Segment& s : path) {
    if (s.is_index) {
      out += '[';
      out += std::to_string(s.index);
      out += ']';
    } else {
      if (!out.empty()) out += '.';
      out += s.key;
    }
  }
  return out;
}

}  // namespace flowctl::expr
