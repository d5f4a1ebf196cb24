// Intent extraction, part 3: where events go. Every "SUBJECT to TARGET"
// in the goal is read: the target (a file, stdout, a dead-letter queue, a
// connector that does not exist, named teams or "the appropriate teams")
// and the subject (a condition, a category, "the rest", failures).
#include <algorithm>
#include <set>

#include "connectors.h"

namespace flowctl::ai::planner {
namespace outputs_impl {

struct Target {
  enum class Kind { kNone, kPath, kStdout, kDeadLetter, kConnector, kTeams };
  Kind kind = Kind::kNone;
  std::string path;
  std::vector<std::string> teams;  // named teams; empty with kTeams = "the appropriate teams"
  const Connector* connector = nullptr;
  std::string object;
  int end = 0;
};

const std::set<std::string>& TeamWords() {
  static const std::set<std::string> k = {"team",   "teams",   "queue",      "queues",
                                          "department", "departments", "desk", "desks",
                                          "group",  "groups",  "agents",     "squad",
                                          "squads", "channel", "channels",   "owners",
                                          "staff",  "inbox",   "inboxes",    "people"};
  return k;
}
const std::set<std::string>& RoutingVerbs() {
  static const std::set<std::string> k = {
      "send",     "sends",     "route",    "routes",   "routing",  "forward",  "forwards",
      "escalate", "escalates", "dispatch", "dispatches", "assign", "assigns",  "direct",
      "directs",  "deliver",   "delivers", "push",     "pushes",   "hand",     "notify",
      "alert",    "go",       "goes",     "sent",     "routed",   "forwarded"};
  return k;
}
const std::set<std::string>& ItemNouns() {
  static const std::set<std::string> k = {
      "issues",   "issue",   "problems", "problem", "tickets",    "ticket",   "requests",
      "request",  "questions", "question", "complaints", "complaint", "cases", "case",
      "inquiries", "queries", "bugs",    "bug",     "messages",   "emails",   "reports",
      "incidents", "feedback", "topics", "related", "matters",    "concerns", "errors"};
  return k;
}
const std::set<std::string>& Articles() {
  static const std::set<std::string> k = {"the", "a", "an", "our", "their", "its", "separate",
                                          "different", "respective", "corresponding",
                                          "dedicated", "own", "individual"};
  return k;
}

std::string OutPath(const std::string& stem) { return "out/" + Slug(stem) + ".jsonl"; }

std::string StemOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.find('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  std::string s = Slug(base);
  return s.empty() ? "out" : s;
}

class Reader {
 public:
  Reader(Goal& g, const Registry& registry, Intent* in) : g_(g), reg_(registry), in_(in) {}

  void Run() {
    ConnectorVerbs();
    int prev_end = 0;
    for (int i = 0; i < g_.size(); ++i) {
      if (g_.at(i).used) continue;
      const std::string& w = L(i);
      bool to = w == "to" || w == "into" || w == "onto";
      bool near_path = (w == "in" || w == "as" || w == "at" || w == "under") && i + 1 < g_.size() &&
                       g_.at(i + 1).kind == Token::Kind::kPath;
      if (!to && !near_path) continue;
      if (i > 0 && (L(i - 1) == "up" || L(i - 1) == "due" || L(i - 1) == "how" ||
                    L(i - 1) == "want" || L(i - 1) == "need")) continue;
      int start = SubjectStart(i, prev_end);
      Target t = TargetAt(i + 1, start, i, w == "to");
      if (t.kind == Target::Kind::kNone) continue;
      Handle(t, start, i);
      for (int k = start; k < i; ++k)
        if (!g_.at(k).used) g_.tokens[static_cast<size_t>(k)].subject_only = true;
      Use(start, t.end);
      prev_end = t.end;
      i = t.end - 1;
    }
    Leftovers();
    RoutesByField();
    Finish();
  }

 private:
  const std::string& L(int i) const { return g_.at(i).lower; }
  void Use(int a, int b) {
    for (int k = std::max(0, a); k < b && k < g_.size(); ++k) g_.tokens[static_cast<size_t>(k)].used = true;
  }
  bool Word(int i) const { return i >= 0 && i < g_.size() && g_.at(i).kind == Token::Kind::kWord; }

