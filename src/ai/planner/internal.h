// Planner internals shared by its files: the tokenized goal, the extracted
// intent, and the steps (extract -> compose -> validate/repair -> explain).
// The files are compiled as one unity unit: file-local helpers live in a
// namespace named after their file.
#ifndef FLOWCTL_AI_PLANNER_INTERNAL_H_
#define FLOWCTL_AI_PLANNER_INTERNAL_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowctl/ai/planner.h"

namespace flowctl::ai::planner {

// One token of the goal. Quoted strings stay one token; punctuation that
// ends a clause is remembered so that lists and clauses can be split.
struct Token {
  enum class Kind { kWord, kNumber, kPath, kQuoted, kSymbol };
  Kind kind = Kind::kWord;
  std::string raw;    // as written (quotes removed)
  std::string lower;  // lowercased
  double number = 0;  // kNumber: the value ($1,200 -> 1200, 10k -> 10000)
  std::string unit;   // kNumber: ms, s, %, $ ...
  bool comma_after = false;   // "a, b"
  bool clause_end = false;    // ". ; :" or the end
  bool used = false;          // consumed by an earlier rule
  // Some rule looked for this word and found it (Goal::Find): the clause
  // holding it was understood, even when the word is not consumed.
  mutable bool seen = false;
  // Only the subject of a destination ("compute the average ... and write
  // it" to FILE): consumed, but no rule made anything of it.
  bool subject_only = false;
};

// Whether the request's caller asked to stop (PlanRequest::cancelled), and
// the status returned then.
bool Cancelled(const PlanRequest& r);
Status CancelledStatus();

struct Goal {
  std::string text;
  std::vector<Token> tokens;
  // Index of the first token at or after `from` whose lowercase text starts
  // the (space separated) phrase; -1 if none.
  // mark: the match counts as understood (Token::seen); naming probes pass false.
  int Find(const std::string& phrase, int from = 0, bool mark = true) const;
  bool Has(const std::string& phrase) const { return Find(phrase) >= 0; }
  // Whether the phrase starts exactly at token i (marks nothing): a probe
  // at one place costs the phrase's length, not the goal's.
  bool MatchesAt(const std::string& phrase, int i) const;
  bool MatchesAt(const std::vector<std::string>& parts, int i) const;
  bool HasAny(std::initializer_list<const char*> phrases) const;
  int size() const { return static_cast<int>(tokens.size()); }
  const Token& at(int i) const { return tokens[static_cast<size_t>(i)]; }
};

Goal Tokenize(const std::string& text);
bool IsStopWord(const std::string& w);
std::string Slug(const std::string& s);             // "Billing Team!" -> billing-team
std::string FieldName(const std::string& s);        // "Status Code" -> status_code
std::string Quote(const std::string& s);            // 'it''s' for the expression language
std::string Singular(const std::string& w);

// A destination of events.
struct Output {
  enum class Target { kFile, kStdout };
  Target target = Target::kFile;
  std::string path;
  std::string id;         // node id
  std::string condition;  // "" = every event that reaches it
  std::string category;   // semantic destination (ai-router), e.g. billing
  bool rest = false;      // "everything else"
  // The goal keeps only these ("keep only 5xx and write them to X"): with no
  // other destination the condition filters the stream. Without it ("send
  // negative ones to X") the other events go on to a destination of their own.
  bool exclusive = false;
  std::string why;        // the goal's words
};

struct Intent {
  // Source.
  std::string source_type = "file";  // a registered source type
  nlohmann::json source_config = nlohmann::json::object();
  std::string source_id = "events";
  std::string source_why;
  bool lines = false;       // plain text lines (codec lines)
  bool parse_json = false;  // a field holds JSON text
  std::string parse_field = "message";
  // Processing.
  std::vector<std::string> conditions;  // filter, joined with &&
  std::vector<std::string> condition_why;
  std::string dedupe_key;
  std::string dedupe_why;
  nlohmann::json set = nlohmann::json::object();
  nlohmann::json rename = nlohmann::json::object();
  std::vector<std::string> drop;
  std::vector<std::string> transform_why;
  std::vector<std::string> ai_tasks;  // ai-processor tasks
  std::vector<std::string> categories;
  std::string ai_model = "embedded";
  std::string text_field;
  std::vector<std::string> ai_why;
  bool ml = false;
  double sensitivity = 0.8;
  std::string ml_why;
  bool rag = false;
  std::string rag_index = "knowledge-base";
  std::vector<std::string> rag_documents;
  std::string rag_why;
  bool urgent_sink = false;
  // Outputs.
  std::vector<Output> outputs;
  bool semantic_routing = false;
  std::string route_why;
  std::string dead_letter_path;
  bool dead_letter_named = false;
  PlanConstraints constraints;
  std::vector<std::string> warnings;
  std::vector<std::string> assumptions;
  // Something in the goal asked for a pipeline step (else: cannot serve).
  int signals = 0;
};

Intent ExtractIntent(const Goal& goal, const PlanRequest& request, const Registry& registry);

// Conditions in words -> expressions. `from`..`to` (exclusive) limits the
// tokens read; found tokens are marked used. `lines`: events are plain text
// lines (conditions on levels become contains() on the message). A clause
// led by drop/exclude/ignore keeps the complement. descriptive (optional)
// gets, per condition, whether its clause only names an analysis ("detect
// negative sentiment") rather than asking to keep or drop events; see ClauseVerb.
// What the verb leading a clause does with the events its condition names:
// keeps them, drops them ("exclude ... where"), only names an analysis
// ("detect negative sentiment"), or marks them ("flag orders over $1,000").
enum class ClauseVerb { kNone, kKeep, kDrop, kDescribe, kMark };
std::vector<std::string> ExtractConditions(Goal& goal, int from, int to, bool lines,
                                           std::vector<std::string>* why,
                                           std::vector<std::string>* assumptions,
                                           std::vector<ClauseVerb>* verbs = nullptr);

// Components ranked by how well their type, keywords and summary match the
// goal's words (retrieval over the catalog).
struct Match {
  const ComponentDescriptor* descriptor = nullptr;
  double score = 0;
  std::vector<std::string> words;  // the goal words that matched
};
std::vector<Match> RankComponents(const Goal& goal, const Registry& registry);

struct Composed {
  PipelineSpec spec;
  std::map<std::string, std::string> why;  // node id -> reason
};
Composed Compose(const Intent& intent, const std::string& name);

// Validates spec; on errors drops or replaces the failing pieces (warning
// about each) until it validates, or returns the errors.
Status ValidateAndRepair(const Registry& registry, Composed* composed,
                         std::vector<std::string>* warnings, std::vector<Diagnostic>* diags);

// Fills plan->nodes from the spec (reasons where known, else the component).
void ExplainNodes(const Registry& registry, const std::map<std::string, std::string>& why,
                  Plan* plan);

// Renders, reloads and revalidates plan->spec; fills yaml, nodes, diagnostics.
Status Finalize(const Registry& registry, const std::map<std::string, std::string>& why,
                Plan* plan);

// The model path.
Result<Plan> DraftWithModel(const PlanRequest& request, const Registry& registry);

std::string DeriveName(const Goal& goal);
std::string DiagnosticsText(const std::vector<Diagnostic>& diags, bool errors_only);

}  // namespace flowctl::ai::planner

#endif  // FLOWCTL_AI_PLANNER_INTERNAL_H_
