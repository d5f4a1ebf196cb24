// Conditions in words -> expressions of the expression language:
// "amount over $1,000", "status is not 200", "5xx", "priority high or
// critical", "only errors", "containing 'timeout'", "from EU countries".
// Field names come from the goal's words when it names them; otherwise a
// default is used and listed as an assumption.
#include <cmath>
#include <cstdio>
#include <map>
#include <regex>
#include <set>

#include "internal.h"

namespace flowctl::ai::planner {
namespace conditions_impl {

struct Comparator {
  const char* phrase;
  const char* op;
};

// Longest phrases first, so "is not" wins over "is".
const std::vector<Comparator>& Comparators() {
  static const std::vector<Comparator> k = {
      {"greater than or equal to", ">="}, {"less than or equal to", "<="},
      {"is greater than", ">"},          {"is more than", ">"},
      {"is less than", "<"},             {"is at least", ">="},
      {"is at most", "<="},              {"no less than", ">="},
      {"no more than", "<="},            {"not equal to", "!="},
      {"greater than", ">"},             {"more than", ">"},
      {"higher than", ">"},              {"larger than", ">"},
      {"bigger than", ">"},              {"less than", "<"},
      {"lower than", "<"},               {"smaller than", "<"},
      {"fewer than", "<"},               {"slower than", ">"},
      {"faster than", "<"},              {"longer than", ">"},
      {"shorter than", "<"},             {"older than", ">"},
      {"newer than", "<"},               {"hotter than", ">"},
      {"warmer than", ">"},              {"colder than", "<"},
      {"cooler than", "<"},              {"heavier than", ">"},
      {"lighter than", "<"},             {"cheaper than", "<"},
      {"more expensive than", ">"},      {"costlier than", ">"},
      {"at least", ">="},
      {"at most", "<="},                 {"up to", "<="},
      {"other than", "!="},              {"is not", "!="},
      {"isn't", "!="},                   {"equal to", "=="},
      {"above", ">"},                    {"over", ">"},
      {"exceeds", ">"},                  {"exceeding", ">"},
      {"exceed", ">"},                   {"beyond", ">"},
      {"below", "<"},                    {"under", "<"},
      {">=", ">="},                      {"<=", "<="},
      {"!=", "!="},                      {"==", "=="},
      {">", ">"},                        {"<", "<"},
      {"=", "=="},                       {"equals", "=="},
      {"is", "=="},                      {"of", "=="}};
  return k;
}

// Words that describe the events, not a field: "orders over $100" means amount.
const std::map<std::string, std::string>& EntityFields() {
  static const std::map<std::string, std::string> k = {
      {"order", "amount"},       {"orders", "amount"},       {"transaction", "amount"},
      {"transactions", "amount"}, {"payment", "amount"},      {"payments", "amount"},
      {"purchase", "amount"},    {"purchases", "amount"},    {"sale", "amount"},
      {"sales", "amount"},       {"spend", "amount"},        {"refund", "amount"},
      {"refunds", "amount"},     {"invoice", "amount"},      {"invoices", "amount"},
      {"transfers", "amount"},   {"transfer", "amount"},     {"withdrawals", "amount"},
      {"reading", "value"},      {"readings", "value"},      {"sensor", "value"},
      {"sensors", "value"},      {"measurement", "value"},   {"measurements", "value"},
      {"metric", "value"},       {"metrics", "value"},       {"values", "value"},
      {"request", "latency_ms"}, {"requests", "latency_ms"}, {"response", "latency_ms"},
      {"responses", "latency_ms"}, {"calls", "latency_ms"},  {"events", ""},
      {"event", ""},             {"records", ""},            {"items", ""},
      {"rows", ""}};
  return k;
}

// Second words that make a compound field name: "status code", "user id".
const std::set<std::string>& CompoundTails() {
  static const std::set<std::string> k = {
      "id",    "code",  "usage",   "time",  "count", "rate",  "level", "score", "size",
      "total", "age",   "type",    "name",  "percent", "duration", "latency", "amount",
      "value", "price", "quantity", "bytes", "temperature", "humidity", "pressure", "speed",
      "load",  "utilization", "balance", "limit", "ms", "number", "category", "status"};
  return k;
}

const std::set<std::string>& Categorical() {
  static const std::set<std::string> k = {
      "priority", "severity", "level",  "status", "state",   "type",     "category", "region",
      "env",      "environment", "method", "tier", "plan",  "channel",  "currency", "platform",
      "device",   "os",       "browser", "service", "sentiment", "source", "country", "language",
      "team",     "department", "stage", "kind",  "action",  "outcome",  "result", "segment"};
  return k;
}

const std::map<std::string, std::set<std::string>>& Vocab() {
  static const std::map<std::string, std::set<std::string>> k = {
      {"priority", {"low", "medium", "normal", "high", "critical", "urgent", "p0", "p1", "p2", "p3"}},
      {"severity", {"low", "medium", "high", "critical", "info", "warning", "warn", "error", "fatal",
                    "minor", "major"}},
      {"level", {"debug", "info", "warn", "warning", "error", "fatal", "critical", "trace"}},
      {"sentiment", {"positive", "negative", "neutral"}}};
  return k;
}

const std::set<std::string>& NotValues() {
  static const std::set<std::string> k = {
      "events",  "event",  "logs",     "log",    "issues", "issue",  "tickets", "ticket",
      "messages", "alerts", "items",   "ones",   "records", "entries", "lines",  "requests",
      "orders",  "transactions", "go", "goes",  "get",    "gets",   "are",     "should",
      "field",   "fields", "data",     "feedback", "it",   "them",   "those",   "written",
      "sent",    "routed", "stored",   "saved",  "kept",   "keep",   "send",    "write",
      "route",   "only",   "priority", "severity", "level", "status", "queue",  "team",
      "teams",   "file",   "files",    "json",   "text",   "payments", "readings"};
  return k;
}

std::string Num(double v) {
  char buf[64];
  if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(std::llround(v)));
  } else {
    std::snprintf(buf, sizeof(buf), "%g", v);
  }
  return buf;
}