  int SubjectStart(int i, int prev_end) {
    int k = i;
    while (k > prev_end && !g_.at(k - 1).clause_end && !g_.at(k - 1).comma_after) --k;
    // "X to A and Y to B": Y starts after the "and" that follows a target.
    return k;
  }

  Target TargetAt(int j, int subj_a, int subj_b, bool plain_to) {
    Target t;
    while (j < g_.size() && Articles().count(L(j))) ++j;
    if (j >= g_.size()) return t;
    const Token& tok = g_.at(j);
    t.end = j + 1;
    if (tok.kind == Token::Kind::kPath) {
      if (tok.lower.find(".md") != std::string::npos || tok.used) return t;
      t.kind = Target::Kind::kPath;
      t.path = tok.raw;
      return t;
    }
    const std::string& w = tok.lower;
    if (w == "stdout" || w == "console" || w == "terminal" || w == "screen" ||
        (w == "standard" && j + 1 < g_.size() && L(j + 1) == "output")) {
      t.kind = Target::Kind::kStdout;
      if (w == "standard") ++t.end;
      return t;
    }
    if (w == "dlq" || w == "dead-letter" || w == "quarantine" ||
        (w == "dead" && j + 1 < g_.size() && (L(j + 1) == "letter" || L(j + 1) == "letters"))) {
      t.kind = Target::Kind::kDeadLetter;
      int k = j + 1;
      while (k < g_.size() && k < j + 5 && g_.at(k).kind != Token::Kind::kPath &&
             !g_.at(k - 1).clause_end)
        ++k;
      if (k < g_.size() && g_.at(k).kind == Token::Kind::kPath) {
        t.path = g_.at(k).raw;
        t.end = k + 1;
      } else {
        t.end = j + ((w == "dead") ? 2 : 1);
        if (t.end < g_.size() && (L(t.end) == "queue" || L(t.end) == "file")) ++t.end;
      }
      return t;
    }
    int len = 1;
    if (const Connector* c = ConnectorAt(g_, j, &len)) {
      t.kind = Target::Kind::kConnector;
      t.connector = c;
      t.object = ConnectorObjectName(g_, j, len);
      t.end = j + len;
      if (!t.object.empty()) {
        while (t.end < g_.size() && t.end < j + len + 3 && !g_.at(t.end - 1).clause_end &&
               Slug(g_.at(t.end).raw) != t.object)
          ++t.end;
        ++t.end;
        t.end = std::min(t.end, g_.size());
      }
      return t;
    }
    // Teams.
    static const std::set<std::string> kGeneric = {"appropriate", "right", "relevant", "correct",
                                                   "responsible", "matching", "proper", "best",
                                                   "suitable", "concerned"};
    if (kGeneric.count(w)) {
      int k = j + 1;
      while (k < g_.size() && k < j + 4 && !TeamWords().count(L(k))) ++k;
      if (k < g_.size() && TeamWords().count(L(k))) {
        t.kind = Target::Kind::kTeams;
        t.end = k + 1;
        return t;
      }
      return t;
    }
    // "teams X, Y and Z" / "the billing, technical and sales teams" / "finance".
    if (TeamWords().count(w) && w.back() == 's') {
      int end = j + 1;
      auto names = ListFrom(j + 1, &end);
      if (!names.empty()) {
        t.kind = Target::Kind::kTeams;
        t.teams = names;
        t.end = end;
      }
      return t;
    }
    int end = j;
    auto names = ListFrom(j, &end);
    bool team_word = end < g_.size() && TeamWords().count(L(end));
    if (names.empty()) return t;
    bool routing = team_word;
    for (int k = subj_a; k < subj_b; ++k)
      if (RoutingVerbs().count(L(k)) || (plain_to && ItemNouns().count(L(k)))) routing = true;
    if (!routing) return t;
    // Words that are verbs or field values are not teams ("convert to usd").
    static const std::set<std::string> kNotTeams = {"identify", "extract", "detect", "classify",
                                                    "usd", "eur", "json", "lowercase",
                                                    "uppercase", "disk", "output", "file",
                                                    "them", "it", "be", "make", "help"};
    for (const auto& n : names)
      if (kNotTeams.count(n)) return t;
    t.kind = Target::Kind::kTeams;
    t.teams = names;
    t.end = team_word ? end + 1 : end;
    // An explicit file for the team: "to finance (finance.jsonl)".
    if (t.end < g_.size() && g_.at(t.end).kind == Token::Kind::kPath && names.size() == 1) {
      t.path = g_.at(t.end).raw;
      ++t.end;
    } else if (t.end + 1 < g_.size() && (L(t.end) == "in" || L(t.end) == "at") &&
               g_.at(t.end + 1).kind == Token::Kind::kPath && names.size() == 1) {
      t.path = g_.at(t.end + 1).raw;
      t.end += 2;
    }
    return t;
  }

