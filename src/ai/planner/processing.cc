// Intent extraction, part 2: what happens to events on the way — AI tasks
// (sentiment, priority, classify with named categories, extract,
// summarize), ML scoring, retrieval, dedupe, field changes — and the parts
// of a goal no component can express, each with the nearest alternative.
#include <algorithm>
#include <set>

#include "connectors.h"

namespace flowctl::ai::planner {
namespace processing_impl {

void Use(Goal& g, int a, int b) {
  for (int k = std::max(0, a); k < b && k < g.size(); ++k) g.tokens[static_cast<size_t>(k)].used = true;
}

void AddTask(Intent* in, const std::string& task, const std::string& why) {
  if (std::find(in->ai_tasks.begin(), in->ai_tasks.end(), task) == in->ai_tasks.end()) {
    in->ai_tasks.push_back(task);
    in->ai_why.push_back(why);
    ++in->signals;
  }
}

const std::set<std::string>& GenericListWords() {
  static const std::set<std::string> k = {
      "categories", "category", "types", "type", "groups", "group", "buckets", "classes",
      "topics", "topic", "teams", "team", "labels", "label", "queues", "queue", "kinds",
      "departments", "department", "segments", "one", "issues", "tickets", "events", "each",
      "different", "several", "multiple", "following", "like", "such", "e.g", "eg"};
  return k;
}

bool IsVerb(const std::string& w) {
  static const std::set<std::string> k = {
      "route", "routes", "send", "sends", "write", "writes", "save", "saves", "store", "stores",
      "forward", "forwards", "then", "extract", "extracts", "detect", "detects", "identify",
      "identifies", "keep", "keeps", "drop", "drops", "filter", "filters", "print", "prints",
      "output", "outputs", "add", "adds", "compute", "computes", "dedupe", "remove", "removes",
      "analyze", "analyzes", "score", "scores", "summarize", "summarizes", "flag", "flags",
      "escalate", "escalates", "put", "puts", "emit", "emits", "publish", "publishes"};
  return k.count(w) > 0;
}

// A list after position `from`: "billing, technical and account" or
// "billing/technical/other". Items may be two words (joined with '-').
std::vector<std::string> ListAt(Goal& g, int from, int* end) {
  std::vector<std::string> items;
  int j = from;
  while (j < g.size() && (g.at(j).lower == "the" || g.at(j).lower == "categories" ||
                          g.at(j).lower == "like" || g.at(j).lower == "such" ||
                          g.at(j).lower == "as" || g.at(j).lower == "e.g" ||
                          g.at(j).lower == "following" || g.at(j).lower == "classes" ||
                          g.at(j).lower == "groups" || g.at(j).lower == "buckets" ||
                          g.at(j).lower == "types"))
    ++j;
  std::string cur;
  while (j < g.size()) {
    const Token& t = g.at(j);
    bool sep = t.lower == "and" || t.lower == "or" || t.lower == "nor";
    if (IsVerb(t.lower)) break;
    if (sep && j + 1 < g.size() && IsVerb(g.at(j + 1).lower)) break;
    if (sep) {
      if (!cur.empty()) items.push_back(cur);
      cur.clear();
      ++j;
      continue;
    }
    // "sales, support and other": other is a category here, not a stop word.
    bool other = (t.lower == "other" || t.lower == "misc") && !items.empty() && cur.empty();
    bool word = (t.kind == Token::Kind::kWord || t.kind == Token::Kind::kQuoted) &&
                (!IsStopWord(t.lower) || other) && t.kind != Token::Kind::kPath;
    if (!word) break;
    std::string w = Slug(t.kind == Token::Kind::kQuoted ? t.raw : t.lower);
    if (GenericListWords().count(t.lower)) {
      if (!cur.empty()) items.push_back(cur);
      cur.clear();
      ++j;
      break;
    }
    cur = cur.empty() ? w : cur + "-" + w;
    ++j;
    if (t.comma_after) {
      items.push_back(cur);
      cur.clear();
    }
    if (t.clause_end) break;
  }
  if (!cur.empty()) items.push_back(cur);
  *end = j;
  // Items of more than two words are not a category list.
  std::vector<std::string> out;
  for (auto& i : items)
    if (std::count(i.begin(), i.end(), '-') <= 1 && !i.empty()) out.push_back(i);
  return out;
}

std::string KeyField(const std::string& w) {
  static const std::set<std::string> kEntity = {"user", "customer", "order", "transaction",
                                                "session", "device", "account", "ticket",
                                                "request", "payment", "message", "sensor",
                                                "product", "invoice", "shipment", "trace"};
  std::string s = Singular(w);
  if (kEntity.count(s)) return s + "_id";
  if (s == "event" || s == "record" || s == "entry") return "id";
  return FieldName(s);
}

}  // namespace processing_impl

void ExtractProcessing(Goal& g, Intent* in) {
  using processing_impl::AddTask;
  // Sentiment.
  if (g.HasAny({"sentiment*", "mood", "tone", "satisfaction", "happy", "unhappy", "angry",
                "frustrated", "opinion*", "positive", "negative", "emotion*"}))
    AddTask(in, "sentiment", "the goal asks for sentiment");
  // Urgency / priority.
  bool urgency = g.HasAny({"urgent*", "urgency", "triage", "escalat*", "prioriti*",
                           "how important", "importance"});
  for (const char* p : {"priority score", "score priority", "prioritize", "rank by priority"})
    urgency = urgency || g.Has(p);
  // "determine the priority of each chat", "assign a priority": a verb of
  // judging up to three words before "priority".
  static const std::set<std::string> kJudge = {"determine", "detect", "assess", "assign", "predict",
                                               "infer", "estimate", "compute", "set", "score",
                                               "rate", "judge", "evaluate", "figure", "find"};
  for (int at = g.Find("priority"); at >= 0 && !urgency; at = g.Find("priority", at + 1))
    for (int k = std::max(0, at - 3); k < at; ++k) urgency = urgency || kJudge.count(g.at(k).lower);
  if (urgency) AddTask(in, "priority", "the goal asks which items are urgent");
  if (g.HasAny({"urgent*", "escalat*"})) in->urgent_sink = true;
  // Classification with the categories the goal names.
  int cls = -1;
  for (const char* w : {"classify", "classifies", "classified", "classification", "categorize",
                        "categorizes", "categorise", "categorises", "categorized", "label",
                        "labels", "labeling", "labelling", "tag", "tags", "sort", "sorts",
                        "bucket", "group"}) {
    int at = g.Find(w);
    if (at >= 0 && (cls < 0 || at < cls)) {
      // "tag events with X=Y" is a transform, "group by" an aggregation.
      std::string next = at + 1 < g.size() ? g.at(at + 1).lower : "";
      std::string ws = w;
      if ((ws == "tag" || ws == "tags") && (next == "with" || next == "each" || next == "all" ||
                                           next == "events" || next == "every"))
        continue;
      if ((ws == "group" || ws == "sort" || ws == "bucket") && next == "by") continue;
      if (ws == "sort" && next != "into" && next != "them" && next != "tickets" && next != "messages")
        continue;
      if (ws == "group" || ws == "bucket") continue;
      cls = at;
    }
  }
  if (cls >= 0) {
    std::vector<std::string> cats;
    for (int k = cls; k < std::min(g.size(), cls + 8) && cats.empty(); ++k) {
      const std::string& w = g.at(k).lower;
      if (w == "into" || w == "as" || w == "categories" || w == "like" || w == "among" ||
          w == "between" || (w == "by" && k + 1 < g.size() && g.at(k + 1).lower != "topic")) {
        int end = k + 1;
        auto items = processing_impl::ListAt(g, k + 1, &end);
        if (items.size() >= 2) {
          cats = items;
          processing_impl::Use(g, k, end);
        }
      }
      if (g.at(k).clause_end && k > cls) break;
    }
    std::string trig = g.at(cls).lower;
    bool weak = trig == "label" || trig == "labels" || trig == "labeling" || trig == "labelling" ||
                trig == "tag" || trig == "tags" || trig == "sort" || trig == "sorts";
    if (!weak || !cats.empty())
    AddTask(in, "classify", "the goal asks to classify" +
                                (cats.empty() ? std::string() : " into the named categories"));
    if (!weak || !cats.empty())
      for (const auto& c : cats) in->categories.push_back(c);
  }
  // "its topic: sports, politics, tech", "categories: a, b".
  if (in->categories.empty())
    for (int k = 0; k + 1 < g.size(); ++k) {
      const std::string& w = g.at(k).lower;
      if (!g.at(k).clause_end || k + 1 >= g.size()) continue;
      if (w != "topic" && w != "topics" && w != "category" && w != "categories" && w != "label" &&
          w != "labels" && w != "type" && w != "types" && w != "classes")
        continue;
      int end = k + 1;
      auto items = processing_impl::ListAt(g, k + 1, &end);
      if (items.size() >= 2) {
        in->categories = items;
        processing_impl::Use(g, k, end);
        AddTask(in, "classify", "the goal lists " + w + " values");
        break;
      }
    }
  // Spam / toxicity / phishing detection: a two-way classification.
  for (const char* w : {"spam", "toxic", "toxicity", "abusive", "phishing", "bots", "bot"}) {
    int at = g.Find(w);
    if (at < 0) continue;
    std::string prev = at > 0 ? g.at(at - 1).lower : "";
    std::string prev2 = at > 1 ? g.at(at - 2).lower : "", prev3 = at > 2 ? g.at(at - 3).lower : "";
    auto dropping = [](const std::string& w) {
      return w == "exclude" || w == "remove" || w == "drop" || w == "discard" || w == "ignore" ||
             w == "block" || w == "skip" || w == "reject" || w == "out";
    };
    if (prev == "detect" || prev == "flag" || prev == "identify" || prev == "filter" ||
        prev == "remove" || prev == "drop" || prev == "catch" || prev == "find" ||
        dropping(prev) || dropping(prev2) || dropping(prev3) ||
        g.Has("detect") || g.Has("flag")) {
      std::string cat = std::string(w) == "toxicity" ? "toxic" : std::string(w) == "bots" ? "bot" : w;
      if (in->categories.empty()) in->categories = {cat, "legitimate"};
      AddTask(in, "classify", "the goal asks to detect " + std::string(w));
      // "exclude events from bots", "filter out spam": keep the rest.
      static const std::set<std::string> kDropVerbs = {"remove", "drop", "exclude", "discard",
                                                       "ignore", "skip", "block", "reject", "out"};
      for (int k = std::max(0, at - 3); k < at; ++k)
        if (kDropVerbs.count(g.at(k).lower) && !g.at(k).clause_end) {
          in->conditions.push_back("category != " + Quote(cat));
          in->condition_why.push_back("'" + g.at(k).raw + " ... " + g.at(at).raw + "'");
          processing_impl::Use(g, k, at + 1);
          break;
        }
      break;
    }
  }
  // Entities.
  if ((g.HasAny({"extract*", "find", "pull out", "detect", "identify*", "capture"}) &&
       g.HasAny({"entities", "entity", "emails", "email addresses", "phone*", "urls", "links",
                 "order ids", "order numbers", "amounts", "contact*", "names", "pii",
                 "personal data", "mentions"})) ||
      g.HasAny({"named entities", "entity extraction", "pii", "personal data"}))
    AddTask(in, "extract", "the goal asks for entities (emails, urls, phones, amounts, order ids)");
  if (g.HasAny({"summar*", "tl;dr", "tldr", "digest", "condense", "gist"}))
    AddTask(in, "summarize", "the goal asks for a summary");
  // The model the goal names, if any.
  for (const Token& t : g.tokens) {
    const std::string& w = t.lower;
    if (w.rfind("gpt-", 0) == 0 || w.rfind("claude-", 0) == 0 || w.rfind("o1-", 0) == 0 ||
        (w.find(':') != std::string::npos && w.size() > 3 &&
         (w.rfind("llama", 0) == 0 || w.rfind("mistral", 0) == 0 || w.rfind("qwen", 0) == 0 ||
          w.rfind("phi", 0) == 0 || w.rfind("gemma", 0) == 0))) {
      in->ai_model = w;
      break;
    }
  }
  if (in->ai_model == "embedded" && !in->ai_tasks.empty()) {
    if (g.HasAny({"claude", "anthropic"})) in->ai_model = "claude-3-5-haiku-latest";
    else if (g.HasAny({"openai", "chatgpt", "gpt"})) in->ai_model = "gpt-4o-mini";
    else if (g.HasAny({"ollama", "llama"})) in->ai_model = "llama3.1:8b";
  }
  // ML scoring.
  bool fraud = g.HasAny({"fraud*", "chargeback*", "risk*", "suspicious", "money laundering",
                         "aml"});
  bool anomaly = g.HasAny({"anomal*", "outlier*", "unusual"});
  if (fraud || anomaly || g.HasAny({"machine learning", "ml model", "ml scoring", "score with"})) {
    in->ml = true;
    in->ml_why = fraud ? "the goal asks for fraud/risk scoring" : "the goal asks for anomaly scoring";
    ++in->signals;
    int s = g.Find("sensitivity");
    for (int k = s; s >= 0 && k < std::min(g.size(), s + 4); ++k)
      if (g.at(k).kind == Token::Kind::kNumber) {
        double v = g.at(k).number;
        if (g.at(k).unit == "%") v /= 100;
        if (v > 0 && v <= 1) in->sensitivity = v;
        processing_impl::Use(g, s, k + 1);
        break;
      }
    if (!fraud)
      in->warnings.push_back(
          "no anomaly-detection model ships: ml-processor needs a model file, and the only "
          "shipped ones score fraud (examples/models/fraud-detector-v2.json is used as a "
          "placeholder). Write a logistic_regression or rules model for your fields, or use a "
          "filter with explicit thresholds");
    in->assumptions.push_back(
        "the model is examples/models/fraud-detector-v2.json (features amount, "
        "merchant_category, user_history, device_fingerprint); it writes fraud_score and fraud_flag");
  }
  // Retrieval.
  if (g.HasAny({"knowledge base", "knowledge-base", "knowledgebase", "kb", "retriev*", "rag",
                "similar documents", "similar articles", "relevant articles", "documentation",
                "faq*", "vector*", "semantic search", "embedding*", "help center", "runbook*",
                "playbook*", "help articles", "support articles"})) {
    in->rag = true;
    in->rag_why = "the goal asks for related knowledge-base passages";
    ++in->signals;
    int at = g.Find("index");
    if (at > 0 && !IsStopWord(g.at(at - 1).lower) && g.at(at - 1).kind == Token::Kind::kWord &&
        !g.at(at - 1).clause_end && g.at(at - 1).lower != "vector")
      in->rag_index = Slug(g.at(at - 1).raw);
    else if (at >= 0 && at + 1 < g.size() && g.at(at + 1).kind != Token::Kind::kPath &&
             !IsStopWord(g.at(at + 1).lower) && !processing_impl::IsVerb(g.at(at + 1).lower) && !g.at(at).clause_end)
      in->rag_index = Slug(g.at(at + 1).raw);
    for (const Token& t : g.tokens)
      if (t.kind == Token::Kind::kPath &&
          (t.lower.find(".md") != std::string::npos || t.lower.find(".txt") != std::string::npos) &&
          t.lower.find(".md") != std::string::npos)
        in->rag_documents.push_back(t.raw);
    if (in->rag_documents.empty())
      in->assumptions.push_back("the vector index '" + in->rag_index +
                                "' exists (build it with: flowctl index add --index " +
                                in->rag_index + " DOCS...)");
  }
  // Dedupe.
  int d = -1;
  for (const char* w : {"dedup*", "de-dup*", "duplicate*", "unique", "distinct", "deduplicat*"}) {
    int at = g.Find(w);
    if (at >= 0 && (d < 0 || at < d)) d = at;
  }
  if (d >= 0) {
    std::string key;
    for (int k = d; k < std::min(g.size(), d + 6) && key.empty(); ++k) {
      const std::string& w = g.at(k).lower;
      if ((w == "by" || w == "on" || w == "per" || w == "using" || w == "of") && k + 1 < g.size()) {
        int f = k + 1;
        if (g.at(f).lower == "the" || g.at(f).lower == "their" || g.at(f).lower == "same") ++f;
        if (f < g.size() && g.at(f).lower == "based" ) f += 2;
        if (f >= g.size()) break;
        std::string a = g.at(f).kind == Token::Kind::kQuoted ? g.at(f).raw : g.at(f).lower;
        if (IsStopWord(a) || a == "events" || a == "records") continue;
        std::string b = f + 1 < g.size() ? g.at(f + 1).lower : "";
        if ((b == "id" || b == "ids" || b == "number" || b == "key" || b == "code") &&
            !g.at(f).clause_end) {
          key = FieldName(a + "_" + (b == "ids" ? "id" : b));
          processing_impl::Use(g, d, f + 2);
        } else {
          key = processing_impl::KeyField(a);
          processing_impl::Use(g, d, f + 1);
        }
      }
    }
    // "duplicate order ids", "unique user_id"
    if (key.empty() && d + 1 < g.size()) {
      const Token& n = g.at(d + 1);
      std::string b = d + 2 < g.size() ? g.at(d + 2).lower : "";
      if (n.kind == Token::Kind::kWord && !IsStopWord(n.lower) && n.lower != "events" &&
          n.lower != "records" && n.lower != "entries" && n.lower != "messages" &&
          n.lower != "lines" && n.lower != "duplicates") {
        if (b == "id" || b == "ids") key = FieldName(n.lower + "_id");
        else if (n.lower.find('_') != std::string::npos) key = n.lower;
        else if (n.lower.size() > 2 && n.lower != "ones") key = processing_impl::KeyField(n.lower);
      }
    }
    if (key.empty()) {
      key = "id";
      in->assumptions.push_back("duplicates are events with the same id");
    }
    in->dedupe_key = key;
    in->dedupe_why = "the goal asks to drop duplicates (same " + key + ")";
    ++in->signals;
  }
  // Sampling: "sample 10%" keeps every Nth id.
  int s = g.Find("sample");
  if (s < 0) s = g.Find("sampling");
  if (s >= 0)
    for (int k = s; k < std::min(g.size(), s + 4); ++k)
      if (g.at(k).kind == Token::Kind::kNumber && g.at(k).unit == "%" && g.at(k).number > 0 &&
          g.at(k).number < 100) {
        int every = static_cast<int>(100 / g.at(k).number + 0.5);
        in->conditions.push_back("id % " + std::to_string(every) + " == 0");
        in->condition_why.push_back("'sample " + g.at(k).raw + "'");
        in->assumptions.push_back("sampling keeps events whose integer id is a multiple of " +
                                  std::to_string(every) + " (there is no random sampler)");
        processing_impl::Use(g, s, k + 1);
        ++in->signals;
        break;
      }
}

void ExtractTransforms(Goal& g, Intent* in) {
  using processing_impl::Use;
  auto word = [&](int k) -> std::string { return k >= 0 && k < g.size() ? g.at(k).lower : ""; };
  auto raw = [&](int k) -> std::string { return k >= 0 && k < g.size() ? g.at(k).raw : ""; };
  auto field_at = [&](int k, int* next) -> std::string {
    while (k < g.size() && (word(k) == "the" || word(k) == "a" || word(k) == "an" ||
                            word(k) == "field" || word(k) == "fields" || word(k) == "column" ||
                            word(k) == "new" || word(k) == "each"))
      ++k;
    *next = k + 1;
    if (k >= g.size()) return "";
    const Token& t = g.at(k);
    if (t.kind == Token::Kind::kQuoted) return FieldName(t.raw);
    if (t.kind != Token::Kind::kWord || IsStopWord(t.lower)) return "";
    // "user id" -> user_id
    std::string b = word(k + 1);
    if ((b == "id" || b == "name" || b == "code" || b == "type") && !t.clause_end) {
      *next = k + 2;
      return FieldName(t.raw + "_" + b);
    }
    return FieldName(t.raw);
  };
  // Expressions in words -> the expression language.
  auto expr_from = [&](int k, int* end) {
    std::string e;
    while (k < g.size()) {
      const Token& t = g.at(k);
      std::string w = t.lower;
      if (w == "and" && !e.empty() && k + 1 < g.size() && (word(k + 1) == "write" ||
          word(k + 1) == "send" || word(k + 1) == "then" || word(k + 1) == "save"))
        break;
      if (w == "times" || w == "multiplied") w = "*";
      else if (w == "plus") w = "+";
      else if (w == "minus") w = "-";
      else if (w == "divided") w = "/";
      else if (w == "by" && !e.empty() && (e.back() == '*' || e.back() == '/')) { ++k; continue; }
      else if (t.kind == Token::Kind::kQuoted) w = Quote(t.raw);
      else if (t.kind == Token::Kind::kNumber) w = t.raw;
      else w = t.raw;
      e += (e.empty() ? "" : " ") + w;
      ++k;
      if (t.clause_end || t.comma_after) break;
    }
    *end = k;
    return e;
  };
  for (int i = 0; i < g.size(); ++i) {
    if (g.at(i).used) continue;
    const std::string& w = g.at(i).lower;
    int next = i + 1;
    if (w == "rename") {
      std::string from = field_at(i + 1, &next);
      if (!from.empty() && word(next) == "to") {
        int n2 = next + 1;
        std::string to = field_at(next + 1, &n2);
        if (!to.empty()) {
          in->rename[from] = to;
          in->transform_why.push_back("'rename " + from + " to " + to + "'");
          Use(g, i, n2);
          ++in->signals;
        }
      }
    } else if (w == "drop" || w == "remove" || w == "delete" || w == "strip") {
      // Only fields: "drop the internal and debug fields", "remove fields a, b".
      int j = i + 1;
      bool field_word = false;
      std::vector<std::string> names;
      while (j < g.size() && j < i + 10) {
        const Token& t = g.at(j);
        if (t.lower == "field" || t.lower == "fields" || t.lower == "column" ||
            t.lower == "columns" || t.lower == "attribute" || t.lower == "attributes" ||
            t.lower == "keys") {
          field_word = true;
          ++j;
          if (t.clause_end) break;
          continue;
        }
        if (t.lower == "the" || t.lower == "and" || t.lower == "its") {
          ++j;
          continue;
        }
        if ((t.kind == Token::Kind::kWord || t.kind == Token::Kind::kQuoted) && !IsStopWord(t.lower) &&
            !processing_impl::IsVerb(t.lower) && !(field_word && !names.empty())) {
          names.push_back(FieldName(t.raw));
          ++j;
          if (t.clause_end) break;
          continue;
        }
        break;
      }
      if (field_word && !names.empty()) {
        for (const auto& n : names) in->drop.push_back(n);
        in->transform_why.push_back("'" + g.at(i).raw + " fields'");
        Use(g, i, j);
        ++in->signals;
      }
    } else if (w == "mask" || w == "redact" || w == "anonymize" || w == "anonymise" ||
               w == "hash" || w == "obfuscate" || w == "scrub") {
      std::string f = field_at(i + 1, &next);
      if (!f.empty() && f != "pii" && f != "personal" && f != "sensitive") {
        if (f == "emails" || f == "email") f = "email";
        in->set[f] = "'***'";
        in->transform_why.push_back("'" + g.at(i).raw + " " + f + "'");
        if (w == "hash")
          in->warnings.push_back("no hash function in the expression language: " + f +
                                 " is replaced by '***' instead of a hash");
        Use(g, i, next);
        ++in->signals;
      } else {
        in->warnings.push_back(
            "redacting PII inside free text is not expressible: ai-processor extract finds "
            "entities (emails, phones, urls) into the entities field; a transform can blank "
            "whole fields you name (e.g. 'mask the email field')");
      }
    } else if (w == "add" || w == "compute" || w == "calculate" || w == "derive" ||
               w == "set" || w == "stamp") {
      // "add a timestamp", "add a processed_at field", "add field region = 'eu'",
      // "compute total as price * quantity", "set status to 'new'".
      if (word(i + 1) == "a" && (word(i + 2) == "timestamp" || word(i + 2) == "processing")) {
        in->set["processed_at"] = "now()";
        in->transform_why.push_back("'add a timestamp'");
        Use(g, i, i + 3);
        ++in->signals;
        continue;
      }
      if (word(i + 1) == "timestamp" || word(i + 1) == "timestamps") {
        in->set["processed_at"] = "now()";
        in->transform_why.push_back("'add timestamps'");
        Use(g, i, i + 2);
        ++in->signals;
        continue;
      }
      std::string f = field_at(i + 1, &next);
      if (f.empty() || f == "sentiment" || f == "priority" || f == "category" || f == "it" ||
          f == "them" || f == "up")
        continue;
      std::string op = word(next);
      if (op == "field" || op == "column") op = word(++next);
      if (op == "=" || op == "as" || op == "to" || op == "with" || op == "equal" || op == "of") {
        int k = next + 1;
        if (word(k) == "to" || word(k) == "value") ++k;
        int end = k;
        std::string e = expr_from(k, &end);
        // A single bare word is a string value ("set region to eu").
        if (!e.empty() && e.find(' ') == std::string::npos && g.at(k).kind == Token::Kind::kWord &&
            e != "now()" && e != "true" && e != "false")
          e = Quote(raw(k));
        if (!e.empty()) {
          in->set[f] = e;
          in->transform_why.push_back("'" + g.at(i).raw + " " + f + "'");
          Use(g, i, end);
          ++in->signals;
        }
      } else if ((w == "add" || w == "stamp") && (f.find("_at") != std::string::npos ||
                                                  f.find("time") != std::string::npos)) {
        in->set[f] = "now()";
        in->transform_why.push_back("'add " + f + "'");
        Use(g, i, next);
        ++in->signals;
      }
    } else if (w == "convert" || w == "normalize" || w == "lowercase" || w == "uppercase") {
      std::string f = field_at(i + 1, &next);
      if (f.empty()) continue;
      std::string rest;
      int end = next;
      for (int k = next; k < std::min(g.size(), next + 5); ++k) {
        rest += " " + word(k);
        end = k + 1;
        if (g.at(k).clause_end) break;
      }
      std::string e;
      if (w == "lowercase" || rest.find("lower") != std::string::npos) e = "lower(" + f + ")";
      else if (w == "uppercase" || rest.find("upper") != std::string::npos) e = "upper(" + f + ")";
      else if (rest.find("cents") != std::string::npos && rest.find("dollar") != std::string::npos)
        e = f + " / 100";
      else if (rest.find("fahrenheit") != std::string::npos && rest.find("to fahrenheit") == std::string::npos)
        e = "(" + f + " - 32) * 5 / 9";
      else if (rest.find("to fahrenheit") != std::string::npos) e = f + " * 9 / 5 + 32";
      else if (rest.find("integer") != std::string::npos || rest.find(" int") != std::string::npos)
        e = "int(" + f + ")";
      else if (rest.find("number") != std::string::npos || rest.find("float") != std::string::npos)
        e = "double(" + f + ")";
      else if (rest.find("string") != std::string::npos || rest.find("text") != std::string::npos)
        e = "string(" + f + ")";
      else if (rest.find("usd") != std::string::npos || rest.find("eur") != std::string::npos ||
               rest.find("dollar") != std::string::npos) {
        std::string cur = rest.find("eur") != std::string::npos ? "eur" : "usd";
        in->set[f + "_" + cur] = f + " * 1.0";
        in->warnings.push_back("no exchange-rate lookup: " + f + "_" + cur + " = " + f +
                               " * 1.0; put the rate you want in the transform");
        in->transform_why.push_back("'convert " + f + " to " + cur + "'");
        Use(g, i, end);
        ++in->signals;
        continue;
      }
      if (!e.empty()) {
        in->set[f] = e;
        in->transform_why.push_back("'" + g.at(i).raw + " " + f + rest + "'");
        Use(g, i, end);
        ++in->signals;
      }
    }
  }
}

void NoteUnexpressible(Goal& g, Intent* in) {
  auto warn = [&](std::initializer_list<const char*> words, const std::string& msg) {
    for (const char* w : words) {
      int at = g.Find(w);
      // A destination's subject is consumed without being understood.
      if (at >= 0 && (!g.at(at).used || g.at(at).subject_only)) {
        in->warnings.push_back(msg);
        return;
      }
    }
  };
  warn({"aggregate*", "aggregation", "average", "averages", "avg", "sum", "sums", "count", "counts",
        "counting", "count per",
        "counts per", "group by", "grouped by", "rollup", "roll up", "window*", "per minute",
        "every minute", "percentile*", "histogram*", "top 10", "top n", "totals", "moving average"},
       "aggregation over windows (counts, sums, averages, group by) is not expressible: there "
       "is no aggregate/window component, events pass through one by one. Nearest: filter/route "
       "the events here and aggregate downstream (e.g. from the output file, or the Prometheus "
       "metrics at /metrics for counts)");
  warn({"join", "joins", "joined", "merge with", "correlate*", "lookup", "look up", "enrich from",
        "enriched from", "enrich with data from"},
       "joining with another stream or a lookup table is not expressible: there is no join or "
       "lookup component. Nearest: rag-processor (similarity lookup in a vector index) or a "
       "transform that sets fixed values");
  for (int i = 0; i < g.size(); ++i)
    if (g.at(i).lower.rfind("enrich", 0) == 0)
      for (int k = i + 1; k < std::min(g.size(), i + 8); ++k)
        if (g.at(k).lower == "from" || g.at(k).lower == "table" || g.at(k).lower == "lookup") {
          in->warnings.push_back(
              "enriching from another table or stream (a join/lookup) is not expressible: there "
              "is no join or lookup component. Nearest: rag-processor (similarity lookup in a "
              "vector index built from that data) or a transform that sets fixed values");
          i = g.size();
          break;
        }
  warn({"translate*", "translation"},
       "translation is not built in: the embedded models do not generate text. Nearest: "
       "ai-processor with a remote model (model: gpt-4o-mini) and a prompt_template asking for "
       "the translation into a field");
  warn({"throttle*", "rate limit*", "rate-limit*"},
       "throttling/rate limiting is not expressible (only the generator has a rate); nearest: "
       "set concurrency on the slow node, backpressure bounds memory on its own");
  warn({"schedule*", "cron", "daily", "nightly", "every night", "every day", "hourly", "every hour",
        "every week", "weekly", "monthly", "every morning", "every evening", "once a day"},
       "scheduling is not part of a pipeline: it runs until its input ends (or keeps following "
       "it). Nearest: start `flowctl apply` from cron or a systemd timer");
  warn({"dashboard*", "visuali*", "chart*", "graph of"},
       "dashboards are not built in. Nearest: per-node metrics in Prometheus text format at "
       "/metrics (flowctl serve / apply --control-plane-port) for Grafana, and `flowctl top`");
  warn({"encrypt*", "decrypt*"},
       "encryption is not expressible in a pipeline; nearest: write to a file on an encrypted "
       "volume");
  warn({"language detection", "detect language", "detect the language", "which language"},
       "language detection is not built into the embedded models. Nearest: ai-processor "
       "classify with categories per language (works with a remote model)");
  warn({"keep only the fields", "only keep fields", "select fields", "project"},
       "keeping only some fields is not expressible directly: transform deletes fields you "
       "name; nearest: list the fields to delete");
}

}  // namespace flowctl::ai::planner