const std::map<std::string, std::string>& Countries() {
  static const std::map<std::string, std::string> k = {
      {"germany", "DE"},  {"france", "FR"},     {"spain", "ES"},      {"italy", "IT"},
      {"netherlands", "NL"}, {"belgium", "BE"}, {"austria", "AT"},    {"poland", "PL"},
      {"sweden", "SE"},   {"denmark", "DK"},    {"finland", "FI"},    {"ireland", "IE"},
      {"portugal", "PT"}, {"greece", "GR"},     {"czechia", "CZ"},    {"hungary", "HU"},
      {"romania", "RO"},  {"usa", "US"},        {"america", "US"},    {"canada", "CA"},
      {"mexico", "MX"},   {"brazil", "BR"},     {"uk", "GB"},         {"britain", "GB"},
      {"england", "GB"},  {"japan", "JP"},      {"china", "CN"},      {"india", "IN"},
      {"australia", "AU"}, {"switzerland", "CH"}, {"norway", "NO"},   {"singapore", "SG"},
      {"korea", "KR"},    {"argentina", "AR"},  {"nigeria", "NG"},    {"turkey", "TR"}};
  return k;
}

const std::vector<std::string>& EuCodes() {
  static const std::vector<std::string> k = {
      "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
      "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"};
  return k;
}

std::string InList(const std::string& field, const std::vector<std::string>& values,
                   bool numeric) {
  auto lit = [&](const std::string& v) { return numeric ? v : Quote(v); };
  if (values.size() == 1) return field + " == " + lit(values[0]);
  std::string out = field + " in [";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + lit(values[i]);
  return out + "]";
}

std::string Phrase(const Goal& g, int from, int to) {
  std::string out;
  for (int i = std::max(0, from); i < to && i < g.size(); ++i)
    out += (out.empty() ? "" : " ") + g.at(i).raw;
  return "'" + out + "'";
}

bool IsNegation(const std::string& w) {
  static const std::set<std::string> k = {"ignore", "ignoring", "skip",   "skipping", "exclude",
                                          "excluding", "except", "without", "drop",  "dropping",
                                          "not",     "no",      "remove", "discard", "out"};
  return k.count(w) > 0;
}

// The complement of a condition: "drop readings below -40" keeps
// temperature >= -40. A single comparison flips its operator (clearer than
// a "!" around it); anything else is wrapped.
std::string Negate(const std::string& e) {
  static const std::regex kCmp(R"(^([A-Za-z_][A-Za-z0-9_.]*) (==|!=|<=|>=|<|>) ([^&|()]+)$)");
  static const std::map<std::string, std::string> kInverse = {
      {"==", "!="}, {"!=", "=="}, {"<", ">="}, {">", "<="}, {"<=", ">"}, {">=", "<"}};
  static const std::regex kHas(R"(^(!?)has\(([A-Za-z0-9_.]+)\)$)");
  std::smatch m;
  if (std::regex_match(e, m, kCmp)) return m[1].str() + " " + kInverse.at(m[2].str()) + " " + m[3].str();
  if (std::regex_match(e, m, kHas)) return (m[1].length() ? "" : "!") + std::string("has(") + m[2].str() + ")";
  return "!(" + e + ")";
}

// What the verb that leads a clause does with the events its condition
// names: keeps them, drops them ("exclude ... where"), or only describes an
// analysis ("detect negative sentiment": the model labels, nothing is dropped).
ClauseVerb VerbKind(const std::string& w, const std::string& next) {
  static const std::set<std::string> kKeep = {"keep", "keeps", "keeping", "include", "includes",
                                              "select", "selects", "retain", "retains", "pass",
                                              "let", "allow", "forward", "want"};
  static const std::set<std::string> kDrop = {
      "drop",   "drops",   "dropping", "exclude", "excludes", "excluding", "remove",
      "removes", "removing", "discard", "discards", "discarding", "ignore", "ignores",
      "ignoring", "skip",   "skips",   "skipping", "reject",  "rejects",  "omit",
      "omits",  "suppress", "except",  "without", "filter-out", "strip", "delete"};
  static const std::set<std::string> kDescribe = {
      "detect", "detects", "detecting", "identify", "identifies", "identifying", "analyze",
      "analyzes", "analyse", "analyses", "determine", "assess", "spot", "recognize", "score",
      "scores", "classify", "measure", "estimate"};
  // Marking verbs keep every event and record the condition in a field.
  static const std::set<std::string> kMark = {"flag",  "flags",   "mark",     "marks",
                                              "tag",   "tags",    "label",    "labels",
                                              "annotate", "highlight", "flagging", "marking"};
  if (kMark.count(w)) return ClauseVerb::kMark;
  if (w == "filter") return next == "out" ? ClauseVerb::kDrop : ClauseVerb::kKeep;
  if (w == "get" && next == "rid") return ClauseVerb::kDrop;
  if (w == "throw" && next == "away") return ClauseVerb::kDrop;
  if (kKeep.count(w)) return ClauseVerb::kKeep;
  if (kDrop.count(w)) return ClauseVerb::kDrop;
  if (kDescribe.count(w)) return ClauseVerb::kDescribe;
  return ClauseVerb::kNone;
}

