// The embedded models (see include/flowctl/ai/embedded.h for what they are
// and are not). The word tables are plain text so that they read like the
// lexicons they are; they are parsed once.
#include "flowctl/ai/embedded.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <regex>

namespace flowctl::ai::embedded {
namespace {

// word:score, -4..4 (AFINN-style scale).
constexpr char kSentiment[] =
    "good:2 great:3 excellent:3 amazing:4 awesome:4 love:3 loved:3 like:2 liked:2 happy:3 "
    "glad:2 pleased:2 satisfied:2 fantastic:4 wonderful:4 perfect:3 nice:2 best:3 better:2 "
    "thank:2 thanks:2 helpful:2 fast:1 quick:1 easy:2 smooth:2 recommend:2 impressed:3 "
    "reliable:2 friendly:2 resolved:2 fixed:1 works:1 working:1 enjoy:2 delighted:3 superb:3 "
    "brilliant:3 outstanding:4 appreciate:2 appreciated:2 positive:2 success:2 successful:2 "
    "delivered:1 beautiful:3 intuitive:2 convenient:2 affordable:2 cool:1 fun:2 solid:2 "
    "bad:-3 terrible:-3 awful:-3 horrible:-3 worst:-4 hate:-3 hated:-3 poor:-2 slow:-2 "
    "broken:-3 bug:-2 bugs:-2 buggy:-2 crash:-3 crashed:-3 crashes:-3 error:-2 errors:-2 "
    "fail:-2 failed:-2 failure:-2 failing:-2 problem:-2 problems:-2 issue:-1 issues:-1 "
    "disappointed:-2 disappointing:-2 annoying:-2 annoyed:-2 angry:-3 furious:-4 upset:-2 "
    "frustrated:-2 frustrating:-2 useless:-3 unacceptable:-3 ridiculous:-3 waste:-2 "
    "wrong:-2 missing:-2 lost:-2 late:-1 delay:-1 delayed:-2 never:-1 refund:-1 complaint:-2 "
    "complain:-2 scam:-4 fraud:-4 rude:-3 unhappy:-2 sad:-2 confusing:-2 confused:-2 "
    "expensive:-1 overpriced:-2 cancel:-1 cancelled:-1 canceled:-1 down:-1 outage:-3 "
    "timeout:-2 unusable:-3 garbage:-3 sucks:-3 worse:-3 damaged:-3 defective:-3 stuck:-2 "
    "charged:-1 overcharged:-3 lawsuit:-3 negative:-2 miss:-1 unreliable:-2 painful:-2 "
    "hacked:-3 unauthorized:-2 stolen:-3 breach:-3 leak:-2 spam:-2 losing:-2 costing:-1";

constexpr char kNegators[] =
    "not no never dont doesnt didnt isnt wasnt arent werent cant cannot couldnt wont wouldnt "
    "shouldnt nothing hardly without neither nor";
constexpr char kIntensifiers[] =
    "very really extremely so super totally absolutely incredibly truly highly completely";

// word:weight of urgency signals.
constexpr char kUrgency[] =
    "urgent:3 urgently:3 asap:3 immediately:3 emergency:3 critical:3 outage:3 down:2 "
    "broken:2 unable:2 cannot:1 cant:1 blocked:2 blocker:3 escalate:3 escalation:3 "
    "lawsuit:3 legal:2 security:2 breach:3 hacked:3 fraud:3 unauthorized:3 stolen:3 "
    "now:1 today:1 deadline:2 crash:2 crashed:2 failing:1 failed:1 losing:2 lost:1 "
    "production:2 severe:2 serious:1 help:1 angry:1 furious:2 unacceptable:2 refund:1 "
    "timeout:1 error:1";

// Related words for common category names: name word -> keywords.
constexpr char kCategoryWords[] =
    "billing=invoice,invoices,charge,charged,overcharged,payment,payments,pay,paid,bill,"
    "price,pricing,refund,subscription,card,credit,receipt,fee,fees,cost,money\n"
    "payment=invoice,charge,charged,card,credit,pay,paid,refund,transaction,billing\n"
    "refund=refund,refunds,money,back,return,chargeback,reimburse\n"
    "technical=error,errors,bug,bugs,crash,crashed,broken,fail,failed,failure,login,"
    "password,install,slow,outage,timeout,api,app,server,down,loading,sync,update,production,"
    "deploy,latency,exception,performance\n"
    "tech=error,bug,crash,broken,login,outage,timeout,api,app\n"
    "bug=bug,bugs,crash,error,broken,glitch\n"
    "support=help,issue,problem,question,assist,support,agent,ticket,contact\n"
    "churn=cancel,cancelled,canceled,cancellation,unsubscribe,leave,leaving,switch,"
    "switching,competitor,quit,close,closing,terminate\n"
    "retention=cancel,unsubscribe,leave,leaving,competitor,quit\n"
    "upsell=upgrade,premium,plan,pricing,enterprise,more,seats,add,addon,tier,pro\n"
    "sales=buy,purchase,quote,demo,pricing,trial,contract,deal,order,upgrade\n"
    "opportunity=upgrade,interested,buy,purchase,expand,more\n"
    "value=vip,premium,enterprise,large,loyal,platinum,gold\n"
    "shipping=ship,shipped,shipment,delivery,delivered,package,tracking,courier,late,arrive,"
    "arrived,lost,parcel\n"
    "delivery=ship,shipped,delivery,delivered,package,tracking,courier,late,arrive,parcel\n"
    "account=login,password,profile,account,email,username,signin,locked,reset\n"
    "security=breach,hack,hacked,phishing,fraud,unauthorized,stolen,suspicious,password,"
    "vulnerability,attack\n"
    "fraud=fraud,fraudulent,scam,stolen,unauthorized,suspicious,chargeback,fake\n"
    "complaint=bad,terrible,awful,worst,complaint,complain,unhappy,disappointed,rude\n"
    "praise=great,love,excellent,amazing,thanks,thank,awesome,happy,wonderful\n"
    "feedback=feedback,suggest,suggestion,idea,feature,wish,would\n"
    "feature=feature,request,add,wish,would,support,integration,option\n"
    "product=product,feature,quality,design,item\n"
    "urgent=urgent,asap,immediately,emergency,critical,outage\n"
    "spam=free,winner,click,offer,prize,viagra,lottery\n"
    "error=error,exception,fail,failed,failure,crash,timeout,fatal\n"
    "warning=warn,warning,deprecated,slow,retry\n"
    "performance=slow,latency,lag,timeout,speed,performance,fast\n"
    "login=login,logout,signin,password,session,token,auth\n"
    "order=order,orders,purchase,cart,checkout,item\n"
    "hr=salary,vacation,leave,benefits,payroll,hiring\n"
    "legal=lawsuit,legal,lawyer,contract,compliance,gdpr\n";

// Words too common to say anything about a category.
constexpr char kStopwords[] =
    "a an the my your our their his her its i me we you he she it they them to of in on at for "
    "with by from and or but is are was were be been am this that these those do does did "
    "have has had will would can could should please just so as if not no all any some "
    "there here what when where which who how why about after before into over than then "
    "also very get got been being out up";

constexpr const char* kFallbackNames[] = {"other",   "general", "normal", "misc",
                                          "unknown", "default", "none",   "activity"};

std::vector<std::string> SplitWords(const char* text) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = text;; ++p) {
    if (*p == ' ' || *p == '\0') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      if (*p == '\0') break;
    } else {
      cur += *p;
    }
  }
  return out;
}

