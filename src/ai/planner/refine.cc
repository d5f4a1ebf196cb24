// Intent extraction, part 4: the conditions found are checked against what
// the pipeline really carries, and the goal against what was understood.
// - A condition on a field an AI node writes uses that field's name and
//   type (sentiment is a number, its label sentiment_label; urgent is a
//   boolean; a category must be one the classifier can choose).
// - A condition that only names an analysis ("detect negative sentiment")
//   or repeats what a destination selects is not also a stream filter.
// - On plain text lines ({message: LINE}) a condition on a field becomes a
//   search in the line where one can express it (5xx, status 404, a word),
//   else a warning says it will fail.
// - A clause of the goal nothing was made of gets a warning naming it.
#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "connectors.h"

namespace flowctl::ai::planner {
namespace refine_impl {

bool HasTask(const Intent& in, const std::string& task) {
  return std::find(in.ai_tasks.begin(), in.ai_tasks.end(), task) != in.ai_tasks.end();
}

std::string ReplaceAll(std::string s, const std::regex& re, const std::string& with) {
  return std::regex_replace(s, re, with);
}

// The label a sentiment word means: "happy" is positive, "angry" negative.
std::string SentimentLabel(const std::string& v) {
  static const std::set<std::string> kPos = {"positive", "happy", "satisfied", "pleased", "good"};
  static const std::set<std::string> kNeu = {"neutral", "mixed"};
  if (kPos.count(v)) return "positive";
  if (kNeu.count(v)) return "neutral";
  return "negative";
}

// The ai-processor's priority scale is low|medium|high|critical.
std::string PriorityValue(const std::string& v) {
  static const std::map<std::string, std::string> k = {
      {"p0", "critical"},      {"p1", "high"},       {"p2", "medium"},
      {"p3", "low"},           {"normal", "medium"}, {"urgent", "critical"},
      {"blocker", "critical"}, {"minor", "low"},     {"major", "high"}};
  auto it = k.find(v);
  return it == k.end() ? v : it->second;
}

// Rewrites each quoted value of `field` in c (field == 'v', field in ['a', 'b']).
std::string MapValues(const std::string& c, const std::string& field,
                      std::string (*map)(const std::string&)) {
  std::regex eq("\\b" + field + " (==|!=) '([^']*)'");
  std::regex list("\\b" + field + " in \\[([^\\]]*)\\]");
  std::string out;
  std::smatch m;
  std::string s = c;
  while (std::regex_search(s, m, eq)) {
    out += m.prefix().str() + field + " " + m[1].str() + " '" + map(m[2].str()) + "'";
    s = m.suffix().str();
  }
  s = out + s;
  out.clear();
  while (std::regex_search(s, m, list)) {
    std::string items = m[1].str(), mapped;
    std::regex item("'([^']*)'");
    std::set<std::string> seen;
    for (std::sregex_iterator it(items.begin(), items.end(), item), end; it != end; ++it) {
      std::string v = map((*it)[1].str());
      if (seen.insert(v).second) mapped += (mapped.empty() ? "'" : ", '") + v + "'";
    }
    out += m.prefix().str() + field + " in [" + mapped + "]";
    s = m.suffix().str();
  }
  return out + s;
}

// Conditions on AI output fields, in the fields' real names and types.
std::string FixAiFields(const std::string& c_in, Intent* in) {
  std::string c = c_in;
  if (HasTask(*in, "sentiment")) {
    // sentiment is a number in -1..1; a word compares with sentiment_label.
    c = ReplaceAll(c, std::regex("\\bsentiment_score\\b"), "sentiment");
    c = ReplaceAll(c, std::regex("\\bsentiment (==|!=) '"), "sentiment_label $1 '");
    c = ReplaceAll(c, std::regex("\\bsentiment in \\["), "sentiment_label in [");
    c = MapValues(c, "sentiment_label", SentimentLabel);
  }
  if (HasTask(*in, "priority")) {
    // "urgent" is the boolean urgent, not a priority value.
    c = ReplaceAll(c, std::regex("\\bpriority == 'urgent'"), "urgent == true");
    c = ReplaceAll(c, std::regex("\\bpriority != 'urgent'"), "urgent != true");
    c = MapValues(c, "priority", PriorityValue);
  }
  if (in->ml) {
    // The shipped model's output is named fraud: fraud_score, fraud_flag.
    c = ReplaceAll(c, std::regex("\\b(risk|anomaly|ml|model)_(score|flag)\\b"), "fraud_$2");
  }
  if (HasTask(*in, "classify") && !in->categories.empty()) {
    // A category nobody can be classified into never matches: offer it.
    std::regex cat("\\bcategory (==|!=) '([^']*)'");
    for (std::sregex_iterator it(c.begin(), c.end(), cat), end; it != end; ++it) {
      std::string v = (*it)[2].str();
      if (std::find(in->categories.begin(), in->categories.end(), v) == in->categories.end()) {
        in->categories.push_back(v);
        in->assumptions.push_back("the category '" + v +
                                  "' the goal tests is added to the "
                                  "classifier's categories");
      }
    }
  }
  return c;
}

// The fields an expression reads (quoted text and function names left out).
std::set<std::string> FieldsOf(const std::string& c) {
  static const std::regex kQuoted("'([^'\\\\]|\\\\.)*'");
  static const std::regex kIdent("[A-Za-z_][A-Za-z0-9_.]*");
  static const std::set<std::string> kWords = {"true", "false", "null", "in"};
  std::string s = std::regex_replace(c, kQuoted, "''");
  std::set<std::string> out;
  for (std::sregex_iterator it(s.begin(), s.end(), kIdent), end; it != end; ++it) {
    size_t after = static_cast<size_t>(it->position() + it->length());
    size_t before = static_cast<size_t>(it->position());
    std::string id = it->str();
    if (before > 0 && s[before - 1] == '.') continue;  // a method
    if (after < s.size() && s[after] == '(') {
      // message.lower( reads message; lower( alone is a function.
      size_t dot = id.rfind('.');
      if (dot == std::string::npos) continue;
      id = id.substr(0, dot);
    }
    if (!kWords.count(id)) out.insert(id);
  }
  return out;
}

// True when every field c reads is one an AI node of this goal writes.
bool OnlyAiFields(const std::string& c, const Intent& in) {
  std::set<std::string> ai;
  if (HasTask(in, "sentiment")) ai.insert({"sentiment", "sentiment_label"});
  if (HasTask(in, "priority")) ai.insert({"priority", "urgent"});
  if (HasTask(in, "classify")) ai.insert("category");
  if (in.ml) ai.insert({"fraud_flag", "fraud_score"});
  auto fields = FieldsOf(c);
  if (fields.empty()) return false;
  for (const auto& f : fields)
    if (!ai.count(f)) return false;
  return true;
}

// An HTTP status condition (status >= 500 && status < 600, status == 404)
// as a regex on an access-log line; "" if it is not one or has no regex.
std::string StatusRegex(const std::string& c, bool* negate) {
  static const std::regex kPart(
      R"(^(status|status_code|code|http_status|response_code) (==|!=|>=|>|<=|<) (\d+)$)");
  int lo = 100, hi = 599;
  *negate = false;
  // "!(status >= 200 && status < 300)": not 2xx.
  if (c.size() > 3 && c.compare(0, 2, "!(") == 0 && c.back() == ')' &&
      c.find('(', 2) == std::string::npos) {
    std::string re = StatusRegex(c.substr(2, c.size() - 3), negate);
    if (re.empty() || *negate) return "";
    *negate = true;
    return re;
  }
  size_t b = 0;
  while (b <= c.size()) {
    size_t e = c.find(" && ", b);
    std::string part = c.substr(b, e == std::string::npos ? std::string::npos : e - b);
    std::smatch m;
    if (!std::regex_match(part, m, kPart)) return "";
    int n = std::stoi(m[3].str());
    std::string op = m[2].str();
    if (op == "==" || op == "!=") lo = std::max(lo, n), hi = std::min(hi, n);
    if (op == "!=") *negate = true;
    if (op == ">=") lo = std::max(lo, n);
    if (op == ">") lo = std::max(lo, n + 1);
    if (op == "<=") hi = std::min(hi, n);
    if (op == "<") hi = std::min(hi, n - 1);
    if (e == std::string::npos) break;
    b = e + 4;
  }
  if (*negate && c.find("&&") != std::string::npos) return "";
  std::string code;
  if (lo > hi) return "";
  if (lo == hi) {
    code = std::to_string(lo);
  } else if (lo % 100 == 0 && hi % 100 == 99) {
    int a = lo / 100, z = hi / 100;
    code = (a == z ? std::to_string(a) : "[" + std::to_string(a) + "-" + std::to_string(z) + "]") +
           "[0-9][0-9]";
  } else if (lo / 100 == hi / 100 && lo % 10 == 0 && hi % 10 == 9) {
    int a = lo / 10 % 10, z = hi / 10 % 10;
    code = std::to_string(lo / 100) +
           (a == z ? std::to_string(a) : "[" + std::to_string(a) + "-" + std::to_string(z) + "]") +
           "[0-9]";
  } else {
    return "";
  }
  // The status follows the quoted request in the common/combined log
  // format ("GET / HTTP/1.1" 503 ...) or a status= / status: key; a bare
  // number would also match the byte count.
  return "(?i)(\" |status[=: ]+)" + code + "( |,|$)";
}

// A condition written for structured events, for {text: LINE} events:
// true and *c rewritten when the line can be searched for it.
bool OnLines(std::string* c, const std::string& text, Intent* in) {
  static const std::regex kNumEq(R"(^([a-z_][a-z0-9_.]*) == (-?\d+)$)");
  static const std::regex kStrEq(R"(^([a-z_][a-z0-9_.]*) (==|!=) '([^'\\]*)'$)");
  static const std::regex kStrIn(
      R"(^(!\()?([a-z_][a-z0-9_.]*) in \[('[^'\\]*'(, '[^'\\]*')*)\]\)?$)");
  bool negate = false;
  std::string re = StatusRegex(*c, &negate);
  std::smatch m;
  std::string was = *c;
  if (!re.empty()) {
    *c = std::string(negate ? "!" : "") + text + ".matches(" + Quote(re) + ")";
    in->assumptions.push_back("plain lines have no fields: '" + was +
                              "' is read as the HTTP status "
                              "in the line (after the quoted request, or status=)");
    return true;
  }
  if (std::regex_match(*c, m, kNumEq) && m[1].str() != text) {
    *c = text + ".contains(' " + m[2].str() + " ')";
  } else if (std::regex_match(*c, m, kStrEq) && m[1].str() != "geo.country") {
    std::string v = m[3].str();
    for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    *c = std::string(m[2].str() == "!=" ? "!" : "") + text + ".lower().contains(" + Quote(v) + ")";
  } else if (std::regex_match(*c, m, kStrIn) && m[2].str() != "geo.country") {
    std::string items = m[3].str(), e;
    std::regex item("'([^']*)'");
    for (std::sregex_iterator it(items.begin(), items.end(), item), end; it != end; ++it) {
      std::string v = (*it)[1].str();
      for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      e += (e.empty() ? "" : " || ") + text + ".lower().contains(" + Quote(v) + ")";
    }
    *c = m[1].matched ? "!(" + e + ")" : "(" + e + ")";
  } else {
    return false;
  }
  in->assumptions.push_back("plain lines have no fields: '" + was +
                            "' is read as the line "
                            "containing the value (" +
                            *c + ")");
  return true;
}

bool OnText(const std::string& c, const std::string& text) {
  auto f = FieldsOf(c);
  return f.size() == 1 && *f.begin() == text;
}

void RewriteForLines(std::string* c, Intent* in) {
  std::string text = in->source_config.value("field", "message");
  if (c->empty() || OnText(*c, text) || c->find("id %") != std::string::npos) return;
  if (OnlyAiFields(*c, *in)) return;  // written by an AI node on the way
  if (OnLines(c, text, in)) return;
  in->warnings.push_back("the condition '" + *c +
                         "' needs structured events, but the input is "
                         "plain lines ({" +
                         text +
                         ": LINE}); it will fail on every line (to "
                         "the dead-letter file). Nearest: JSON lines input, or lines holding "
                         "JSON (parse-json)");
}

// Words that begin a new step in a list of steps ("..., then X", "and Y").
bool StepVerb(const std::string& w) {
  static const std::set<std::string> k = {
      "read",      "keep",     "drop",      "send",      "write",    "route",    "filter",
      "remove",    "exclude",  "ignore",    "discard",   "skip",     "dedupe",   "deduplicate",
      "summarize", "classify", "detect",    "extract",   "identify", "compute",  "calculate",
      "convert",   "rename",   "mask",      "redact",    "flag",     "score",    "analyze",
      "tag",       "enrich",   "forward",   "alert",     "notify",   "email",    "aggregate",
      "count",     "join",     "translate", "add",       "store",    "save",     "print",
      "output",    "emit",     "publish",   "push",      "archive",  "escalate", "page",
      "trigger",   "call",     "post",      "upload",    "sort",     "group",    "normalize",
      "validate",  "reject",   "retry",     "merge",     "encrypt",  "compress", "batch",
      "buffer",    "index",    "lookup",    "correlate", "schedule", "sample",   "limit",
      "throttle",  "track",    "monitor",   "report",    "log",      "append",   "split"};
  return k.count(w) > 0;
}

bool Filler(const Token& t) {
  static const std::set<std::string> k = {
      "events",    "event",    "data",         "records", "record",  "messages",   "message",
      "items",     "entries",  "lines",        "line",    "stuff",   "everything", "anything",
      "stream",    "streams",  "flow",         "job",     "finally", "like",       "let's",
      "i'd",       "process",  "processes",    "handle",  "handles", "new",        "incoming",
      "real-time", "realtime", "continuously", "also",    "them",    "then",       "first",
      "next",      "lastly",   "afterwards",   "results", "result",  "file",       "files",
      "output"};
  if (t.kind == Token::Kind::kSymbol) return true;
  return IsStopWord(t.lower) || k.count(t.lower) > 0;
}

std::string ClauseText(const Goal& g, int a, int b) {
  std::string s;
  for (int k = a; k < b; ++k) s += (s.empty() ? "" : " ") + g.at(k).raw;
  return s;
}

// "keep readings under 15%, send them to low.jsonl and the rest to
// normal.jsonl": with a destination for the rest, the kept events are what
// the one other destination selects, not a filter that starves the rest.
void SelectForTheOne(Intent* in) {
  if (in->conditions.empty() || in->semantic_routing) return;
  Output* plain = nullptr;
  bool rest = false;
  for (auto& o : in->outputs) {
    if (o.rest) {
      rest = true;
    } else if (o.condition.empty() && o.category.empty()) {
      if (plain != nullptr) return;
      plain = &o;
    } else {
      return;
    }
  }
  if (!rest || plain == nullptr) return;
  std::string c;
  for (const auto& x : in->conditions)
    c += (c.empty() ? "" : " && ") +
         (in->conditions.size() > 1 && x.find("||") != std::string::npos ? "(" + x + ")" : x);
  plain->condition = c;
  in->assumptions.push_back("the events kept (" + c + ") go to " +
                            (plain->path.empty() ? "stdout" : plain->path) +
                            "; the rest go to the destination for the rest");
  in->conditions.clear();
  in->condition_why.clear();
}

// The escalation queue added for "urgent" is not needed when the goal
// already keeps only urgent events.
void DropImpliedEscalation(Intent* in) {
  bool urgent_filter = false;
  for (const auto& c : in->conditions)
    urgent_filter = urgent_filter || c.find("urgent") != std::string::npos;
  if (!urgent_filter) return;
  in->outputs.erase(std::remove_if(in->outputs.begin(), in->outputs.end(),
                                   [](const Output& o) { return o.id == "urgent-escalations"; }),
                    in->outputs.end());
}

}  // namespace refine_impl

void RefineConditions(Intent* in, const std::vector<ClauseVerb>& verbs) {
  using namespace refine_impl;
  for (auto& c : in->conditions) c = FixAiFields(c, in);
  for (auto& o : in->outputs) o.condition = FixAiFields(o.condition, in);
  std::vector<std::string> conds, why;
  for (size_t i = 0; i < in->conditions.size(); ++i) {
    const std::string& c = in->conditions[i];
    std::string w = i < in->condition_why.size() ? in->condition_why[i] : "";
    ClauseVerb verb = i < verbs.size() ? verbs[i] : ClauseVerb::kNone;
    bool describes =
        (verb == ClauseVerb::kDescribe || verb == ClauseVerb::kMark) && OnlyAiFields(c, *in);
    bool routed = false;
    for (const auto& o : in->outputs) routed = routed || o.condition == c;
    if (verb == ClauseVerb::kMark && !describes) {
      // "flag payments over $10,000": every event goes on, with the answer.
      std::string f = in->set.contains("flagged") ? "flagged_" + std::to_string(i) : "flagged";
      in->set[f] = c;
      in->transform_why.push_back(w + " -> " + f);
      in->assumptions.push_back(w + " marks events in the field " + f +
                                " (true/false) rather "
                                "than dropping the others");
    } else if (describes) {
      in->assumptions.push_back(w + " names what the AI node finds (" + c +
                                "), not a filter: "
                                "no event is dropped for it");
    } else if (routed) {
      in->assumptions.push_back(w + " is what a destination selects (" + c +
                                "); it is not "
                                "also a filter on the whole stream");
    } else {
      conds.push_back(c);
      why.push_back(w);
    }
  }
  in->conditions = conds;
  in->condition_why = why;
  SelectForTheOne(in);
  DropImpliedEscalation(in);
  if (in->lines && !in->parse_json) {
    for (auto& c : in->conditions) RewriteForLines(&c, in);
    for (auto& o : in->outputs) RewriteForLines(&o.condition, in);
  }
}

void NoteLostClauses(const Goal& g, Intent* in) {
  using namespace refine_impl;
  // Clauses: split at ". ; :" and commas, before "then", and before
  // "and/or/but" + a step verb ("drop X and deduplicate by Y").
  int a = 0;
  for (int i = 0; i <= g.size(); ++i) {
    bool cut = i == g.size();
    if (!cut && i > a) {
      const Token& prev = g.at(i - 1);
      const std::string& w = g.at(i).lower;
      std::string next = i + 1 < g.size() ? g.at(i + 1).lower : "";
      cut = prev.clause_end || prev.comma_after || w == "then" ||
            ((w == "and" || w == "or" || w == "but") && StepVerb(next));
    }
    if (!cut) continue;
    bool understood = false, content = false;
    for (int k = a; k < i; ++k) {
      const Token& t = g.at(k);
      understood = understood || t.used || t.seen;
      content = content || !Filler(t);
    }
    if (content && !understood)
      in->warnings.push_back("nothing in the pipeline does '" + ClauseText(g, a, i) +
                             "': the planner did not understand that part of the goal; "
                             "rephrase it (e.g. \"keep events where FIELD > N\") or add the "
                             "step to the YAML by hand");
    // A number the goal gives is a threshold, a count or a budget: one no
    // rule used is a lost part of the goal even inside an understood clause.
    for (int k = a; k < i && understood; ++k) {
      const Token& t = g.at(k);
      if (t.kind == Token::Kind::kNumber && !t.used && !t.seen)
        in->warnings.push_back("the number " + t.raw + " in '" + ClauseText(g, a, i) +
                               "' is not used by any node: the planner did not understand "
                               "what it applies to; check the YAML");
    }
    a = i;
  }
}

}  // namespace flowctl::ai::planner