class Extractor {
 public:
  Extractor(Goal& g, int from, int to, bool lines, std::vector<std::string>* why,
            std::vector<std::string>* assumptions, std::vector<ClauseVerb>* descriptive)
      : g_(g), from_(from), to_(std::min(to, g.size())), lines_(lines), why_(why),
        assumptions_(assumptions), descriptive_(descriptive) {}

  std::vector<std::string> Run() {
    Between();
    StatusClasses();
    Comparisons();
    CountryConditions();
    Levels();
    CategoricalLists();
    Contains();
    Currencies();
    JoinAlternatives();
    std::vector<std::string> out;
    for (const auto& f : found_) {
      out.push_back(f.expr);
      if (why_) why_->push_back(Phrase(g_, f.a, f.b));
      if (descriptive_) descriptive_->push_back(f.verb);
    }
    return out;
  }

 private:
  bool Free(int i) const { return i >= from_ && i < to_ && !g_.at(i).used; }
  void Use(int a, int b) {
    for (int i = a; i < b && i < g_.size(); ++i) g_.tokens[static_cast<size_t>(i)].used = true;
  }
  // The nearest verb before token a in its clause (a clause ends at ". ; :",
  // a comma or "then"); kNone if there is none.
  ClauseVerb Verb(int a) const {
    for (int k = a - 1; k >= from_ && k >= 0; --k) {
      const Token& t = g_.at(k);
      if (t.clause_end || t.comma_after || t.lower == "then") break;
      std::string next = k + 1 < g_.size() ? L(k + 1) : "";
      ClauseVerb v = VerbKind(t.lower, next);
      if (v != ClauseVerb::kNone) return v;
    }
    return ClauseVerb::kNone;
  }
  bool Dropped(int a) const { return Verb(a) == ClauseVerb::kDrop; }

  // negatable: the caller did not already read a negation; a clause led by
  // "drop/exclude/ignore ..." then keeps the complement.
  void Add(std::string expr, int a, int b, bool negatable = true) {
    bool dropped = Dropped(a);
    if (negatable && dropped) expr = Negate(expr);
    for (const auto& f : found_)
      if (f.expr == expr) return;
    found_.push_back({expr, a, b, Verb(a), dropped});
    Use(a, b);
  }

  // "quantity at least 10 or amount over $500": conditions written next to
  // each other with "or" between them hold either way. (In a dropping clause
  // each was negated already, and "drop A or B" keeps !A && !B.)
  void JoinAlternatives() {
    std::sort(found_.begin(), found_.end(),
              [](const Found& x, const Found& y) { return x.a < y.a; });
    std::vector<Found> out;
    for (const auto& f : found_) {
      if (!out.empty() && !f.dropped && !out.back().dropped && OnlyOrBetween(out.back().b, f.a)) {
        Found& p = out.back();
        p.expr = Paren(p.expr) + " || " + Paren(f.expr);
        p.b = f.b;
        continue;
      }
      out.push_back(f);
    }
    found_ = out;
  }
  bool OnlyOrBetween(int b, int a) const {
    bool saw_or = false;
    for (int k = b; k < a; ++k) {
      if (L(k) == "or" || L(k) == "either") saw_or = true;
      else if (!(L(k) == "the" || L(k) == "its" || L(k) == "where" || L(k) == "with")) return false;
    }
    return saw_or;
  }
  static std::string Paren(const std::string& e) {
    return e.find("&&") != std::string::npos || e.find("||") != std::string::npos ? "(" + e + ")"
                                                                                  : e;
  }
  void Assume(const std::string& s) {
    if (!assumptions_) return;
    for (const auto& a : *assumptions_)
      if (a == s) return;
    assumptions_->push_back(s);
  }
  bool Word(int i) const {
    return i >= 0 && i < g_.size() && g_.at(i).kind == Token::Kind::kWord;
  }
  const std::string& L(int i) const { return g_.at(i).lower; }

  // "amount between 10 and 100".
  void Between() {
    for (int i = from_; i + 3 < to_; ++i) {
      if (!Free(i) || L(i) != "between") continue;
      const Token& a = g_.at(i + 1);
      const Token& b = g_.at(i + 3);
      if (a.kind != Token::Kind::kNumber || b.kind != Token::Kind::kNumber || L(i + 2) != "and")
        continue;
      int fstart = i;
      std::string field = FieldBefore(i, &fstart);
      if (field.empty()) {
        field = a.unit == "$" ? "amount" : "value";
        Assume("the number range in " + Phrase(g_, i, i + 4) + " is the field " + field);
      }
      Add(field + " >= " + Num(a.number) + " && " + field + " <= " + Num(b.number), fstart, i + 4);
    }
  }

