#include "expr/parser.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "expr/eval.h"
#include "expr/lexer.h"
#include "flowctl/base/strings.h"

namespace flowctl::expr {
namespace {

// The evaluator recurses once per tree level and the parser a few frames per
// nesting level; both limits keep hostile input far from the stack's end
// while leaving room for any expression a person would write.
constexpr uint32_t kMaxTreeDepth = 400;
constexpr int kMaxNesting = 150;

// Names people reach for from other languages, mapped to ours, so that
// "did you mean" can point at the right function.
const std::pair<const char*, const char*> kAliases[] = {
    {"len", "size"},           {"length", "size"},      {"count", "size"},
    {"lowercase", "lower"},    {"tolower", "lower"},    {"toLowerCase", "lower"},
    {"uppercase", "upper"},    {"toupper", "upper"},    {"toUpperCase", "upper"},
    {"str", "string"},         {"tostring", "string"},  {"toString", "string"},
    {"float", "double"},       {"number", "double"},    {"integer", "int"},
    {"regex", "matches"},      {"match", "matches"},    {"starts_with", "startsWith"},
    {"ends_with", "endsWith"}, {"exists", "has"},       {"includes", "contains"},
    {"time", "now"},
};

bool IsNameToken(Tok kind) {
  return kind == Tok::kIdent || kind == Tok::kNull || kind == Tok::kTrue ||
         kind == Tok::kFalse || kind == Tok::kIn;
}

std::string Col(uint32_t column) { return std::to_string(column); }

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  NodePtr ParseAll() {
    NodePtr n = ParseTernary();
    if (!n) return nullptr;
    if (Peek().kind != Tok::kEnd) {
      return Unexpected("expected an operator or end of expression");
    }
    return n;
  }

  const Status& status() const { return status_; }

 private:
  // Counts recursion so that "((((..." fails cleanly instead of overflowing.
  class NestingGuard {
   public:
    explicit NestingGuard(Parser* p) : p_(p) { ++p_->nesting_; }
    ~NestingGuard() { --p_->nesting_; }
    bool too_deep() const { return p_->nesting_ > kMaxNesting; }

   private:
    Parser* p_;
  };

  const Token& Peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& Next() {
    const Token& t = tokens_[pos_];
    if (t.kind != Tok::kEnd) ++pos_;
    return t;
  }
  bool Accept(Tok kind) {
    if (Peek().kind != kind) return false;
    ++pos_;
    return true;
  }

  NodePtr Fail(uint32_t column, const std::string& what, const std::string& valid) {
    if (status_.ok()) {
      status_ = Status::Invalid("column " + Col(column) + ": " + what + " (" + valid + ")");
    }
    return nullptr;
  }
  NodePtr Unexpected(const std::string& valid) {
    return Fail(Peek().column, "unexpected " + DescribeToken(Peek()), valid);
  }
  NodePtr TooDeep() {
    return Fail(Peek().column, "expression nested too deeply",
                "at most " + std::to_string(kMaxNesting) + " levels");
  }

  static NodePtr NewNode(Kind kind, uint32_t column) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->column = column;
    return n;
  }

  static NodePtr Literal(Value v, uint32_t column) {
    NodePtr n = NewNode(Kind::kLiteral, column);
    n->literal = std::move(v);
    return n;
  }

  static bool Foldable(const Node& n) {
    if (n.kind == Kind::kLiteral || n.kind == Kind::kField) return false;
    if (n.kind == Kind::kCall && (n.fn == Fn::kNow || n.fn == Fn::kHas)) return false;
    for (const NodePtr& a : n.args) {
      if (a->kind != Kind::kLiteral) return false;
    }
    return true;
  }

  // Computes the depth, enforces its limit and folds constant subtrees, so
  // that e.g. a list literal is built once instead of per event.
  NodePtr Finish(NodePtr n) {
    uint32_t depth = 0;
    for (const NodePtr& a : n->args) depth = std::max(depth, a->depth);
    n->depth = depth + 1;
    if (n->depth > kMaxTreeDepth) {
      return Fail(n->column, "expression too large",
                  "at most " + std::to_string(kMaxTreeDepth) + " nested operations");
    }
    if (Foldable(*n)) {
      // Errors (1/0) are left for run time: a short-circuit may skip them.
      static const Value kNoEvent;
      Value scratch;
      const Value* out = nullptr;
      if (EvalNode(*n, kNoEvent, &scratch, &out).ok()) {
        Value v = out == &scratch ? std::move(scratch) : *out;
        return Literal(std::move(v), n->column);
      }
    }
    return n;
  }