  std::vector<std::string> ListFrom(int j, int* end) {
    std::vector<std::string> names;
    int k = j;
    while (k < g_.size()) {
      const Token& t = g_.at(k);
      if (t.lower == "and" || t.lower == "or") {
        ++k;
        continue;
      }
      if (!(t.kind == Token::Kind::kWord || t.kind == Token::Kind::kQuoted) ||
          IsStopWord(t.lower) || TeamWords().count(t.lower) || RoutingVerbs().count(t.lower))
        break;
      names.push_back(Slug(t.kind == Token::Kind::kQuoted ? t.raw : t.lower));
      ++k;
      if (t.clause_end) break;
      // "finance, technical problems to X": a new subject starts after the separator.
      if (NewSubjectAt(t.comma_after ? k : k + 1)) break;
      if (!t.comma_after && !(k < g_.size() && (L(k) == "and" || L(k) == "or"))) break;
      // "X and then ..." ends the list.
      if (k + 1 < g_.size() && (L(k) == "and") && !Word(k + 1)) break;
      if (k + 1 < g_.size() && L(k) == "and" && RoutingVerbs().count(L(k + 1))) break;
    }
    *end = k;
    return names;
  }

  bool NewSubjectAt(int k) const {
    for (int x = k; x < g_.size() && x < k + 4; ++x) {
      if (L(x) == "to" || L(x) == "into") return x > k;
      if (g_.at(x).comma_after || g_.at(x).clause_end) return false;
    }
    return false;
  }

  struct Subject {
    std::string condition;
    std::string category;
    bool rest = false;
    bool failure = false;
    bool exclusive = false;
    std::string why;
  };