  // "5xx" / "4xx errors".
  void StatusClasses() {
    std::string field = g_.Has("status code") ? "status_code" : "status";
    for (int i = from_; i < to_; ++i) {
      if (!Free(i)) continue;
      const std::string& w = L(i);
      if (IsStatusClass(w)) {
        // "4xx and 5xx", "4xx/5xx": a status has one class, so a list of
        // classes next to each other is one range (or their union).
        int lo = (w[0] - '0') * 100, hi = lo + 100, last = i + 1;
        std::vector<std::pair<int, int>> ranges;
        while (true) {
          int nx = last;
          if (nx < to_ && (L(nx) == "and" || L(nx) == "or")) ++nx;
          else if (!g_.at(last - 1).comma_after) break;
          if (nx >= to_ || !Free(nx) || !IsStatusClass(L(nx))) break;
          int base = (L(nx)[0] - '0') * 100;
          if (base == hi) {
            hi += 100;
          } else {
            ranges.push_back({lo, hi});
            lo = base;
            hi = base + 100;
          }
          last = nx + 1;
        }
        ranges.push_back({lo, hi});
        std::string e;
        for (const auto& [a, z] : ranges)
          e += (e.empty() ? "" : " || ") +
               Paren(field + " >= " + std::to_string(a) + " && " + field + " < " + std::to_string(z));
        if (ranges.size() == 1) e = field + " >= " + std::to_string(lo) + " && " + field + " < " + std::to_string(hi);
        // "requests that are not 2xx", "non-5xx".
        int start = i;
        if (i > from_ && (L(i - 1) == "not" || L(i - 1) == "non" || L(i - 1) == "except")) {
          e = "!(" + e + ")";
          start = i - 1;
        }
        Add(e, start, last);
        Assume("the HTTP status is the field " + field);
      }
    }
  }

  // FIELD [is] COMPARATOR VALUE.
  void Comparisons() {
    for (int i = from_; i < to_; ++i) {
      if (!Free(i)) continue;
      for (const auto& c : Comparators()) {
        int n = PhraseLen(c.phrase);
        if (!g_.MatchesAt(c.phrase, i)) continue;
        int v = i + n;
        if (v >= to_ || !Free(v)) continue;
        // A comparator inside a clause end does not reach the value.
        if (g_.at(v - 1).clause_end) continue;
        const Token& val = g_.at(v);
        std::string op = c.op;
        bool numeric_op = op != "==" && op != "!=";
        bool word_is = std::string(c.phrase) == "is" || std::string(c.phrase) == "of" ||
                       std::string(c.phrase) == "=" || std::string(c.phrase) == "equals";
        if (numeric_op && val.kind != Token::Kind::kNumber) continue;
        int fend = i;
        std::string field = FieldBefore(i, &fend);
        if (val.kind == Token::Kind::kNumber) {
          double x = val.number;
          std::string unit = val.unit;
          int last = v + 1;
          if (last < to_ && Word(last)) {
            const std::string& u = L(last);
            if (u == "ms" || u == "milliseconds") unit = "ms", ++last;
            else if (u == "s" || u == "seconds" || u == "second" || u == "sec") unit = "s", ++last;
            else if (u == "percent") unit = "%", ++last;
            else if (u == "dollars" || u == "usd" || u == "euros") unit = "$", ++last;
          }
          // "rating is 1 or 2": a list of values.
          std::vector<double> more;
          while (op == "==" && last + 1 < to_ && (L(last) == "or" || g_.at(last - 1).comma_after) &&
                 Free(last + (L(last) == "or" ? 1 : 0)) &&
                 g_.at(last + (L(last) == "or" ? 1 : 0)).kind == Token::Kind::kNumber) {
            int nx = last + (L(last) == "or" ? 1 : 0);
            more.push_back(g_.at(nx).number);
            last = nx + 1;
          }
          if (!more.empty() && !field.empty()) {
            std::string e = field + " in [" + Num(x);
            for (double y : more) e += ", " + Num(y);
            Add(e + "]", fend, last);
            break;
          }
          // "1000 or more"
          if (last + 1 < to_ && L(last) == "or" &&
              (L(last + 1) == "more" || L(last + 1) == "higher" || L(last + 1) == "above")) {
            if (op == "==") op = ">=";
            last += 2;
          }
          if (field.empty() && std::string(c.phrase) == "of") continue;
          // "above 150 or below -50": the second comparison is on the same field.
          if (field.empty() && !last_field_.empty() && last_end_ >= 0 && i - last_end_ <= 2 &&
              i > last_end_ && (L(i - 1) == "or" || L(i - 1) == "and" || g_.at(last_end_ - 1).comma_after))
            field = last_field_;
          if (unit == "mb" || unit == "gb" || unit == "kb" ||
              (last < to_ && Word(last) && (L(last) == "mb" || L(last) == "gb" || L(last) == "kb"))) {
            // "larger than 10 MB": sizes are compared in bytes.
            std::string u = unit == "mb" || unit == "gb" || unit == "kb" ? unit : L(last++);
            x *= u == "kb" ? 1e3 : u == "mb" ? 1e6 : 1e9;
            if (field.empty() || EntityFields().count(L(fend)) || field == "files" || field == "file") {
              field = "size_bytes";
              Assume("the size is the field size_bytes (bytes)");
            }
            unit = "";
          }
          if (field.empty()) {
            if (word_is) continue;  // "is 5" alone says nothing about a field
            field = unit == "$" ? "amount" : (unit == "ms" || unit == "s") ? "latency_ms" : "value";
            Assume("the number compared in " + Phrase(g_, i, last) + " is the field " + field);
          }
          if ((unit == "ms" || unit == "s") && field.size() > 3 &&
              field.compare(field.size() - 3, 3, "_ms") != 0) {
            field += "_ms";
            Assume(field + " holds milliseconds");
          }
          if (unit == "s") x *= 1000;
          Add(field + " " + op + " " + Num(x), fend, last);
          last_field_ = field;
          last_end_ = last;
          break;
        }
        // Words: only for a field the goal names as one, or a quoted value.
        if (numeric_op) continue;
        std::string base = field;
        if (field.empty()) continue;
        // "user_id is missing", "email is present": presence, not a value.
        if (val.kind == Token::Kind::kWord && Presence(val.lower) != 0) {
          bool present = (Presence(val.lower) > 0) == (op == "==");
          Add(present ? "has(" + field + ")" : "!has(" + field + ")", fend, v + 1);
          break;
        }
        bool categorical = Categorical().count(base) > 0 ||
                           (base.find('_') != std::string::npos);
        if (val.kind == Token::Kind::kQuoted ||
            (categorical && val.kind == Token::Kind::kWord && !IsStopWord(val.lower) &&
             !NotValues().count(val.lower))) {
          std::vector<std::string> values = {ValueOf(base, val)};
          int last = v + 1;
          while (last + 1 < to_ && (L(last) == "or" || g_.at(last - 1).comma_after) &&
                 Free(last + 1)) {
            int nx = L(last) == "or" ? last + 1 : last;
            // "type equals 'a' or type equals 'b'"
            if (nx + 2 < to_ && FieldName(g_.at(nx).raw) == base &&
                (L(nx + 1) == "equals" || L(nx + 1) == "is" || L(nx + 1) == "=" || L(nx + 1) == "=="))
              nx += 2;
            const Token& t = g_.at(nx);
            if (t.kind == Token::Kind::kQuoted ||
                (t.kind == Token::Kind::kWord && !IsStopWord(t.lower) && !NotValues().count(t.lower))) {
              values.push_back(ValueOf(base, t));
              last = nx + 1;
            } else {
              break;
            }
          }
          std::string fieldx = FieldFor(base);
          std::string e = InList(fieldx, values, false);
          if (op == "!=") e = values.size() == 1 ? fieldx + " != " + Quote(values[0]) : "!(" + e + ")";
          Add(e, fend, last);
          break;
        }
      }
    }
  }