const std::unordered_map<std::string, bool>& Stopwords() {
  static const auto* stop = [] {
    auto* s = new std::unordered_map<std::string, bool>();
    for (const auto& w : SplitWords(kStopwords)) (*s)[w] = true;
    return s;
  }();
  return *stop;
}

std::unordered_map<std::string, double> ParseScores(const char* text) {
  std::unordered_map<std::string, double> m;
  for (const auto& w : SplitWords(text)) {
    size_t colon = w.find(':');
    m[w.substr(0, colon)] = std::atof(w.c_str() + colon + 1);
  }
  return m;
}

struct WordInfo {
  double sentiment = 0;
  double urgency = 0;
  bool negator = false;
  bool intensifier = false;
};

const std::unordered_map<std::string, WordInfo>& Lexicon() {
  static const auto* lex = [] {
    auto* m = new std::unordered_map<std::string, WordInfo>();
    for (const auto& [w, s] : ParseScores(kSentiment)) (*m)[w].sentiment = s;
    for (const auto& [w, s] : ParseScores(kUrgency)) (*m)[w].urgency = s;
    for (const auto& w : SplitWords(kNegators)) (*m)[w].negator = true;
    for (const auto& w : SplitWords(kIntensifiers)) (*m)[w].intensifier = true;
    return m;
  }();
  return *lex;
}