  NodePtr MakeOp(Kind kind, Op op, uint32_t column, NodePtr a, NodePtr b) {
    NodePtr n = NewNode(kind, column);
    n->op = op;
    n->args.push_back(std::move(a));
    if (b) n->args.push_back(std::move(b));
    return Finish(std::move(n));
  }

  NodePtr ParseTernary() {
    NestingGuard guard(this);
    if (guard.too_deep()) return TooDeep();
    NodePtr cond = ParseOr();
    if (!cond || Peek().kind != Tok::kQuestion) return cond;
    const uint32_t column = Next().column;
    NodePtr then_branch = ParseTernary();
    if (!then_branch) return nullptr;
    if (!Accept(Tok::kColon)) {
      return Unexpected("expected ':' for the '?' at column " + Col(column));
    }
    NodePtr else_branch = ParseTernary();
    if (!else_branch) return nullptr;
    NodePtr n = NewNode(Kind::kTernary, column);
    n->args.push_back(std::move(cond));
    n->args.push_back(std::move(then_branch));
    n->args.push_back(std::move(else_branch));
    return Finish(std::move(n));
  }

  NodePtr ParseOr() {
    NodePtr left = ParseAnd();
    while (left && Peek().kind == Tok::kOr) {
      const uint32_t column = Next().column;
      NodePtr right = ParseAnd();
      if (!right) return nullptr;
      left = MakeOp(Kind::kOr, Op::kEq, column, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr ParseAnd() {
    NodePtr left = ParseRelation();
    while (left && Peek().kind == Tok::kAnd) {
      const uint32_t column = Next().column;
      NodePtr right = ParseRelation();
      if (!right) return nullptr;
      left = MakeOp(Kind::kAnd, Op::kEq, column, std::move(left), std::move(right));
    }
    return left;
  }

  static bool RelationOp(Tok kind, Op* op) {
    switch (kind) {
      case Tok::kEq: *op = Op::kEq; return true;
      case Tok::kNe: *op = Op::kNe; return true;
      case Tok::kLt: *op = Op::kLt; return true;
      case Tok::kLe: *op = Op::kLe; return true;
      case Tok::kGt: *op = Op::kGt; return true;
      case Tok::kGe: *op = Op::kGe; return true;
      case Tok::kIn: *op = Op::kIn; return true;
      default: return false;
    }
  }

  NodePtr ParseRelation() {
    NodePtr left = ParseAdditive();
    Op op;
    while (left && RelationOp(Peek().kind, &op)) {
      const uint32_t column = Next().column;
      NodePtr right = ParseAdditive();
      if (!right) return nullptr;
      left = MakeOp(Kind::kBinary, op, column, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr ParseAdditive() {
    NodePtr left = ParseMultiplicative();
    while (left && (Peek().kind == Tok::kPlus || Peek().kind == Tok::kMinus)) {
      const Op op = Peek().kind == Tok::kPlus ? Op::kAdd : Op::kSub;
      const uint32_t column = Next().column;
      NodePtr right = ParseMultiplicative();
      if (!right) return nullptr;
      left = MakeOp(Kind::kBinary, op, column, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr ParseMultiplicative() {
    NodePtr left = ParseUnary();
    while (left) {
      Op op;
      switch (Peek().kind) {
        case Tok::kStar: op = Op::kMul; break;
        case Tok::kSlash: op = Op::kDiv; break;
        case Tok::kPercent: op = Op::kMod; break;
        default: return left;
      }
      const uint32_t column = Next().column;
      NodePtr right = ParseUnary();
      if (!right) return nullptr;
      left = MakeOp(Kind::kBinary, op, column, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr ParseUnary() {
    NestingGuard guard(this);
    if (guard.too_deep()) return TooDeep();
    const Tok kind = Peek().kind;
    if (kind != Tok::kNot && kind != Tok::kMinus) return ParsePostfix();
    const uint32_t column = Next().column;
    // A minus directly on a number literal makes a negative literal, which
    // is the only way to write INT64_MIN. Not when a member access or index
    // follows: those bind tighter than the minus.
    const Tok after = Peek(1).kind;
    if (kind == Tok::kMinus && after != Tok::kDot && after != Tok::kLBracket) {
      const Token& num = Peek();
      if (num.kind == Tok::kInt) {
        constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
        if (num.int_value > kMinMagnitude) {
          return Fail(num.column, "integer literal out of range",
                      "ints are 64-bit: -9223372036854775808..9223372036854775807");
        }
        Next();
        int64_t v = num.int_value == kMinMagnitude
                        ? std::numeric_limits<int64_t>::min()
                        : -static_cast<int64_t>(num.int_value);
        return Literal(Value(v), column);
      }
      if (num.kind == Tok::kDouble) {
        Next();
        return Literal(Value(-num.double_value), column);
      }
    }
    NodePtr operand = ParseUnary();
    if (!operand) return nullptr;
    return MakeOp(Kind::kUnary, kind == Tok::kNot ? Op::kNot : Op::kNeg, column,
                  std::move(operand), nullptr);
  }

  NodePtr ParsePostfix() {
    NodePtr n = ParsePrimary();
    while (n) {
      if (Accept(Tok::kDot)) {
        const Token& name = Peek();
        if (!IsNameToken(name.kind)) {
          return Unexpected("expected a field or method name after '.'");
        }
        Next();
        if (Peek().kind == Tok::kLParen) {
          n = ParseCall(name, std::move(n));
        } else if (n->kind == Kind::kField) {
          n->path.push_back(Segment{std::string(name.text), 0, false});
        } else {
          NodePtr sel = NewNode(Kind::kSelect, name.column);
          sel->name = std::string(name.text);
          sel->args.push_back(std::move(n));
          n = Finish(std::move(sel));
        }
      } else if (Peek().kind == Tok::kLBracket) {
        const uint32_t open = Next().column;
        NodePtr index = ParseTernary();
        if (!index) return nullptr;
        if (!Accept(Tok::kRBracket)) {
          return Unexpected("expected ']' to close the '[' at column " + Col(open));
        }
        // Constant steps extend a field path so it is walked without
        // evaluating anything per event.
        if (n->kind == Kind::kField && index->kind == Kind::kLiteral) {
          const Value& k = index->literal;
          if (k.is_string()) {
            n->path.push_back(Segment{k.as_string(), 0, false});
            continue;
          }
          if (k.is_int() && k.as_int() >= 0) {
            n->path.push_back(Segment{"", static_cast<size_t>(k.as_int()), true});
            continue;
          }
        }
        NodePtr idx = NewNode(Kind::kIndex, open);
        idx->args.push_back(std::move(n));
        idx->args.push_back(std::move(index));
        n = Finish(std::move(idx));
      } else {
        return n;
      }
    }
    return n;
  }

  NodePtr ParsePrimary() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kNull: Next(); return Literal(Value(), t.column);
      case Tok::kTrue: Next(); return Literal(Value(true), t.column);
      case Tok::kFalse: Next(); return Literal(Value(false), t.column);
      case Tok::kDouble: Next(); return Literal(Value(t.double_value), t.column);
      case Tok::kString: Next(); return Literal(Value(t.str), t.column);
      case Tok::kInt:
        if (t.int_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return Fail(t.column, "integer literal out of range",
                      "ints are 64-bit: -9223372036854775808..9223372036854775807");
        }
        Next();
        return Literal(Value(static_cast<int64_t>(t.int_value)), t.column);
      case Tok::kIdent: {
        Next();
        if (Peek().kind == Tok::kLParen) return ParseCall(t, nullptr);
        NodePtr n = NewNode(Kind::kField, t.column);
        // `event` names the root, so `event.priority` is `priority`.
        if (t.text != "event") n->path.push_back(Segment{std::string(t.text), 0, false});
        return n;
      }
      case Tok::kLParen: {
        const uint32_t open = Next().column;
        NodePtr inner = ParseTernary();
        if (!inner) return nullptr;
        if (!Accept(Tok::kRParen)) {
          return Unexpected("expected ')' to close the '(' at column " + Col(open));
        }
        return inner;
      }
      case Tok::kLBracket: return ParseList();
      case Tok::kLBrace: return ParseMap();
      default: return Unexpected("expected an operand");
    }
  }

  NodePtr ParseList() {
    const uint32_t open = Next().column;
    NodePtr list = NewNode(Kind::kList, open);
    while (!Accept(Tok::kRBracket)) {
      NodePtr item = ParseTernary();
      if (!item) return nullptr;
      list->args.push_back(std::move(item));
      if (Accept(Tok::kComma)) continue;
      if (Peek().kind != Tok::kRBracket) {
        return Unexpected("expected ',' or ']' to close the '[' at column " + Col(open));
      }
    }
    return Finish(std::move(list));
  }

  NodePtr ParseMap() {
    const uint32_t open = Next().column;
    NodePtr map = NewNode(Kind::kMap, open);
    while (!Accept(Tok::kRBrace)) {
      NodePtr key = ParseTernary();
      if (!key) return nullptr;
      if (key->kind == Kind::kLiteral && !key->literal.is_string()) {
        return Fail(key->column, std::string("map key is a ") + key->literal.TypeName(),
                    "map keys must be strings, e.g. {'k': 1}");
      }
      if (!Accept(Tok::kColon)) return Unexpected("expected ':' after a map key");
      NodePtr value = ParseTernary();
      if (!value) return nullptr;
      map->args.push_back(std::move(key));
      map->args.push_back(std::move(value));
      if (Accept(Tok::kComma)) continue;
      if (Peek().kind != Tok::kRBrace) {
        return Unexpected("expected ',' or '}' to close the '{' at column " + Col(open));
      }
    }
    return Finish(std::move(map));
  }

  NodePtr UnknownFunction(const Token& name, bool method) {
    std::vector<std::string> candidates;
    for (const FunctionInfo* f = kFunctions; f->name != nullptr; ++f) {
      if (!method || f->method) candidates.emplace_back(f->name);
    }
    std::vector<std::string> known = candidates;
    for (const auto& [alias, target] : kAliases) {
      if (!method || FindFunction(target)->method) candidates.emplace_back(alias);
    }
    std::string guess = DidYouMean(name.text, candidates);
    for (const auto& [alias, target] : kAliases) {
      if (guess == alias) guess = target;
    }
    const std::string what =
        std::string(method ? "unknown method '" : "unknown function '") +
        std::string(name.text) + "'";
    if (!guess.empty()) return Fail(name.column, what, "did you mean '" + guess + "'?");
    return Fail(name.column, what, "known: " + Join(known, ", "));
  }

  // Parses the argument list after name; receiver is set for a method call.
  NodePtr ParseCall(const Token& name, NodePtr receiver) {
    const bool method = receiver != nullptr;
    const FunctionInfo* f = FindFunction(name.text);
    if (!f) return UnknownFunction(name, method);
    if (method && !f->method) {
      return Fail(name.column, std::string(f->name) + "() is not a method",
                  std::string("call it as ") + f->usage);
    }
    const uint32_t open = Next().column;
    NodePtr call = NewNode(Kind::kCall, name.column);
    call->fn = f->fn;
    if (receiver) call->args.push_back(std::move(receiver));
    if (!Accept(Tok::kRParen)) {
      while (true) {
        NodePtr arg = ParseTernary();
        if (!arg) return nullptr;
        call->args.push_back(std::move(arg));
        if (Accept(Tok::kComma)) continue;
        if (Accept(Tok::kRParen)) break;
        return Unexpected("expected ',' or ')' to close the '(' at column " + Col(open));
      }
    }
    const int got = static_cast<int>(call->args.size()) - (method ? 1 : 0);
    const int want = f->arity - (method ? 1 : 0);
    if (got != want) {
      return Fail(name.column,
                  std::string(method ? "method " : "") + f->name + "() takes " +
                      std::to_string(want) + (want == 1 ? " argument" : " arguments") +
                      ", got " + std::to_string(got),
                  std::string("usage: ") + f->usage);
    }
    if (f->fn == Fn::kHas) {
      const Node& arg = *call->args[0];
      if (arg.kind != Kind::kField || arg.path.empty()) {
        return Fail(arg.column, "has() needs a field path",
                    "e.g. has(geo.city) or has(tags[0])");
      }
    }
    if (f->fn == Fn::kMatches && call->args[1]->kind == Kind::kLiteral &&
        call->args[1]->literal.is_string()) {
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_unique<RE2>(call->args[1]->literal.as_string(), options);
      if (!re->ok()) {
        return Fail(call->args[1]->column, "invalid regex: " + re->error(),
                    "RE2 syntax, see https://github.com/google/re2/wiki/Syntax");
      }
      call->regex = std::move(re);
    }
    return Finish(std::move(call));
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int nesting_ = 0;
  Status status_;
};

}  // namespace

Status Parse(std::string_view source, NodePtr* root) {
  std::vector<Token> tokens;
  FLOWCTL_RETURN_IF_ERROR(Lex(source, &tokens));
  Parser parser(std::move(tokens));
  NodePtr n = parser.ParseAll();
  if (!n) {
    if (parser.status().ok()) return Status::Internal("parser failed without a message");
    return parser.status();
  }
  *root = std::move(n);
  return Status::OK();
}

}  // namespace flowctl::expr