  // +1 a word saying a field is there, -1 that it is not, 0 neither.
  static int Presence(const std::string& w) {
    static const std::set<std::string> kAbsent = {"missing", "empty", "null", "absent", "blank",
                                                  "unset", "none", "undefined"};
    static const std::set<std::string> kPresent = {"present", "set", "defined", "provided",
                                                   "populated"};
    return kAbsent.count(w) ? -1 : kPresent.count(w) ? 1 : 0;
  }

  static bool IsCurrency(const std::string& w) {
    static const std::set<std::string> k = {"usd", "eur", "gbp", "jpy", "chf", "cad", "aud",
                                            "cny", "inr", "sek", "nok", "dkk", "pln", "brl"};
    return k.count(w) > 0;
  }

  // "payments in EUR or GBP": the currency field.
  void Currencies() {
    for (int i = from_; i < to_; ++i) {
      if (!Free(i) || !Word(i) || !IsCurrency(L(i))) continue;
      if (g_.at(i).raw == g_.at(i).lower) continue;  // only codes written as codes (EUR)
      std::vector<std::string> codes = {g_.at(i).raw};
      int last = i + 1;
      while (last + 1 < to_ && (L(last) == "or" || L(last) == "and" || g_.at(last - 1).comma_after)) {
        int nx = (L(last) == "or" || L(last) == "and") ? last + 1 : last;
        if (!Free(nx) || !IsCurrency(L(nx))) break;
        codes.push_back(g_.at(nx).raw);
        last = nx + 1;
      }
      int first = i > from_ && (L(i - 1) == "in" || L(i - 1) == "paid") ? i - 1 : i;
      std::string e = InList("currency", codes, false);
      bool neg = (first > 0 && IsNegation(L(first - 1))) || Dropped(first);
      Add(neg ? Negate(e) : e, first, last, false);
      i = last - 1;
    }
  }

  static bool IsStatusClass(const std::string& w) {
    return w.size() == 3 && w[1] == 'x' && w[2] == 'x' && w[0] >= '1' && w[0] <= '5';
  }

  static int PhraseLen(const char* p) {
    int n = 1;
    for (const char* c = p; *c; ++c) n += *c == ' ';
    return n;
  }