const std::unordered_map<std::string, std::vector<std::string>>& CategoryTable() {
  static const auto* table = [] {
    auto* m = new std::unordered_map<std::string, std::vector<std::string>>();
    std::string s = kCategoryWords;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t nl = s.find('\n', pos);
      std::string line = s.substr(pos, nl - pos);
      pos = nl + 1;
      size_t eq = line.find('=');
      std::vector<std::string> words;
      size_t p = eq + 1;
      while (p <= line.size()) {
        size_t c = line.find(',', p);
        if (c == std::string::npos) c = line.size();
        words.push_back(line.substr(p, c - p));
        p = c + 1;
      }
      (*m)[line.substr(0, eq)] = std::move(words);
    }
    return m;
  }();
  return *table;
}

inline bool IsWordChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Calls f(word, all_caps) for each lowercase word; apostrophes inside words
// are dropped (don't -> dont).
template <typename F>
void ForEachWord(std::string_view text, F&& f) {
  std::string w;
  w.reserve(32);
  bool caps = true;
  for (size_t i = 0; i <= text.size(); ++i) {
    unsigned char c = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
    if (IsWordChar(c)) {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<unsigned char>(c + 32);
      } else if (c >= 'a' && c <= 'z') {
        caps = false;
      }
      w += static_cast<char>(c);
      continue;
    }
    if (!w.empty() && c == '\'' && i + 1 < text.size()) continue;  // don't -> dont
    // U+2019, the typographic apostrophe (E2 80 99).
    if (!w.empty() && c == 0xE2 && i + 2 < text.size() &&
        static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        static_cast<unsigned char>(text[i + 2]) == 0x99) {
      i += 2;
      continue;
    }
    if (!w.empty()) f(w, caps && w.size() >= 3 && !(w[0] >= '0' && w[0] <= '9'));
    w.clear();
    caps = true;
  }
}

// Candidate forms of a word: itself, then with common suffixes removed.
template <typename Lookup>
auto FindForm(const std::string& w, Lookup&& lookup) -> decltype(lookup(w)) {
  if (auto r = lookup(w)) return r;
  static const char* kSuffixes[] = {"ing", "ed", "es", "s", "ly"};
  for (const char* suf : kSuffixes) {
    size_t n = std::strlen(suf);
    if (w.size() > n + 2 && w.compare(w.size() - n, n, suf) == 0) {
      if (auto r = lookup(w.substr(0, w.size() - n))) return r;
    }
  }
  return lookup(std::string());
}

std::string Stem(const std::string& w) {
  static const char* kSuffixes[] = {"ing", "ed", "es", "s", "ly"};
  for (const char* suf : kSuffixes) {
    size_t n = std::strlen(suf);
    if (w.size() > n + 2 && w.compare(w.size() - n, n, suf) == 0) return w.substr(0, w.size() - n);
  }
  return w;
}

}  // namespace