  Subject Read(int a, int b) {
    Subject s;
    for (int k = a; k < b; ++k) s.why += (s.why.empty() ? "" : " ") + g_.at(k).raw;
    auto has = [&](std::initializer_list<const char*> ws) {
      for (int k = a; k < b; ++k)
        for (const char* w : ws)
          if (L(k) == w) return k;
      return -1;
    };
    s.exclusive = has({"keep", "keeps", "only", "just", "filter", "select", "exclusively",
                       "solely", "drop", "exclude", "ignore", "discard", "remove", "skip"}) >= 0;
    int fw = has({"failed", "failing", "malformed", "invalid", "unparseable", "unparsable",
                  "poison", "rejected", "broken", "corrupt"});
    static const std::set<std::string> kFailedThings = {
        "events", "lines", "records", "messages", "rows", "items", "ones", "entries", "data",
        "json", "input", "documents", "payloads", "parses", "deliveries", "writes"};
    bool failed_things = fw >= 0 && fw + 1 < b && kFailedThings.count(L(fw + 1));
    if (failed_things || has({"failures"}) >= 0 ||
        ((has({"processing", "parse", "parsing"}) >= 0) && has({"errors", "error"}) >= 0) ||
        (has({"bad"}) >= 0 && has({"records", "lines", "events", "rows", "data"}) >= 0)) {
      s.failure = true;
      return s;
    }
    if (has({"rest", "else", "others", "remaining", "otherwise", "remainder", "unmatched",
             "non-matching", "everything"}) >= 0) {
      if (has({"rest", "else", "others", "remaining", "otherwise", "remainder", "unmatched",
               "non-matching"}) >= 0) {
        s.rest = true;
        return s;
      }
    }
    if (has({"urgent", "escalations", "emergencies", "critical"}) >= 0 &&
        has({"priority", "severity", "level"}) < 0 &&
        std::find(in_->ai_tasks.begin(), in_->ai_tasks.end(), "priority") != in_->ai_tasks.end()) {
      s.condition = "urgent == true || priority == 'critical'";
      return s;
    }
    if (has({"urgent", "escalations", "emergencies"}) >= 0) {
      AddPriority();
      s.condition = "urgent == true || priority == 'critical'";
      return s;
    }
    if (has({"critical"}) >= 0 && has({"priority", "severity", "level"}) < 0 &&
        !g_.Has("priority")) {
      AddPriority();
      s.condition = "priority == 'critical'";
      return s;
    }
    int neg = has({"negative", "positive", "unhappy", "angry", "happy"});
    if (neg >= 0) {
      std::string label = (L(neg) == "positive" || L(neg) == "happy") ? "positive" : "negative";
      s.condition = "sentiment_label == '" + label + "'";
      if (std::find(in_->ai_tasks.begin(), in_->ai_tasks.end(), "sentiment") == in_->ai_tasks.end()) {
        in_->ai_tasks.push_back("sentiment");
        in_->ai_why.push_back("the goal routes by sentiment");
      }
      return s;
    }
    if (has({"suspicious", "fraudulent", "flagged", "risky", "high-risk", "fraud", "anomalies",
             "anomalous", "outliers", "unusual"}) >= 0 &&
        in_->ml) {
      s.condition = "fraud_flag";
      return s;
    }
    // "send bugs to bugs.jsonl" after "classify into bug, feature and praise".
    for (int k = a; k < b; ++k) {
      for (const auto& c : in_->categories)
        if (Word(k) && !g_.at(k).used && (L(k) == c || Singular(L(k)) == c)) {
          s.category = c;
          return s;
        }
    }
    std::vector<std::string> why;
    auto conds = ExtractConditions(g_, a, b, in_->lines, &why, &in_->assumptions);
    for (const auto& c : conds) s.condition += (s.condition.empty() ? "" : " && ") + c;
    if (!conds.empty()) return s;
    s.condition = PriorityValues(a, b);
    if (!s.condition.empty()) return s;
    // "billing issues", "refund requests", "security-related".
    for (int k = a; k + 1 <= b; ++k) {
      if (k + 1 < b && ItemNouns().count(L(k + 1)) && Word(k) && !IsStopWord(L(k)) &&
          !RoutingVerbs().count(L(k)) && !ItemNouns().count(L(k)) && L(k) != "all" &&
          L(k) != "customer" && L(k) != "support" && L(k) != "important" && L(k) != "new" &&
          L(k) != "these" && L(k) != "high" && L(k) != "low" && L(k) != "remaining" &&
          !g_.at(k).used) {
        s.category = Slug(L(k));
        return s;
      }
    }
    return s;
  }

  // "send high and critical ones to X" after "determine the priority":
  // values of the AI priority scale without the word priority.
  std::string PriorityValues(int a, int b) {
    if (std::find(in_->ai_tasks.begin(), in_->ai_tasks.end(), "priority") == in_->ai_tasks.end())
      return "";
    static const std::vector<std::string> kScale = {"low", "medium", "high", "critical"};
    std::vector<std::string> vals;
    for (int k = a; k < b; ++k)
      if (Word(k) && std::find(kScale.begin(), kScale.end(), L(k)) != kScale.end() &&
          std::find(vals.begin(), vals.end(), L(k)) == vals.end())
        vals.push_back(L(k));
    if (vals.empty()) return "";
    if (vals.size() == 1) return "priority == " + Quote(vals[0]);
    std::string e = "priority in [";
    for (size_t i = 0; i < vals.size(); ++i) e += (i ? ", " : "") + Quote(vals[i]);
    return e + "]";
  }

  void AddPriority() {
    if (std::find(in_->ai_tasks.begin(), in_->ai_tasks.end(), "priority") == in_->ai_tasks.end()) {
      in_->ai_tasks.push_back("priority");
      in_->ai_why.push_back("the goal routes urgent items");
    }
  }

  void AddOutput(Output o) {
    for (const auto& x : in_->outputs)
      if (x.target == o.target && x.path == o.path && x.condition == o.condition &&
          x.category == o.category && x.rest == o.rest)
        return;
    in_->outputs.push_back(std::move(o));
    ++in_->signals;
  }

