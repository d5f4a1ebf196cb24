#include "expr/lexer.h"

#include <cstdio>
#include <cstdlib>

namespace flowctl::expr {
namespace {

Status Error(size_t offset, const std::string& what, const std::string& valid) {
  return Status::Invalid("column " + std::to_string(offset + 1) + ": " + what +
                         " (" + valid + ")");
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string Printable(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "byte 0x%02x", u);
  return buf;
}

// Decodes the string literal starting at src[*pos] (the quote) into tok->str.
Status LexString(std::string_view src, size_t* pos, Token* tok) {
  const size_t start = *pos;
  const char quote = src[start];
  size_t i = start + 1;
  std::string& out = tok->str;
  while (true) {
    if (i >= src.size()) {
      return Error(start, "unterminated string",
                   std::string("close it with ") + quote);
    }
    char c = src[i];
    if (c == quote) break;
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= src.size()) {
      return Error(start, "unterminated string",
                   std::string("close it with ") + quote);
    }
    const size_t esc_at = i;
    char e = src[i + 1];
    i += 2;
    switch (e) {
      case '\\': out.push_back('\\'); continue;
      case '\'': out.push_back('\''); continue;
      case '"': out.push_back('"'); continue;
      case '`': out.push_back('`'); continue;
      case '?': out.push_back('?'); continue;
      case 'n': out.push_back('\n'); continue;
      case 'r': out.push_back('\r'); continue;
      case 't': out.push_back('\t'); continue;
      case 'a': out.push_back('\a'); continue;
      case 'b': out.push_back('\b'); continue;
      case 'f': out.push_back('\f'); continue;
      case 'v': out.push_back('\v'); continue;
      case '0': out.push_back('\0'); continue;
      case 'x':
      case 'u':
      case 'U': {
        const int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int k = 0; k < digits; ++k) {
          int h = i < src.size() ? HexValue(src[i]) : -1;
          if (h < 0) {
            return Error(esc_at, std::string("bad escape \\") + e,
                         "expected " + std::to_string(digits) + " hex digits");
          }
          cp = cp * 16 + static_cast<uint32_t>(h);
          ++i;
        }
        if (e == 'x') {
          out.push_back(static_cast<char>(cp));
        } else if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return Error(esc_at, "invalid unicode escape",
                       "code points are U+0000..U+10FFFF, not surrogates");
        } else {
          AppendUtf8(cp, &out);
        }
        continue;
      }
      default:
        return Error(esc_at, "unknown escape \\" + std::string(1, e),
                     "valid: \\\\ \\' \\\" \\n \\r \\t \\0 \\xHH \\uHHHH");
    }
  }
  *pos = i + 1;
  tok->kind = Tok::kString;
  return Status::OK();
}

Status LexNumber(std::string_view src, size_t* pos, Token* tok) {
  const size_t start = *pos;
  size_t i = start;
  if (src[i] == '0' && i + 1 < src.size() && (src[i + 1] == 'x' || src[i + 1] == 'X')) {
    i += 2;
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < src.size() && HexValue(src[i]) >= 0; ++i, ++digits) {
      if (v > (~uint64_t{0} >> 4)) {
        return Error(start, "integer literal out of range", "ints are 64-bit");
      }
      v = v * 16 + static_cast<uint64_t>(HexValue(src[i]));
    }
    if (digits == 0) return Error(start, "malformed hex number", "e.g. 0x1F");
    tok->kind = Tok::kInt;
    tok->int_value = v;
    *pos = i;
    return Status::OK();
  }
  while (i < src.size() && IsDigit(src[i])) ++i;
  bool is_double = false;
  // "1.x" stays an int followed by a member access; only "1.5" is a double.
  if (i + 1 < src.size() && src[i] == '.' && IsDigit(src[i + 1])) {
    is_double = true;
    i += 1;
    while (i < src.size() && IsDigit(src[i])) ++i;
  }
  if (i < src.size() && (src[i] == 'e' || src[i] == 'E')) {
    size_t j = i + 1;
    if (j < src.size() && (src[j] == '+' || src[j] == '-')) ++j;
    if (j >= src.size() || !IsDigit(src[j])) {
      return Error(start, "malformed number", "an exponent needs digits, e.g. 1e9");
    }
    while (j < src.size() && IsDigit(src[j])) ++j;
    is_double = true;
    i = j;
  }
  std::string text(src.substr(start, i - start));
  if (is_double) {
    tok->kind = Tok::kDouble;
    tok->double_value = std::strtod(text.c_str(), nullptr);
  } else {
    uint64_t v = 0;
    for (char c : text) {
      uint64_t d = static_cast<uint64_t>(c - '0');
      if (v > (~uint64_t{0} - d) / 10) {
        return Error(start, "integer literal out of range", "ints are 64-bit");
      }
      v = v * 10 + d;
    }
    tok->kind = Tok::kInt;
    tok->int_value = v;
  }
  *pos = i;
  return Status::OK();
}