Classifier::Classifier(std::vector<CategoryDef> categories) : categories_(std::move(categories)) {
  fallback_ = categories_.empty() ? 0 : categories_.size() - 1;
  bool fallback_named = false;
  const auto& table = CategoryTable();
  const auto* stop = &Stopwords();
  for (size_t i = 0; i < categories_.size(); ++i) {
    auto add = [&](const std::string& word, double weight) {
      if (word.empty() || stop->count(word) > 0) return;
      for (const std::string& form : {word, Stem(word)}) {
        auto& v = index_[form];
        bool seen = false;
        for (auto& [idx, wt] : v)
          if (idx == i) {
            wt = std::max(wt, weight);
            seen = true;
          }
        if (!seen) v.emplace_back(i, weight);
      }
    };
    std::vector<std::string> name_words = Words(categories_[i].name);
    for (const auto& nw : name_words) {
      for (const char* fb : kFallbackNames)
        if (nw == fb && !fallback_named) {
          fallback_ = i;
          fallback_named = true;
        }
      add(nw, 2.0);
      auto it = table.find(nw);
      if (it == table.end()) it = table.find(Stem(nw));
      if (it != table.end())
        for (const auto& kw : it->second) add(kw, 1.0);
    }
    // A phrase shares its weight among its words: "close my account" must
    // not make every mention of an account a cancellation.
    for (const auto& kw : categories_[i].keywords) {
      std::vector<std::string> ws = Words(kw);
      size_t content = 0;
      for (const auto& w : ws) content += stop->count(w) == 0;
      for (const auto& w : ws) add(w, 2.5 / static_cast<double>(std::max<size_t>(1, content)));
    }
  }
}

const std::vector<std::pair<size_t, double>>* Classifier::Matches(std::string_view word) const {
  auto it = index_.find(std::string(word));
  return it == index_.end() ? nullptr : &it->second;
}

namespace {

// One word's contribution to the category scores; on_hit(form, category,
// weight) sees each. The stem counts only when the whole word added no new
// category. Analyze and CategoryEvidence share it so that the evidence is
// exactly what decided.
template <typename F>
void ClassifyWord(const Classifier& c, const std::string& w, std::vector<double>* scores,
                  F&& on_hit) {
  auto positive = [&] {
    size_t n = 0;
    for (double s : *scores) n += s > 0;
    return n;
  };
  auto add = [&](const std::string& form) {
    if (const auto* m = c.Matches(form))
      for (const auto& [idx, wt] : *m) {
        (*scores)[idx] += wt;
        on_hit(form, idx, wt);
      }
  };
  size_t before = positive();
  add(w);
  std::string stem = Stem(w);
  if (stem != w && positive() == before) add(stem);
}

Classification PickCategory(const Classifier& c, const std::vector<double>& scores) {
  Classification out;
  size_t best = c.fallback();
  double best_score = 0, total = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    total += scores[i];
    if (scores[i] > best_score) {
      best_score = scores[i];
      best = i;
    }
  }
  out.index = best;
  out.matched = best_score > 0;
  out.confidence = best_score > 0 ? std::min(0.95, 0.4 + 0.5 * best_score / (total + 1.0)) : 0.2;
  return out;
}

}  // namespace

void Classifier::Score(std::string_view word, std::vector<double>* scores) const {
  auto it = index_.find(std::string(word));
  if (it == index_.end()) return;
  for (const auto& [idx, wt] : it->second) (*scores)[idx] += wt;
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  ForEachWord(text, [&](const std::string& w, bool) { out.push_back(w); });
  return out;
}