  void Handle(const Target& t, int a, int b) {
    Subject s = Read(a, b);
    if (t.kind == Target::Kind::kDeadLetter || s.failure) {
      in_->dead_letter_named = true;
      if (!t.path.empty()) in_->dead_letter_path = t.path;
      else if (t.kind == Target::Kind::kConnector)
        in_->dead_letter_path = OutPath(std::string(t.connector->word) + "-dead-letter");
      ++in_->signals;
      return;
    }
    if (t.kind == Target::Kind::kTeams && t.teams.size() == 1 && s.category.empty()) {
      // "send flagged transactions to the fraud team": a condition, not a category.
      Output o;
      o.condition = s.condition;
      o.rest = s.rest;
      o.id = t.teams[0] + "-team";
      o.path = t.path.empty() ? OutPath(o.id) : t.path;
      o.why = "'" + s.why + " to " + t.teams[0] + "'";
      AddOutput(o);
      return;
    }
    if (t.kind == Target::Kind::kTeams) {
      in_->semantic_routing = true;
      in_->route_why = "'" + s.why + " to ...' in the goal";
      if (t.teams.empty()) {
        generic_teams_ = true;
        return;
      }
      for (const auto& team : t.teams) {
        Output o;
        o.category = (t.teams.size() == 1 && !s.category.empty()) ? s.category : team;
        o.id = team == o.category ? team + "-team" : team;
        o.path = t.path.empty() ? OutPath(o.id) : t.path;
        o.why = "'" + s.why + " to " + team + "'";
        AddOutput(o);
      }
      return;
    }
    if (s.condition.empty() && s.category.empty() && !s.rest) WarnUnreadSubject(a, b, t);
    Output o;
    o.condition = s.condition;
    o.rest = s.rest;
    o.category = s.category;
    o.exclusive = s.exclusive;
    o.why = "'" + s.why + "'";
    if (!o.category.empty()) in_->semantic_routing = true;
    if (t.kind == Target::Kind::kStdout) {
      o.target = Output::Target::kStdout;
      o.id = "stdout";
    } else if (t.kind == Target::Kind::kPath) {
      o.path = t.path;
      o.id = StemOf(t.path);
    } else {
      SinkForConnector(t, &o);
    }
    AddOutput(o);
  }

  // "send purchases to purchases.jsonl" where nothing says what a purchase
  // is: the destination gets every event, and the goal's word is named.
  void WarnUnreadSubject(int a, int b, const Target& t) {
    static const std::set<std::string> kData = {
        "all", "every", "each", "results", "result", "output", "copy", "copies", "summaries",
        "summary", "alerts", "alert", "everything", "entities", "records", "events", "event", "data",
        "lines", "messages", "items", "kept", "remaining", "matching", "filtered", "clean",
        "cleaned", "processed", "enriched", "scored", "classified", "labeled", "final", "new",
        "ones", "rows", "entries", "documents", "stream", "then", "finally", "also", "too",
        "reports", "notifications", "findings", "answers", "analysis", "payloads", "everything"};
    // "compute X and write it to F": the subject of the writing is after "and".
    for (int k = b - 1; k > a; --k)
      if (L(k) == "and" || L(k) == "then") {
        a = k + 1;
        break;
      }
    std::string base = Singular(in_->source_id.substr(0, in_->source_id.find('-')));
    std::vector<std::string> unread;
    for (int k = a; k < b; ++k) {
      const Token& tok = g_.at(k);
      if (tok.used || tok.seen || (tok.kind != Token::Kind::kWord && tok.kind != Token::Kind::kQuoted))
        continue;
      const std::string& w = tok.lower;
      if (IsStopWord(w) || kData.count(w) || RoutingVerbs().count(w) || w.size() < 3) continue;
      // The second word of an understood phrase ("phone numbers").
      if (k > a && (g_.at(k - 1).seen || g_.at(k - 1).used) && !g_.at(k - 1).subject_only) continue;
      if (Singular(w) == base || in_->source_id.find(Singular(w)) != std::string::npos) continue;
      bool verb = false;
      for (const char* v : {"write", "save", "store", "print", "output", "append", "dump",
                            "export", "emit", "publish", "put", "keep", "copy", "move", "log"})
        verb = verb || w.rfind(v, 0) == 0;
      if (!verb) unread.push_back(tok.raw);
    }
    if (unread.empty()) return;
    std::string words;
    for (const auto& w : unread) words += (words.empty() ? "'" : ", '") + w + "'";
    std::string where = t.kind == Target::Kind::kPath ? t.path : "that destination";
    in_->warnings.push_back(words + " in '" + Phrase(a, b) + " to " + where + "' was not turned "
                            "into a condition or a category: every event goes to " + where +
                            "; say which events (e.g. \"where event_type is 'purchase'\")");
  }