  std::string ValueOf(const std::string& field, const Token& t) {
    if (t.kind == Token::Kind::kQuoted) return t.raw;
    std::string v = t.lower;
    if (field == "level" || field == "severity") v = Singular(v);
    if (field == "country" && t.raw.size() == 2) return t.raw;
    // "country is Germany": countries are ISO codes, as everywhere here.
    if (field == "country" && Countries().count(v)) {
      Assume("the country is an ISO code (" + t.raw + " -> " + Countries().at(v) + ")");
      return Countries().at(v);
    }
    return v;
  }

  std::string FieldFor(const std::string& base) {
    if (lines_ && base == "level") return "level";
    return base;
  }

  // The field written before position i: "amount", "status code",
  // "cpu usage"; entity words ("orders") map to their usual field.
  std::string FieldBefore(int i, int* start) {
    static const std::set<std::string> kSkip = {"is", "are", "was", "with", "has", "have",
                                                 "whose", "where", "a", "an", "the", "its",
                                                 "their", "if", "when", "being", "be", "field"};
    int k = i - 1;
    while (k >= from_ && Word(k) && kSkip.count(L(k)) && !g_.at(k).clause_end) --k;
    *start = i;
    if (k < from_ || g_.at(k).used || g_.at(k).clause_end) return "";
    if (g_.at(k).kind == Token::Kind::kQuoted) {
      *start = k;
      return FieldName(g_.at(k).raw);
    }
    if (!Word(k)) return "";
    std::string w = L(k);
    // "EUR or GBP above 2k": a currency names the amount (the codes are a
    // condition of their own).
    if (IsCurrency(w)) return "amount";
    auto ent = EntityFields().find(w);
    // "pressure readings over 1,013": the measure names the field.
    if (ent != EntityFields().end() && k - 1 >= from_ && Word(k - 1) && !g_.at(k - 1).used &&
        CompoundTails().count(L(k - 1)) && !g_.at(k - 1).clause_end) {
      *start = k - 1;
      return FieldName(g_.at(k - 1).raw);
    }
    if (ent != EntityFields().end()) {
      *start = k;
      if (!ent->second.empty())
        Assume("'" + w + "' compared with a number means the field " + ent->second);
      return ent->second;
    }
    if (IsStopWord(w) || NotValues().count(w)) {
      if (w != "priority" && w != "severity" && w != "level" && w != "status") return "";
    }
    *start = k;
    std::string field = FieldName(g_.at(k).raw);
    if (Singular(w) != w && CompoundTails().count(Singular(w))) field = Singular(w);
    if (k - 1 >= from_ && Word(k - 1) && !g_.at(k - 1).used && !g_.at(k - 1).clause_end &&
        !IsStopWord(L(k - 1)) && CompoundTails().count(w) &&
        // "event type" is the generator's event_type, though "events" alone is no field.
        ((L(k - 1) == "event" && (w == "type" || w == "id" || w == "name")) ||
         (!EntityFields().count(L(k - 1)) && !NotValues().count(L(k - 1))))) {
      *start = k - 1;
      field = FieldName(g_.at(k - 1).raw + "_" + g_.at(k).raw);
    }
    return field;
  }

  // "from EU countries", "in Germany or France", "outside the EU".
  void CountryConditions() {
    std::vector<std::string> codes;
    int first = -1, last = -1;
    bool negate = false;
    for (int i = from_; i < to_; ++i) {
      if (!Free(i)) continue;
      const std::string& w = L(i);
      bool hit = false;
      if (w == "eu" || w == "european" || (w == "europe" && !g_.Has("north america"))) {
        for (const auto& c : EuCodes()) codes.push_back(c);
        hit = true;
        if (i > 0 && (L(i - 1) == "outside" || L(i - 1) == "non" || L(i - 1) == "non-eu"))
          negate = true;
        if (i > 1 && L(i - 1) == "the" && (L(i - 2) == "outside")) negate = true;
      } else if (w == "non-eu") {
        for (const auto& c : EuCodes()) codes.push_back(c);
        hit = negate = true;
      } else if (Countries().count(w)) {
        codes.push_back(Countries().at(w));
        hit = true;
      } else if (g_.at(i).raw == "US" || g_.at(i).raw == "UK") {
        codes.push_back(g_.at(i).raw == "US" ? "US" : "GB");
        hit = true;
      } else if (w == "united" && i + 1 < to_ && (L(i + 1) == "states" || L(i + 1) == "kingdom")) {
        codes.push_back(L(i + 1) == "states" ? "US" : "GB");
        Use(i + 1, i + 2);
        hit = true;
      }
      if (hit) {
        if (first < 0) first = i;
        last = i + 1;
      }
    }
    if (codes.empty()) return;
    if (last < to_ && (L(last) == "countries" || L(last) == "country")) ++last;
    negate = negate || (first > 0 && IsNegation(L(first - 1))) || Dropped(first);
    std::string e = InList("geo.country", codes, false);
    if (negate) e = "!(" + e + ")";
    Add(e, first, last, false);
    Assume("the country is the field geo.country (ISO codes, as the generator writes it)");
  }