Tok KeywordOrIdent(std::string_view word) {
  if (word == "null") return Tok::kNull;
  if (word == "true") return Tok::kTrue;
  if (word == "false") return Tok::kFalse;
  if (word == "in") return Tok::kIn;
  return Tok::kIdent;
}

}  // namespace

Status Lex(std::string_view src, std::vector<Token>* tokens) {
  tokens->clear();
  size_t i = 0;
  while (true) {
    while (i < src.size() &&
           (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r')) {
      ++i;
    }
    Token tok;
    tok.column = static_cast<uint32_t>(i + 1);
    if (i >= src.size()) {
      tokens->push_back(std::move(tok));
      return Status::OK();
    }
    const size_t start = i;
    const char c = src[i];
    const char next = i + 1 < src.size() ? src[i + 1] : '\0';
    auto punct = [&](Tok kind, size_t len) {
      tok.kind = kind;
      i += len;
    };
    if (IsIdentStart(c)) {
      while (i < src.size() && IsIdentChar(src[i])) ++i;
      tok.kind = KeywordOrIdent(src.substr(start, i - start));
    } else if (IsDigit(c)) {
      FLOWCTL_RETURN_IF_ERROR(LexNumber(src, &i, &tok));
    } else if (c == '\'' || c == '"') {
      FLOWCTL_RETURN_IF_ERROR(LexString(src, &i, &tok));
    } else {
      switch (c) {
        case '(': punct(Tok::kLParen, 1); break;
        case ')': punct(Tok::kRParen, 1); break;
        case '[': punct(Tok::kLBracket, 1); break;
        case ']': punct(Tok::kRBracket, 1); break;
        case '{': punct(Tok::kLBrace, 1); break;
        case '}': punct(Tok::kRBrace, 1); break;
        case ',': punct(Tok::kComma, 1); break;
        case '.': punct(Tok::kDot, 1); break;
        case ':': punct(Tok::kColon, 1); break;
        case '?': punct(Tok::kQuestion, 1); break;
        case '+': punct(Tok::kPlus, 1); break;
        case '-': punct(Tok::kMinus, 1); break;
        case '*': punct(Tok::kStar, 1); break;
        case '/': punct(Tok::kSlash, 1); break;
        case '%': punct(Tok::kPercent, 1); break;
        case '!': punct(next == '=' ? Tok::kNe : Tok::kNot, next == '=' ? 2 : 1); break;
        case '<': punct(next == '=' ? Tok::kLe : Tok::kLt, next == '=' ? 2 : 1); break;
        case '>': punct(next == '=' ? Tok::kGe : Tok::kGt, next == '=' ? 2 : 1); break;
        case '=':
          if (next != '=') return Error(start, "unexpected '='", "did you mean '=='?");
          punct(Tok::kEq, 2);
          break;
        case '&':
          if (next != '&') return Error(start, "unexpected '&'", "did you mean '&&'?");
          punct(Tok::kAnd, 2);
          break;
        case '|':
          if (next != '|') return Error(start, "unexpected '|'", "did you mean '||'?");
          punct(Tok::kOr, 2);
          break;
        default:
          return Error(start, "unexpected character " + Printable(c),
                       "expected a field, literal, operator or parenthesis");
      }
    }
    tok.text = src.substr(start, i - start);
    tokens->push_back(std::move(tok));
  }
}

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case Tok::kEnd: return "end of expression";
    case Tok::kInt:
    case Tok::kDouble: return "number " + std::string(token.text);
    case Tok::kString: {
      std::string_view t = token.text;
      if (t.size() > 24) return "string " + std::string(t.substr(0, 20)) + "...";
      return "string " + std::string(t);
    }
    case Tok::kIdent: return "identifier '" + std::string(token.text) + "'";
    default: return "'" + std::string(token.text) + "'";
  }
}

}  // namespace flowctl::expr