Analysis Analyze(std::string_view text, const Classifier* classifier, size_t levels) {
  const auto& lex = Lexicon();
  Analysis a;
  thread_local std::vector<double> scores;
  if (classifier != nullptr) scores.assign(classifier->size(), 0.0);
  double sum = 0;
  int negate_left = 0;
  double boost = 1.0;
  double urgency = 0;
  int caps_words = 0;
  ForEachWord(text, [&](const std::string& w, bool caps) {
    ++a.words;
    if (caps) ++caps_words;
    const WordInfo* info = FindForm(w, [&](const std::string& f) -> const WordInfo* {
      if (f.empty()) return nullptr;
      auto it = lex.find(f);
      return it == lex.end() ? nullptr : &it->second;
    });
    if (classifier != nullptr) ClassifyWord(*classifier, w, &scores, [](auto&&...) {});
    if (info == nullptr) {
      if (negate_left > 0) --negate_left;
      boost = 1.0;
      return;
    }
    if (info->negator) {
      negate_left = 3;
      return;
    }
    if (info->intensifier) {
      boost = 1.5;
      return;
    }
    double s = info->sentiment * boost;
    if (negate_left > 0) {
      s = -0.7 * s;
      --negate_left;
    }
    if (info->sentiment != 0) {
      sum += s;
      ++a.sentiment.hits;
    }
    urgency += info->urgency * (negate_left > 0 ? 0.5 : 1.0) * boost;
    boost = 1.0;
  });
  // VADER-style normalization to -1..1.
  double score = sum / std::sqrt(sum * sum + 15.0);
  a.sentiment.score = std::round(score * 1000.0) / 1000.0;
  a.sentiment.label = score >= 0.05 ? "positive" : score <= -0.05 ? "negative" : "neutral";
  a.sentiment.confidence =
      a.sentiment.hits == 0 ? 0.3 : std::min(0.95, 0.45 + 0.15 * a.sentiment.hits);

  if (classifier != nullptr && classifier->size() > 0)
    a.category = PickCategory(*classifier, scores);

  // Urgency: the urgent words, plus shouting and strong negative feeling.
  size_t exclaims = static_cast<size_t>(std::count(text.begin(), text.end(), '!'));
  double signal = urgency;
  if (exclaims >= 2) signal += 1;
  if (caps_words >= 2) signal += 1;
  if (score <= -0.5)
    signal += 1.5;
  else if (score < -0.05)
    signal += 0.5;
  a.priority.signals = std::round(signal * 100.0) / 100.0;
  if (levels > 0) {
    // 0 -> lowest, 1-2 -> second, 3-4 -> third, 5+ -> highest (scaled).
    double frac = signal <= 0.5 ? 0.0 : signal < 3 ? 1.0 / 3 : signal < 5 ? 2.0 / 3 : 1.0;
    a.priority.level = static_cast<size_t>(std::lround(frac * static_cast<double>(levels - 1)));
    a.priority.urgent = signal >= 3;
    a.priority.confidence = std::min(0.9, 0.4 + 0.1 * signal);
  }
  return a;
}

nlohmann::json Evidence(std::string_view text) {
  const auto& lex = Lexicon();
  nlohmann::json opinion = nlohmann::json::array(), urgency = nlohmann::json::array();
  nlohmann::json negators = nlohmann::json::array();
  int caps = 0;
  ForEachWord(text, [&](const std::string& w, bool is_caps) {
    if (is_caps) ++caps;
    const WordInfo* info = FindForm(w, [&](const std::string& f) -> const WordInfo* {
      if (f.empty()) return nullptr;
      auto it = lex.find(f);
      return it == lex.end() ? nullptr : &it->second;
    });
    if (info == nullptr) return;
    if (info->negator) negators.push_back(w);
    if (info->sentiment != 0) opinion.push_back({{"word", w}, {"score", info->sentiment}});
    if (info->urgency != 0) urgency.push_back({{"word", w}, {"weight", info->urgency}});
  });
  return {{"opinion_words", opinion},
          {"urgency_words", urgency},
          {"negations", negators},
          {"shouted_words", caps},
          {"exclamations", std::count(text.begin(), text.end(), '!')}};
}

nlohmann::json CategoryEvidence(std::string_view text, const Classifier& classifier) {
  std::vector<double> scores(classifier.size(), 0.0);
  nlohmann::json words = nlohmann::json::array();
  ForEachWord(text, [&](const std::string& w, bool) {
    ClassifyWord(classifier, w, &scores, [&](const std::string& form, size_t idx, double wt) {
      nlohmann::json hit = {{"word", w},
                            {"category", classifier.name(idx)},
                            {"weight", std::round(wt * 1000.0) / 1000.0}};
      if (form != w) hit["as"] = form;
      words.push_back(std::move(hit));
    });
  });
  nlohmann::json by_category = nlohmann::json::object();
  for (size_t i = 0; i < scores.size(); ++i)
    if (scores[i] > 0) by_category[classifier.name(i)] = std::round(scores[i] * 1000.0) / 1000.0;
  Classification c = classifier.size() > 0 ? PickCategory(classifier, scores) : Classification{};
  return {{"kind", "category"},
          {"chosen", classifier.size() > 0 ? classifier.name(c.index) : std::string()},
          {"fallback", !c.matched},
          {"matched_words", words},
          {"scores", by_category}};
}