  // "only errors", "error logs", "errors and warnings", "ignore debug logs".
  void Levels() {
    static const std::map<std::string, std::vector<std::string>> kLevels = {
        {"error", {"error"}},     {"errors", {"error"}},    {"warning", {"warn", "warning"}},
        {"warnings", {"warn", "warning"}}, {"warn", {"warn", "warning"}},
        {"fatal", {"fatal"}},     {"debug", {"debug"}},     {"exceptions", {"error"}},
        {"exception", {"error"}}};
    static const std::set<std::string> kAfter = {"log", "logs", "lines", "line", "events",
                                                 "messages", "entries", "only", "level",
                                                 "records"};
    static const std::set<std::string> kBefore = {"only", "keep", "just", "filter", "select",
                                                  "find", "extract", "show", "for"};
    static const std::set<std::string> kNotAfter = {"go", "goes", "to", "rate", "rates",
                                                    "handling", "queue", "file", "count",
                                                    "budget", "should", "into", "are"};
    std::vector<std::string> levels, negated;
    int first = -1, last = -1;
    for (int i = from_; i < to_; ++i) {
      if (!Free(i) || !Word(i)) continue;
      auto it = kLevels.find(L(i));
      if (it == kLevels.end()) continue;
      std::string next = i + 1 < g_.size() ? L(i + 1) : "";
      std::string prev = i > 0 ? L(i - 1) : "";
      // "send errors to X": a level word that ends a destination's subject.
      bool subject = i + 1 == to_ && to_ < g_.size() && (next == "to" || next == "into");
      if (kNotAfter.count(next) && !subject) continue;
      bool listed = !levels.empty() && i - last <= 2;
      bool neg = IsNegation(prev) || (i > 1 && L(i - 2) == "filter" && prev == "out") ||
                 Dropped(i);
      if (!(kAfter.count(next) || kBefore.count(prev) || listed || neg || subject ||
            (next == "and" || next == "or"))) continue;
      if (next == "and" || next == "or") {
        // "errors and warnings": the next word must be a level too.
        if (i + 2 >= g_.size() || !kLevels.count(L(i + 2))) {
          if (!(kAfter.count(next) || kBefore.count(prev) || listed || neg)) continue;
        }
      }
      for (const auto& l : it->second) (neg ? negated : levels).push_back(l);
      if (first < 0) first = i;
      last = i + 1;
      if (last < to_ && kAfter.count(L(last))) ++last;
    }
    if (levels.empty() && negated.empty()) return;
    auto build = [&](const std::vector<std::string>& ls, bool negate) {
      std::string e;
      if (lines_) {
        std::set<std::string> seen;
        for (const auto& l : ls) {
          std::string w = l == "warning" ? "" : l;
          if (w.empty() || !seen.insert(w).second) continue;
          e += (e.empty() ? "" : " || ") + std::string("message.lower().contains(") + Quote(w) + ")";
        }
        if (negate) e = "!(" + e + ")";
      } else {
        e = InList("level", ls, false);
        if (negate) e = ls.size() == 1 ? "level != " + Quote(ls[0]) : "!(" + e + ")";
      }
      return e;
    };
    Assume(lines_ ? "plain log lines: the level is found as a word in the message"
                  : "the log level is the field level");
    // Keeping some levels already drops the others: a negation adds nothing.
    if (!levels.empty()) Add(build(levels, false), first, last, false);
    else Add(build(negated, true), first, last, false);
  }

  // "priority high or critical", "high or critical priority", "severity: major".
  void CategoricalLists() {
    for (int i = from_; i < to_; ++i) {
      if (!Free(i) || !Word(i)) continue;
      std::string field = L(i);
      int fstart = i;
      if ((field == "event" || field == "log") && i + 1 < to_ &&
          (L(i + 1) == "type" || L(i + 1) == "level")) {
        field = field == "event" ? "event_type" : "level";
        ++i;
      }
      if (!Categorical().count(field) && field != "event_type") continue;
      {
        int p = fstart - 1;
        while (p >= 0 && Word(p) && Articles(L(p))) --p;
        if (p >= 0 && (L(p) == "to" || L(p) == "into" || L(p) == "for")) continue;
      }
      auto vocab = Vocab().find(field);
      std::vector<std::string> values;
      int last = i + 1;
      // Forward: FIELD [is|=|:] V (or V)*
      int j = i + 1;
      while (j < to_ && Word(j) && (L(j) == "is" || L(j) == "in" || L(j) == "equals" ||
                                    L(j) == "of" || L(j) == "level") && !g_.at(j - 1).clause_end)
        ++j;
      while (j < to_ && Free(j) && !g_.at(j - 1).clause_end) {
        const Token& t = g_.at(j);
        bool ok = t.kind == Token::Kind::kQuoted || t.kind == Token::Kind::kNumber ||
                  (t.kind == Token::Kind::kWord && !IsStopWord(t.lower) &&
                   !NotValues().count(t.lower) &&
                   (vocab == Vocab().end() || vocab->second.count(Singular(t.lower)) ||
                    vocab->second.count(t.lower)));
        if (!ok) break;
        values.push_back(t.kind == Token::Kind::kNumber ? Num(t.number) : ValueOf(field, t));
        last = j + 1;
        if (j + 1 < to_ && (L(j + 1) == "or" || L(j + 1) == "and" || L(j + 1) == "nor") &&
            !t.clause_end) {
          j += 2;
        } else if (t.comma_after) {
          j += 1;
        } else {
          break;
        }
      }
      int first = fstart;
      // Backward: V (or V)* FIELD, only with a known vocabulary.
      if (values.empty() && vocab != Vocab().end()) {
        int k = fstart - 1;
        while (k >= from_ && Free(k) && Word(k)) {
          if (L(k) == "or" || L(k) == "and" || g_.at(k).comma_after) {
            if (L(k) == "or" || L(k) == "and") {
              --k;
              continue;
            }
          }
          if (!vocab->second.count(L(k))) break;
          values.insert(values.begin(), L(k));
          first = k;
          --k;
        }
        last = i + 1;
      }
      if (values.empty()) continue;
      bool numeric = true;
      for (const auto& v : values)
        numeric = numeric && !v.empty() && (std::isdigit(static_cast<unsigned char>(v[0])) != 0);
      std::string f = field;
      bool negate = (first > 0 && IsNegation(L(first - 1))) || Dropped(first);
      std::string e = InList(f, values, numeric);
      if (negate) e = "!(" + e + ")";
      if (lines_ && (f == "level" || f == "severity")) {
        e.clear();
        for (const auto& v : values)
          e += (e.empty() ? "" : " || ") + std::string("message.lower().contains(") + Quote(v) + ")";
        if (negate) e = "!(" + e + ")";
      }
      Add(e, first, last, false);
    }
  }

