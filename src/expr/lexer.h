// Tokenizer for the expression language (private).
//
// Contract: pure function of its input; thread-safe.
#ifndef FLOWCTL_EXPR_LEXER_H_
#define FLOWCTL_EXPR_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flowctl/base/status.h"

namespace flowctl::expr {

enum class Tok : uint8_t {
  kEnd, kInt, kDouble, kString, kIdent,
  kNull, kTrue, kFalse, kIn,
  kLParen, kRParen, kLBracket, kRBracket, kLBrace, kRBrace,
  kComma, kDot, kColon, kQuestion,
  kNot, kMinus, kPlus, kStar, kSlash, kPercent,
  kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr,
};

struct Token {
  Tok kind = Tok::kEnd;
  uint32_t column = 1;  // 1-based byte column of the first character
  std::string_view text;  // as written in the source
  std::string str;        // kString: decoded contents
  // kInt: magnitude as written; may be 2^63, which only a unary minus makes
  // representable, so range checking is left to the parser.
  uint64_t int_value = 0;
  double double_value = 0;
};

// Splits source into tokens ending with a kEnd token. Errors are
// "column N: what (valid)" kInvalidArgument statuses.
Status Lex(std::string_view source, std::vector<Token>* tokens);

// "')'", "identifier 'foo'", "end of expression": for "unexpected ..." errors.
std::string DescribeToken(const Token& token);

}  // namespace flowctl::expr

#endif  // FLOWCTL_EXPR_LEXER_H_