  void SinkForConnector(const Target& t, Output* o) {
    std::string stem = std::string(t.connector->word) + (t.object.empty() ? "" : "-" + t.object);
    o->id = Slug(stem);
    o->path = OutPath(stem);
    std::string what = std::string(t.connector->name) + (t.object.empty() ? "" : " " + t.object);
    in_->warnings.push_back("no " + std::string(t.connector->name) +
                            " sink in this build: events for " + what + " are written to " +
                            o->path + " (JSON lines) instead; ship that file on with the " +
                            t.connector->name + " tooling");
  }

  // Paths and "print"/"stdout" no "to" introduced.
  void Leftovers() {
    for (int i = 0; i < g_.size(); ++i) {
      const Token& t = g_.at(i);
      if (t.used) continue;
      if (t.kind == Token::Kind::kPath && t.lower.find(".md") == std::string::npos) {
        if (JoinedWith(i)) {
          Use(i, i + 1);
          continue;
        }
        bool failure = false;
        for (int k = std::max(0, i - 5); k < i; ++k)
          failure = failure || L(k) == "failed" || L(k) == "malformed" || L(k) == "invalid" ||
                    L(k) == "dead" || L(k) == "dlq" || L(k) == "failures";
        if (failure) {
          in_->dead_letter_named = true;
          in_->dead_letter_path = t.raw;
        } else {
          Output o;
          o.path = t.raw;
          o.id = StemOf(t.raw);
          o.why = "the goal names the file " + t.raw;
          AddOutput(o);
        }
        Use(i, i + 1);
      } else if (t.lower == "stdout" || t.lower == "print" || t.lower == "prints" ||
                 t.lower == "console" || (t.lower == "show" && i + 1 < g_.size() && L(i + 1) == "them")) {
        Output o;
        o.target = Output::Target::kStdout;
        o.id = "stdout";
        o.why = "the goal prints the events";
        AddOutput(o);
        Use(i, i + 1);
      } else if (t.lower == "dlq" || t.lower == "dead-letter" ||
                 (t.lower == "dead" && i + 1 < g_.size() && L(i + 1) == "letter")) {
        in_->dead_letter_named = true;
        Use(i, i + 2);
      }
    }
    // Connectors named as destinations without "to" ("index them in elasticsearch").
    for (int i = 0; i < g_.size(); ++i) {
      int len = 1;
      const Connector* c = g_.at(i).used ? nullptr : ConnectorAt(g_, i, &len);
      if (c == nullptr || RoleBefore(g_, i, 6) >= 0) continue;
      Target t;
      t.kind = Target::Kind::kConnector;
      t.connector = c;
      t.object = ConnectorObjectName(g_, i, len);
      Output o;
      o.why = "the goal sends events to " + std::string(c->name);
      SinkForConnector(t, &o);
      AddOutput(o);
      Use(i, i + len);
    }
  }

  // "join them with users.jsonl", "enrich with data from geo.jsonl": the
  // other side of a join (not expressible, warned about) is no destination.
  bool JoinedWith(int i) const {
    for (int k = std::max(0, i - 4); k < i; ++k) {
      const std::string& w = L(k);
      if (w == "join" || w == "joined" || w == "joining" || w == "merge" || w == "merged" ||
          w == "correlate" || w == "lookup" || w == "against" || w.rfind("enrich", 0) == 0)
        return true;
    }
    return false;
  }

  // "... and email the summary to the team lead": a connector used as the
  // verb of the clause is a destination, whatever follows it.
  void ConnectorVerbs() {
    static const std::set<std::string> kVerbs = {"email", "sms", "slack", "page", "text"};
    for (int i = 0; i < g_.size(); ++i) {
      if (g_.at(i).used || !kVerbs.count(L(i))) continue;
      bool starts = i == 0 || g_.at(i - 1).comma_after || g_.at(i - 1).clause_end ||
                    L(i - 1) == "and" || L(i - 1) == "then" || L(i - 1) == "also";
      if (!starts) continue;
      int len = 1;
      const Connector* c = ConnectorAt(g_, i, &len);
      static const Connector kPage{"pagerduty", "PagerDuty", false};
      if (c == nullptr && (L(i) == "page" || L(i) == "text")) c = L(i) == "page" ? &kPage : nullptr;
      if (c == nullptr) continue;
      int end = i + 1;
      while (end < g_.size() && !g_.at(end - 1).clause_end && !g_.at(end - 1).comma_after) ++end;
      Target t;
      t.kind = Target::Kind::kConnector;
      t.connector = c;
      Output o;
      o.why = "'" + Phrase(i, end) + "'";
      SinkForConnector(t, &o);
      AddOutput(o);
      Use(i, end);
    }
  }
  std::string Phrase(int a, int b) const {
    std::string s;
    for (int k = a; k < b; ++k) s += (s.empty() ? "" : " ") + g_.at(k).raw;
    return s;
  }

