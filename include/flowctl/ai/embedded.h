// The embedded models: deterministic local heuristics that need no network
// and no key, for every task the AI components offer. They are honest
// heuristics (a sentiment lexicon with negation, keyword classification
// against the configured categories, rule-based priority, regex extraction,
// lead-sentence summaries, hashed n-gram embeddings) — good enough for demos,
// tests and cheap first passes, not a replacement for a language model.
// docs/ai.md lists their limits.
//
// Contract: pure functions and immutable objects after construction; safe to
// use from any number of threads. Text is treated as UTF-8; only ASCII
// letters and digits form words (other bytes separate words).
#ifndef FLOWCTL_AI_EMBEDDED_H_
#define FLOWCTL_AI_EMBEDDED_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flowctl/base/status.h"
#include "flowctl/data/value.h"

namespace flowctl::ai::embedded {

inline constexpr char kModelName[] = "embedded-v1";

struct Sentiment {
  double score = 0;               // -1 (negative) .. 1 (positive)
  const char* label = "neutral";  // negative, neutral, positive
  double confidence = 0;          // 0..1, grows with the number of opinion words
  int hits = 0;                   // opinion words seen
};

struct CategoryDef {
  std::string name;
  std::vector<std::string> keywords;  // in addition to the name's own words
};

// Keyword classifier over a fixed set of categories. The words of each
// category's name count, plus a built-in table of related words for common
// names (billing, technical, churn, shipping, security, ...), plus the
// configured keywords.
class Classifier {
 public:
  explicit Classifier(std::vector<CategoryDef> categories);
  size_t size() const { return categories_.size(); }
  const std::string& name(size_t i) const { return categories_[i].name; }
  // Index of the fallback category (one named like other/general/normal), or
  // the last one.
  size_t fallback() const { return fallback_; }
  // Adds the weight of every category this (lowercase, stemmed) word points to.
  void Score(std::string_view word, std::vector<double>* scores) const;
  // The (category, weight) pairs a word form points to; nullptr when none.
  const std::vector<std::pair<size_t, double>>* Matches(std::string_view word) const;

 private:
  std::vector<CategoryDef> categories_;
  std::unordered_map<std::string, std::vector<std::pair<size_t, double>>> index_;
  size_t fallback_ = 0;
};

struct Classification {
  size_t index = 0;
  double confidence = 0;
  bool matched = false;  // false: no keyword hit, fallback chosen
};

struct Priority {
  size_t level = 0;  // index into the levels (0 = lowest)
  bool urgent = false;
  double confidence = 0;
  double signals = 0;  // the urgency score the level is read from
};

struct Extraction {
  std::vector<std::string> emails, urls, phones, amounts, order_ids;
  nlohmann::json ToJson() const;
};

// Everything the models compute from one pass over the words of a text.
struct Analysis {
  Sentiment sentiment;
  Classification category;  // only when a classifier was given
  Priority priority;        // over `levels` levels
  int words = 0;
};

// One pass: tokenize, score sentiment, categories and urgency.
Analysis Analyze(std::string_view text, const Classifier* classifier, size_t levels);

Extraction Extract(std::string_view text);
// The leading sentence(s), at most max_words words.
std::string Summarize(std::string_view text, int max_words);
// Suggested next actions for a category and priority (templated phrases).
std::vector<std::string> SuggestActions(const std::string& category, size_t level, size_t levels,
                                        bool negative);
// Hashed word and character-trigram features, L2-normalized.
std::vector<float> Embed(std::string_view text, int dims = 512);
double Cosine(const std::vector<float>& a, const std::vector<float>& b);

// Why the models decided as they did on a text: the opinion words with their
// scores, the urgency words, negations and shouting (for `flowctl explain`).
nlohmann::json Evidence(std::string_view text);
// Why the classifier chose a category: each word that matched with the
// category and weight it added, the scores, the choice, and whether it is
// the fallback for lack of any match. {"kind": "category", ...}.
nlohmann::json CategoryEvidence(std::string_view text, const Classifier& classifier);

// Lowercase words with a light suffix stemmer; what Analyze sees.
std::vector<std::string> Words(std::string_view text);

// The tasks the embedded models know.
inline constexpr const char* kTasks[] = {
    "classify-and-enrich", "sentiment", "classify", "priority", "extract", "summarize"};

// Classes used when a node asks for a category but configures none.
inline constexpr const char* kDefaultCategories[] = {
    "billing", "technical", "account", "shipping", "security", "sales", "feedback", "general"};

// A plan, made once per node, for producing a model answer with the
// embedded models: each output field is mapped by its name and type to the
// heuristic that fills it (sentiment -> score or label, category/topic/team
// -> classifier, priority/urgency/severity -> levels of its enum, urgent ->
// bool, actions, summary, entities, confidence). Without an output schema,
// the tasks' default fields are used.
class Filler {
 public:
  // tasks: one or more of kTasks. A required schema field that no heuristic
  // can fill is an error naming it.
  static Result<Filler> Make(const std::vector<std::string>& tasks, const nlohmann::json& schema,
                             std::vector<CategoryDef> categories);
  // Fields for one text, in schema order; *confidence is the mean of the
  // confidences of the parts used.
  void Fill(std::string_view text, std::vector<Member>* out, double* confidence) const;
  const std::vector<std::string>& field_names() const { return names_; }
  // Evidence for each field Fill writes, keyed by field name and fitting its
  // kind: opinion words for sentiment, matched keywords for a category,
  // urgency signals for priority, the rule for extraction and summaries.
  nlohmann::json Evidence(std::string_view text) const;
  // The label of the chosen category for a text (ai-router uses it).
  bool has_classifier() const { return classifier_ != nullptr; }

 private:
  enum class Kind {
    kSentimentScore,
    kSentimentLabel,
    kCategory,
    kPriority,
    kUrgent,
    kActions,
    kSummary,
    kEntities,
    kConfidence,
    kEmails,
    kUrls,
    kAmounts,
    kKeywords
  };
  struct Field {
    std::string name;
    Kind kind;
    std::vector<std::string> values;  // enum values (labels, levels)
    bool as_string = false;           // sentiment as a label
  };
  std::vector<Field> fields_;
  std::vector<std::string> names_;
  std::shared_ptr<const Classifier> classifier_;
  std::vector<std::string> levels_ = {"low", "medium", "high", "critical"};
  bool levels_descending_ = false;
};

}  // namespace flowctl::ai::embedded

#endif  // FLOWCTL_AI_EMBEDDED_H_