nlohmann::json Extraction::ToJson() const {
  return {{"emails", emails},
          {"urls", urls},
          {"phones", phones},
          {"amounts", amounts},
          {"order_ids", order_ids}};
}

Extraction Extract(std::string_view text) {
  static const std::regex kEmail(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})");
  static const std::regex kUrl(R"(https?://[^\s"'<>]+)");
  static const std::regex kPhone(R"(\+?\d[\d\s().-]{7,}\d)");
  static const std::regex kAmount(
      R"([$€£]\s?\d+(?:[.,]\d{1,2})?|\d+(?:\.\d{1,2})?\s?(?:USD|EUR|GBP|usd|eur|gbp|dollars))");
  static const std::regex kOrder(R"((?:#|order\s+|ticket\s+|ORD-?)(\d{3,}))", std::regex::icase);
  Extraction x;
  std::string s(text);
  auto all = [&](const std::regex& re, std::vector<std::string>* out, int group) {
    for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator();
         ++it) {
      std::string m = (*it)[group].str();
      if (std::find(out->begin(), out->end(), m) == out->end()) out->push_back(m);
    }
  };
  all(kEmail, &x.emails, 0);
  all(kUrl, &x.urls, 0);
  all(kAmount, &x.amounts, 0);
  all(kOrder, &x.order_ids, 1);
  all(kPhone, &x.phones, 0);
  // A phone match that is really an amount or an order number is not a phone.
  x.phones.erase(std::remove_if(x.phones.begin(), x.phones.end(),
                                [&](const std::string& p) {
                                  int digits = 0;
                                  for (char c : p) digits += (c >= '0' && c <= '9');
                                  return digits < 9;
                                }),
                 x.phones.end());
  return x;
}

std::string Summarize(std::string_view text, int max_words) {
  std::string out;
  int words = 0;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) {
      if (words == max_words) {
        out += "...";
        break;
      }
      ++words;
    }
    in_word = !space;
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
    // End at the first sentence once it carries some words.
    if ((c == '.' || c == '!' || c == '?') && words >= 5 &&
        (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n'))
      break;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<std::string> SuggestActions(const std::string& category, size_t level, size_t levels,
                                        bool negative) {
  std::vector<std::string> out;
  bool top = levels > 0 && level + 1 == levels;
  bool high = levels > 1 && level + 2 >= levels && level > 0;
  if (top) out.push_back("page the on-call owner of " + category);
  if (high) out.push_back("open a ticket for " + category + " within the hour");
  if (negative) out.push_back("reply to the customer with an apology and next steps");
  if (out.empty()) out.push_back("file under " + category + " for routine review");
  return out;
}

std::vector<float> Embed(std::string_view text, int dims) {
  std::vector<float> v(static_cast<size_t>(dims), 0.0f);
  auto bump = [&](std::string_view feature, float w) {
    // FNV-1a: stable across machines and runs.
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : feature) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    size_t i = h % static_cast<uint64_t>(dims);
    v[i] += (h >> 63) ? -w : w;
  };
  // Content words carry the meaning: stopwords are left out, and character
  // trigrams weigh little (they only catch spelling variants).
  const auto& stop = Stopwords();
  std::string prev;
  ForEachWord(text, [&](const std::string& w, bool) {
    if (stop.count(w) > 0) return;
    std::string s = Stem(w);
    bump(s, 1.0f);
    if (!prev.empty()) bump(prev + " " + s, 0.4f);
    std::string padded = "#" + s + "#";
    for (size_t i = 0; i + 3 <= padded.size(); ++i)
      bump(std::string_view(padded).substr(i, 3), 0.1f);
    prev = s;
  });
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (norm > 0) {
    float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : v) x *= inv;
  }
  return v;
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0;
}

}  // namespace flowctl::ai::embedded