  // "split by country", "route by severity", "one file per priority".
  void RoutesByField() {
    for (const char* verb : {"split", "route", "partition", "separate", "divide", "per", "by"}) {
      int at = g_.Find(verb);
      while (at >= 0) {
        int f = at + 1;
        if (std::string(verb) != "by" && std::string(verb) != "per" && f < g_.size() &&
            (L(f) == "by" || L(f) == "on" || L(f) == "per"))
          ++f;
        else if (std::string(verb) != "by" && std::string(verb) != "per" && f + 1 < g_.size() &&
                 (L(f) == "them" || L(f) == "events") && (L(f + 1) == "by" || L(f + 1) == "per"))
          f += 2;
        else if (std::string(verb) != "by" && std::string(verb) != "per")
          f = -1;
        if (f >= 0 && f < g_.size() && !g_.at(f).used) {
          std::string field = L(f);
          static const std::map<std::string, std::vector<std::string>> kAssumed = {
              {"country", {"US", "GB", "DE", "FR"}},
              {"priority", {"critical", "high", "medium", "low"}},
              {"severity", {"critical", "high", "medium", "low"}},
              {"level", {"error", "warn", "info"}},
              {"region", {"us", "eu", "apac"}},
              {"event_type", {"click", "view", "purchase"}}};
          std::string key = field == "countries" ? "country" : field;
          if (key == "event" && f + 1 < g_.size() && L(f + 1) == "type") key = "event_type";
          auto it = kAssumed.find(key);
          bool weak = std::string(verb) == "by" || std::string(verb) == "per";
          if (it != kAssumed.end() && (!weak || Routing(at))) {
            std::string expr_field = key == "country" ? "geo.country" : key;
            for (const auto& v : it->second) {
              Output o;
              o.condition = expr_field + " == " + Quote(v);
              o.id = Slug(key + "-" + v);
              o.path = OutPath(o.id);
              o.why = "'" + std::string(verb) + " by " + key + "'";
              AddOutput(o);
            }
            Output rest;
            rest.rest = true;
            rest.id = Slug(key + "-other");
            rest.path = OutPath(rest.id);
            rest.why = "events whose " + key + " is none of those";
            AddOutput(rest);
            in_->assumptions.push_back("one output per " + key + " value: assumed " +
                                       Join(it->second) + " (the goal names none; edit the routes)" +
                                       (key == "country" ? "; the country is geo.country" : ""));
            Use(at, f + 1);
            ++in_->signals;
            return;
          }
          if (key == "category" || key == "topic" || key == "team" || key == "department" ||
              key == "type") {
            if (Routing(at)) {
              in_->semantic_routing = true;
              generic_teams_ = true;
              Use(at, f + 1);
            }
          }
        }
        at = g_.Find(verb, at + 1);
      }
    }
  }

  bool Routing(int at) const {
    for (int k = std::max(0, at - 4); k <= at; ++k)
      if (RoutingVerbs().count(L(k)) || L(k) == "split" || L(k) == "partition" ||
          L(k) == "separate" || L(k) == "divide" || L(k) == "file" || L(k) == "files" ||
          L(k) == "output" || L(k) == "outputs")
        return true;
    return false;
  }

