// Tokens of a goal, and the small word utilities the rules share.
#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "internal.h"

namespace flowctl::ai::planner {
namespace text_impl {

const std::set<std::string>& Stops() {
  static const std::set<std::string> k = {
      "a",     "an",    "the",   "and",   "or",    "of",    "to",    "in",    "into",  "on",
      "for",   "with",  "by",    "from",  "that",  "which", "who",   "whose", "where", "when",
      "then",  "them",  "it",    "its",   "is",    "are",   "be",    "was",   "as",    "at",
      "all",   "any",   "each",  "every", "this",  "these", "those", "their", "my",    "our",
      "me",    "i",     "we",    "you",   "your",  "so",    "if",    "only",  "just",  "also",
      "some",  "than",  "per",   "via",   "using", "use",   "please", "want", "need",  "should",
      "can",   "will",  "would", "build", "create", "make", "pipeline", "pipelines", "flowctl",
      "they",  "there", "have",  "has",   "not",   "no",    "do",    "does", "one",   "ones",
      "get",   "gets",  "put",   "out",   "up",    "over",  "under", "above", "below", "more",
      "less",  "most",  "least", "other", "else",  "rest",  "own",   "both", "while", "after",
      "before"};
  return k;
}

bool EndsWithExt(const std::string& s) {
  static const std::regex kExt(R"(\.(jsonl|ndjson|json|log|logs|txt|csv|tsv|md|out|dat)$)");
  return std::regex_search(s, kExt);
}

}  // namespace text_impl

bool IsStopWord(const std::string& w) { return text_impl::Stops().count(w) > 0; }

bool Goal::HasAny(std::initializer_list<const char*> phrases) const {
  // Every phrase is looked for, so that each one found counts as understood.
  bool any = false;
  for (const char* p : phrases) any = Has(p) || any;
  return any;
}

namespace {

std::vector<std::string> PhraseParts(const std::string& phrase) {
  std::vector<std::string> parts;
  size_t b = 0;
  while (b < phrase.size()) {
    size_t e = phrase.find(' ', b);
    if (e == std::string::npos) e = phrase.size();
    if (e > b) parts.push_back(phrase.substr(b, e - b));
    b = e + 1;
  }
  return parts;
}

}  // namespace

bool Goal::MatchesAt(const std::vector<std::string>& parts, int i) const {
  if (parts.empty() || i < 0 || i + static_cast<int>(parts.size()) > size()) return false;
  for (size_t k = 0; k < parts.size(); ++k) {
    const Token& tok = at(i + static_cast<int>(k));
    const std::string& t = tok.lower;
    const std::string& p = parts[k];
    // A word of the goal is not found inside a file name: "escalations.jsonl"
    // names a destination, it does not ask for escalation.
    if (tok.kind == Token::Kind::kPath && p.find_first_of("./") == std::string::npos) return false;
    // A trailing '*' matches any word starting with the rest.
    bool ok = !p.empty() && p.back() == '*' ? t.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0
                                            : t == p;
    if (!ok) return false;
    // A phrase does not run across a clause end.
    if (k + 1 < parts.size() && tok.clause_end) return false;
  }
  return true;
}

bool Goal::MatchesAt(const std::string& phrase, int i) const {
  return MatchesAt(PhraseParts(phrase), i);
}

int Goal::Find(const std::string& phrase, int from, bool mark) const {
  std::vector<std::string> parts = PhraseParts(phrase);
  if (parts.empty()) return -1;
  for (int i = std::max(0, from); i + static_cast<int>(parts.size()) <= size(); ++i) {
    if (!MatchesAt(parts, i)) continue;
    for (size_t k = 0; k < parts.size() && mark; ++k) at(i + static_cast<int>(k)).seen = true;
    return i;
  }
  return -1;
}

Goal Tokenize(const std::string& text) {
  Goal g;
  g.text = text;
  // "$1/hour", "10/s": a rate, read as "$1 per hour".
  static const std::regex kRate(R"((\d)/(hour|hr|h|day|month|s|sec|second)\b)");
  const std::string input = std::regex_replace(text, kRate, "$1 per $2");
  // Comparison symbols become their own tokens ("amount>1000").
  std::string s;
  for (size_t i = 0; i < input.size(); ++i) {
    char c = input[i];
    char n = i + 1 < input.size() ? input[i + 1] : '\0';
    if ((c == '>' || c == '<' || c == '!' || c == '=') && n == '=') {
      s += std::string(" ") + c + n + " ";
      ++i;
    } else if (c == '>' || c == '<' || (c == '=' && n != '>')) {
      s += std::string(" ") + c + " ";
    } else {
      s += c;
    }
  }
  static const std::regex kNumber(
      R"(^(-)?([$\u20ac\u00a3]|usd|eur)?(\d[\d,]*(\.\d+)?|\.\d+)(k|m|ms|s|sec|secs|seconds|%|x|usd|eur|mb|gb|kb)?$)");
  size_t i = 0;
  auto push = [&](Token t) {
    t.lower = t.raw;
    std::transform(t.lower.begin(), t.lower.end(), t.lower.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    g.tokens.push_back(std::move(t));
  };
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    // Quoted text is one token.
    if (c == '\'' || c == '"' || c == '`') {
      size_t end = s.find(static_cast<char>(c), i + 1);
      if (end != std::string::npos && end > i + 1) {
        Token t;
        t.kind = Token::Kind::kQuoted;
        t.raw = s.substr(i + 1, end - i - 1);
        {
          std::string lq = t.raw;
          for (auto& ch : lq) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          if (text_impl::EndsWithExt(lq)) t.kind = Token::Kind::kPath;
        }
        i = end + 1;
        while (i < s.size() && std::ispunct(static_cast<unsigned char>(s[i])) && s[i] != '$' &&
               s[i] != '/' && s[i] != '.' && s[i] != '\'' && s[i] != '"') {
          if (s[i] == ',') t.comma_after = true;
          if (s[i] == ';' || s[i] == ':') t.clause_end = true;
          ++i;
        }
        if (i < s.size() && s[i] == '.') {
          t.clause_end = true;
          ++i;
        }
        push(std::move(t));
        continue;
      }
    }
    size_t e = i;
    while (e < s.size() && !std::isspace(static_cast<unsigned char>(s[e]))) ++e;
    std::string w = s.substr(i, e - i);
    i = e;
    bool comma = false, end = false;
    while (!w.empty() && std::string("([{\"'`").find(w.front()) != std::string::npos) w.erase(0, 1);
    while (!w.empty() && std::string(",;:!?)]}\"'`.").find(w.back()) != std::string::npos) {
      if (w.back() == ',') comma = true;
      if (w.back() == ';' || w.back() == ':' || w.back() == '!' || w.back() == '?' ||
          w.back() == '.')
        end = true;
      w.pop_back();
    }
    if (w.empty()) {
      if ((comma || end) && !g.tokens.empty()) {
        g.tokens.back().comma_after |= comma;
        g.tokens.back().clause_end |= end;
      }
      continue;
    }
    std::string lw = w;
    std::transform(lw.begin(), lw.end(), lw.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    // "$1/hour" is a price per unit, not a path.
    bool price = lw.size() > 1 && lw[0] == '$' && std::isdigit(static_cast<unsigned char>(lw[1]));
    bool pathish = !price && (lw.find('/') != std::string::npos && lw.size() > 2 &&
                    (lw[0] == '/' || lw[0] == '.' || lw[0] == '~' || lw[0] == '$' ||
                     text_impl::EndsWithExt(lw) || lw.find('*') != std::string::npos)) ||
                   (text_impl::EndsWithExt(lw) && lw.size() > 4);
    if (!pathish && lw.find('/') != std::string::npos && lw.find("://") == std::string::npos) {
      // high/critical: a list of words.
      size_t b = 0, before = g.tokens.size();
      while (b <= w.size()) {
        size_t x = w.find('/', b);
        if (x == std::string::npos) x = w.size();
        if (x > b) {
          Token t;
          t.raw = w.substr(b, x - b);
          t.comma_after = x < w.size();
          push(std::move(t));
        }
        b = x + 1;
      }
      // A word of slashes alone ("/", "//") makes no token.
      if (g.tokens.size() > before) {
        g.tokens.back().comma_after = comma;
        g.tokens.back().clause_end = end;
      }
      continue;
    }
    Token t;
    t.raw = w;
    t.comma_after = comma;
    t.clause_end = end;
    std::smatch m;
    if (pathish) {
      t.kind = Token::Kind::kPath;
    } else if (lw == ">" || lw == "<" || lw == ">=" || lw == "<=" || lw == "==" || lw == "!=" ||
               lw == "=") {
      t.kind = Token::Kind::kSymbol;
    } else if (std::regex_match(lw, m, kNumber)) {
      t.kind = Token::Kind::kNumber;
      std::string digits = m[3].str();
      digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
      // "-40": a negative threshold ("temperature below -40").
      t.number = (m[1].matched ? -1 : 1) * std::stod(digits);
      std::string unit = m[5].str();
      std::string cur = m[2].str();
      if (unit == "k") t.number *= 1000, unit = "";
      if (unit == "m" && !cur.empty()) t.number *= 1e6, unit = "";
      if (unit == "sec" || unit == "secs" || unit == "seconds") unit = "s";
      if (!cur.empty() || unit == "usd" || unit == "eur") unit = "$";
      t.unit = unit;
    }
    push(std::move(t));
  }
  if (!g.tokens.empty()) g.tokens.back().clause_end = true;
  return g;
}

std::string Slug(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 48) out.resize(48);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string FieldName(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.') {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && (out.back() == '_' || out.back() == '.')) out.pop_back();
  if (!out.empty() && std::isdigit(static_cast<unsigned char>(out[0]))) out = "f_" + out;
  return out;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string Singular(const std::string& w) {
  if (w.size() > 4 && w.compare(w.size() - 3, 3, "ies") == 0) return w.substr(0, w.size() - 3) + "y";
  if (w.size() > 4 && (w.compare(w.size() - 4, 4, "sses") == 0 ||
                       w.compare(w.size() - 4, 4, "ches") == 0 ||
                       w.compare(w.size() - 4, 4, "shes") == 0 ||
                       w.compare(w.size() - 4, 4, "xes") == 0))
    return w.substr(0, w.size() - 2);
  if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's' && w[w.size() - 2] != 'u')
    return w.substr(0, w.size() - 1);
  return w;
}

std::string DeriveName(const Goal& goal) {
  static const std::set<std::string> kSkip = {
      "process", "processes", "processing", "read", "reads", "reading", "write", "writes",
      "writing", "take", "takes", "send", "sends", "route", "routes", "routing", "file",
      "files", "data", "events", "event", "stream", "streams", "handle", "handles", "that",
      "it", "new", "incoming", "keep", "keeps", "extract", "extracts", "identify", "identifies",
      "set", "sets", "like", "called", "named", "appropriate", "them", "store", "stores",
      "save", "saves", "jsonl", "json", "log", "logs", "output", "input", "want", "simple"};
  std::vector<std::string> words;
  for (const Token& t : goal.tokens) {
    if (t.kind != Token::Kind::kWord) continue;
    if (IsStopWord(t.lower) || kSkip.count(t.lower) || t.lower.size() < 3) continue;
    std::string w = Slug(t.lower);
    if (w.empty() || std::find(words.begin(), words.end(), w) != words.end()) continue;
    words.push_back(w);
    if (words.size() == 4) break;
  }
  std::string name;
  for (const auto& w : words) name += (name.empty() ? "" : "-") + w;
  name = Slug(name);
  return name.empty() ? "generated-pipeline" : name;
}

std::string DiagnosticsText(const std::vector<Diagnostic>& diags, bool errors_only) {
  std::string out;
  for (const auto& d : diags) {
    if (errors_only && d.severity != Diagnostic::Severity::kError) continue;
    out += d.ToString() + "\n";
  }
  return out;
}

}  // namespace flowctl::ai::planner