  // "containing 'timeout'", "that mention refund or chargeback".
  void Contains() {
    static const std::set<std::string> kVerbs = {"containing", "contains", "contain",
                                                 "mentioning", "mention",  "mentions",
                                                 "matching",   "including", "word", "keyword",
                                                 "about"};
    static const std::set<std::string> kNot = {"json", "text", "data", "fields", "field",
                                               "orders", "events", "logs", "records",
                                               "transactions", "lines", "messages", "entries",
                                               "tickets", "feedback", "information", "details",
                                               "numbers", "urls", "emails", "pii", "errors"};
    std::string field = "message";
    for (int i = from_; i < to_; ++i) {
      if (!Free(i) || !Word(i) || !kVerbs.count(L(i))) continue;
      if (L(i) == "about" && !(i > 0 && (L(i - 1) == "complaining" || L(i - 1) == "talking")))
        continue;
      std::vector<std::string> words;
      int j = i + 1;
      if (j < to_ && (L(j) == "the" || L(j) == "a")) ++j;
      if (j < to_ && (L(j) == "word" || L(j) == "words" || L(j) == "keyword" ||
                      L(j) == "keywords" || L(j) == "text" || L(j) == "phrase") &&
          j + 1 < to_ && !g_.at(j).clause_end)
        ++j;
      int last = j;
      while (j < to_ && Free(j)) {
        const Token& t = g_.at(j);
        bool ok = t.kind == Token::Kind::kQuoted ||
                  (t.kind == Token::Kind::kWord && !IsStopWord(t.lower) && !kNot.count(t.lower));
        if (!ok) break;
        words.push_back(t.kind == Token::Kind::kQuoted ? t.raw : t.lower);
        last = j + 1;
        if (t.clause_end) break;
        if (j + 1 < to_ && L(j + 1) == "or") {
          j += 2;
        } else if (t.comma_after && j + 1 < to_ && L(j + 1) != "and") {
          j += 1;
        } else {
          break;
        }
      }
      if (words.empty()) continue;
      std::string e;
      for (const auto& w : words) {
        std::string lw;
        for (unsigned char ch : w) lw += static_cast<char>(std::tolower(ch));
        e += (e.empty() ? "" : " || ") + field + ".lower().contains(" + Quote(lw) + ")";
      }
      if (words.size() > 1) e = "(" + e + ")";
      bool negate = (i > 0 && (L(i - 1) == "not" || L(i - 1) == "without")) || Dropped(i);
      // Dropping lines that mention X keeps the lines without it (and those
      // without a message at all); keeping them needs the field.
      e = negate ? "!has(" + field + ") || !" + e : "has(" + field + ") && " + e;
      Add(e, i, last, false);
      Assume("the text searched is the field " + field);
    }
  }

  Goal& g_;
  int from_, to_;
  bool lines_;
  std::vector<std::string>* why_;
  std::vector<std::string>* assumptions_;
  std::vector<ClauseVerb>* descriptive_;
  struct Found {
    std::string expr;
    int a, b;
    ClauseVerb verb;  // of the clause the condition was read in
    bool dropped;     // read in a dropping clause (already negated)
  };
  std::vector<Found> found_;
  std::string last_field_;  // of the last comparison, for "above 1 or below -1"
  int last_end_ = -1;
  static bool Articles(const std::string& w) { return w == "the" || w == "a" || w == "an" || w == "our"; }
};

}  // namespace conditions_impl

std::vector<std::string> ExtractConditions(Goal& goal, int from, int to, bool lines,
                                           std::vector<std::string>* why,
                                           std::vector<std::string>* assumptions,
                                           std::vector<ClauseVerb>* descriptive) {
  conditions_impl::Extractor x(goal, from, to, lines, why, assumptions, descriptive);
  return x.Run();
}

}  // namespace flowctl::ai::planner