  static std::string Join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  void Finish() {
    bool has_priority = std::find(in_->ai_tasks.begin(), in_->ai_tasks.end(), "priority") !=
                        in_->ai_tasks.end();
    if (in_->semantic_routing) {
      if (std::find(in_->ai_tasks.begin(), in_->ai_tasks.end(), "classify") == in_->ai_tasks.end()) {
        in_->ai_tasks.push_back("classify");
        in_->ai_why.push_back("routing to teams needs a category per event");
      }
      std::vector<std::string> cats;
      for (const auto& o : in_->outputs)
        if (!o.category.empty()) cats.push_back(o.category);
      if (generic_teams_ && cats.empty()) {
        std::vector<std::string> defaults = in_->categories;
        if (defaults.empty()) {
          defaults = {"billing", "technical", "account", "shipping", "general"};
          in_->assumptions.push_back(
              "the support teams are billing, technical, account, shipping and general (the "
              "goal names none; edit categories and destinations)");
        }
        for (const auto& c : defaults) {
          Output o;
          o.category = c;
          o.id = c + "-team";
          o.path = OutPath(o.id);
          o.why = in_->route_why.empty() ? "routing by category" : in_->route_why;
          AddOutput(o);
          cats.push_back(c);
        }
      }
      for (const auto& c : cats)
        if (std::find(in_->categories.begin(), in_->categories.end(), c) == in_->categories.end())
          in_->categories.push_back(c);
      bool rest = false;
      for (const auto& o : in_->outputs) rest = rest || o.rest;
      if (!rest) {
        Output o;
        o.rest = true;
        o.id = "unrouted";
        o.path = OutPath("unrouted");
        o.why = "events no destination matched (the router's default output)";
        AddOutput(o);
      }
    }
    if (in_->urgent_sink && has_priority) {
      bool have = false;
      for (const auto& o : in_->outputs) have = have || o.condition.find("urgent") != std::string::npos;
      if (!have) {
        Output o;
        o.condition = "urgent == true || priority == 'critical'";
        o.id = "urgent-escalations";
        o.path = OutPath("urgent-escalations");
        o.why = "the goal asks to identify urgent items: they also go to an escalation queue";
        AddOutput(o);
      }
    }
    if (in_->ml) {
      bool have = false, plain = false;
      for (const auto& o : in_->outputs) {
        have = have || o.condition.find("fraud_flag") != std::string::npos;
        plain = plain || (o.condition.empty() && o.category.empty());
      }
      if (!have) {
        Output o;
        o.condition = "fraud_flag";
        o.id = "suspicious";
        o.path = OutPath("suspicious");
        o.why = "events the model flags";
        AddOutput(o);
        if (!plain) {
          Output r;
          r.rest = true;
          r.id = "cleared";
          r.path = OutPath("cleared");
          r.why = "events the model does not flag";
          AddOutput(r);
        }
        in_->assumptions.push_back("flagged events go to out/suspicious.jsonl");
      }
    }
    KeepTheRest();
    if (in_->outputs.empty()) {
      Output o;
      o.target = Output::Target::kStdout;
      o.id = "stdout";
      o.why = "the goal names no destination";
      in_->outputs.push_back(o);
      in_->assumptions.push_back("no destination named: events are written to stdout");
    }
    if (in_->dead_letter_path.empty()) {
      in_->dead_letter_path = "out/dead-letter.jsonl";
      in_->assumptions.push_back("events that fail (malformed lines, model or expression errors) "
                                 "go to the dead-letter file out/dead-letter.jsonl");
    }
  }

  // "send negative ones to X" selects some events for X; it does not say the
  // others may vanish, so they go to a file of their own (said as an
  // assumption). "keep only ... write them to X" filters instead.
  void KeepTheRest() {
    const Output* only = nullptr;
    int others = 0;
    for (const auto& o : in_->outputs) {
      if (!o.condition.empty() && o.category.empty() && !o.rest) {
        if (only != nullptr) return;
        only = &o;
      } else {
        ++others;
      }
    }
    if (only == nullptr || others > 0 || only->exclusive || in_->semantic_routing) return;
    std::string target = only->target == Output::Target::kStdout ? "stdout" : only->path;
    Output r;
    r.rest = true;
    r.id = "rest";
    r.path = OutPath("rest");
    r.why = "events that do not go to " + target + " (the goal does not say to drop them)";
    in_->assumptions.push_back("events where " + only->condition + " does not hold go to " +
                               r.path + "; say \"keep only ...\" to drop them instead");
    AddOutput(r);
  }

  Goal& g_;
  const Registry& reg_;
  Intent* in_;
  bool generic_teams_ = false;
};

}  // namespace outputs_impl

void ExtractOutputs(Goal& g, const Registry& registry, Intent* intent) {
  outputs_impl::Reader r(g, registry, intent);
  r.Run();
}

}  // namespace flowctl::ai::planner
