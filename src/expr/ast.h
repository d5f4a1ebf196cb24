// The expression AST shared by the parser and the evaluator (private).
//
// Contract: nodes are built once by the parser and then only read, so a tree
// may be evaluated from many threads at once.
#ifndef FLOWCTL_EXPR_AST_H_
#define FLOWCTL_EXPR_AST_H_

#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flowctl/data/value.h"

namespace flowctl::expr {

enum class Kind : uint8_t {
  kLiteral,  // literal
  kField,    // path, resolved against the event root
  kList,     // args are the elements
  kMap,      // args alternate key, value
  kSelect,   // args[0].name on a computed value
  kIndex,    // args[0][args[1]] on a computed value
  kUnary,    // op args[0]
  kBinary,   // args[0] op args[1]
  kAnd,
  kOr,
  kTernary,  // args[0] ? args[1] : args[2]
  kCall,     // fn(args...); a method receiver is args[0]
};

enum class Op : uint8_t {
  kNot, kNeg,
  kEq, kNe, kLt, kLe, kGt, kGe, kIn,
  kAdd, kSub, kMul, kDiv, kMod,
};

enum class Fn : uint8_t {
  kHas, kSize, kNow, kInt, kDouble, kString, kLower, kUpper,
  kContains, kStartsWith, kEndsWith, kMatches,
};

struct FunctionInfo {
  const char* name;
  Fn fn;
  int arity;
  bool method;        // callable as receiver.name(...)
  const char* usage;  // shown in arity errors
};

// All built-in functions; null-terminated by name == nullptr.
extern const FunctionInfo kFunctions[];
const FunctionInfo* FindFunction(std::string_view name);

// One pre-split step of a field path, so that evaluation never re-parses.
struct Segment {
  std::string key;
  size_t index = 0;
  bool is_index = false;
};

struct Node {
  Kind kind = Kind::kLiteral;
  Op op = Op::kEq;
  Fn fn = Fn::kSize;
  uint32_t column = 1;  // 1-based, for error messages
  uint32_t depth = 1;   // height of this subtree; bounds evaluator recursion
  Value literal;
  std::vector<Segment> path;
  std::string name;  // kSelect key
  std::vector<std::unique_ptr<Node>> args;
  // matches() with a literal pattern: compiled once here.
  std::unique_ptr<RE2> regex;
};

using NodePtr = std::unique_ptr<Node>;

const char* OpName(Op op);
// "geo.city", "tags[0]": the FindPath spelling of a field path.
std::string PathString(const std::vector<Segment>& path);

}  // namespace flowctl::expr

#endif  // FLOWCTL_EXPR_AST_H_
