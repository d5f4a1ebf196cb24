// Internal pieces of the YAML loader, shared by the files of src/config/.
// Not part of the public API: include only from src/config/.
#ifndef FLOWCTL_SRC_CONFIG_INTERNAL_H_
#define FLOWCTL_SRC_CONFIG_INTERNAL_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flowctl/config/loader.h"
#include "flowctl/spec/diagnostic.h"
#include "flowctl/spec/spec.h"

namespace flowctl::config::internal {

// Note for this directory: iterate yaml-cpp maps with range-for. With
// explicit iterators, `const YAML::Node& k = it->first;` binds to a member
// of a temporary proxy and dangles at the end of the statement.

// Where "--set" problems are reported: they have no line in any file.
inline constexpr char kOverrideFile[] = "--set";

// yaml-cpp marks are 0-based and -1 when unknown; ours are 1-based, 0 unknown.
Mark ToMark(const YAML::Mark& m, const std::string& file);

// Collects diagnostics for one file.
class Reporter {
 public:
  Reporter(std::string file, std::vector<Diagnostic>* diags)
      : file_(std::move(file)), diags_(diags) {}

  const std::string& file() const { return file_; }
  Mark MarkOf(const YAML::Node& n) const { return ToMark(n.Mark(), file_); }

  void Error(const Mark& mark, const std::string& node_id, std::string message,
             std::string hint = "");
  void Warning(const Mark& mark, const std::string& node_id, std::string message,
               std::string hint = "");

 private:
  std::string file_;
  std::vector<Diagnostic>* diags_;
};

// "a map", "a list", "null", "a string" -- for "X must be Y, got Z" messages.
const char* YamlTypeName(const YAML::Node& n);

// --- YAML -> JSON -----------------------------------------------------------

// Resolves a scalar the way YAML 1.2 core does for plain scalars (int64,
// double, true/false, null, else string). Non-plain (quoted, block, !!str)
// scalars are always strings.
nlohmann::json ScalarToJson(const std::string& text, bool plain);

// True for scalars whose type comes from their text (no quotes, no tag).
bool IsPlain(const YAML::Node& n);

// Strict decimal integer, as YAML 1.2 core: [-+]?[0-9]+ within int64.
std::optional<int64_t> ParseInt64(std::string_view s);

// "/" and "~" escaped as RFC 6901 wants.
std::string PointerToken(std::string_view key);

// Converts any node. When marks is set, records the Mark (in the reporter's
// file) of every map value and list element under its JSON pointer, prefixed
// by pointer. When reporter is set, problems (non-string keys, duplicates,
// runaway alias expansion) are reported; without it they are tolerated,
// which suits copies kept only for display (Document::raw).
nlohmann::json YamlToJson(const YAML::Node& node, const std::string& pointer,
                          std::map<std::string, Mark>* marks, Reporter* reporter,
                          const std::string& node_id);

// --- Limits -----------------------------------------------------------------

// What one YAML text may cost (docs/operations.md, "Document limits"). Real
// pipeline documents stay far below; hostile ones must fail fast and small.
inline constexpr size_t kMaxYamlBytes = size_t{1} << 20;
inline constexpr size_t kMaxYamlDepth = 256;
// Values written (list items, map entries, roughly): what yaml-cpp allocates
// a few hundred bytes each for, so the bound on a parse's memory.
inline constexpr size_t kMaxYamlEntries = 100000;
// Nodes reached again through aliases (*name), counted with repetition.
inline constexpr size_t kMaxYamlAliasNodes = 100000;

struct YamlLimitError {
  size_t offset;  // in the text
  std::string message;
  std::string hint;
};

// Size, nesting depth (block and flow) and entries of text, read before
// any parse; the first limit exceeded, with where.
std::optional<YamlLimitError> CheckYamlText(std::string_view text);
// The same, reported at file:line:col; false when over a limit.
bool CheckYamlText(std::string_view text, Reporter& reporter);
// Depth and alias expansion of a parsed tree (aliases walked as copies, the
// way YamlToJson converts them); reports the node where a limit is passed
// when reporter is set. Costs at most the tree plus kMaxYamlAliasNodes.
bool CheckYamlTree(const YAML::Node& root, Reporter* reporter);
// YAML::LoadAll after a pass over the parser's events that throws
// YAML::ParserException (with its mark) where yaml-cpp would loop forever
// or yield more nodes than kMaxYamlEntries allows. Use it for every parse.
std::vector<YAML::Node> LoadAllBounded(const std::string& text);

// --- Fixed-structure maps ---------------------------------------------------

// One key of a fixed-structure map, normalized to snake_case.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class Entries {
 public:
  const Entry* Find(const std::string& key) const {
    for (const Entry& e : entries_) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }
  void Add(Entry e) { entries_.push_back(std::move(e)); }

 private:
  std::vector<Entry> entries_;
};

// The keys of map that are in valid (after NormalizeKey); reports unknown
// keys (with a did-you-mean), non-string keys and duplicates.
Entries KnownEntries(const YAML::Node& map, const std::vector<std::string>& valid,
                     const std::string& where, const std::string& node_id, Reporter& r);

// A non-empty string value, or nullopt after reporting it.
std::optional<std::string> ReadString(const Entry& e, const std::string& node_id, Reporter& r);

// --- Keys -------------------------------------------------------------------

// kebab-case -> snake_case, plus the one camelCase key of the format.
std::string NormalizeKey(const std::string& key);

// Unknown-key hint: "did you mean 'x'? valid keys: a, b, c".
std::string KeyHint(const std::string& key, const std::vector<std::string>& valid);

// --- on_error ---------------------------------------------------------------

// Parses every accepted on_error form; reports and returns false otherwise.
bool ParseErrorPolicy(const YAML::Node& value, Reporter& reporter, const std::string& node_id,
                      ErrorPolicy* out);

// --- Substitution -----------------------------------------------------------

struct MissingVar {
  std::string name;
  size_t offset;  // first reference, in the input text
};

// A byte range of the raw text (one PipelineTemplate document) whose
// references to names are template parameters, not variables.
struct ParamScope {
  size_t begin = 0;
  size_t end = 0;
  std::set<std::string> names;
};

// Parameter references set aside by substitution. Left as "${level}" the
// text would not parse everywhere ("inputs: [gen-${level}]" is not YAML), so
// each becomes a token of word characters, "__fp<index>x..x__" (padded to
// the reference's length where it can be, to keep columns), and
// RestoreReferences puts the reference back into the parsed tree.
struct ParamRefs {
  std::vector<ParamScope> scopes;
  std::vector<std::string> originals;  // "${level}", "$${level}", by index
};

// The PipelineTemplate documents of text and their parameter names, found by
// parsing the text before substitution (references masked). Empty when that
// does not parse: the YAML error after substitution explains it.
std::vector<ParamScope> FindParamScopes(const std::string& text);

std::string SubstituteVars(std::string_view text, const std::map<std::string, std::string>& vars,
                           bool use_env, std::vector<MissingVar>* missing,
                           ParamRefs* params = nullptr);

// The tokens of ParamRefs in every scalar (keys too) under node replaced by
// the references they stand for, in place.
void RestoreReferences(YAML::Node node, const std::vector<std::string>& originals);

// 1-based line and column of a byte offset.
void LineColumn(std::string_view text, size_t offset, int* line, int* column);

// --- Overrides --------------------------------------------------------------

// Applies the dotted --set entries to the Pipeline documents.
void ApplyOverrides(const std::vector<std::pair<std::string, std::string>>& overrides,
                    std::vector<Document>* documents, std::vector<Diagnostic>* diags);

// --- Document ---------------------------------------------------------------

// One YAML document -> Document; nullopt when it is not even a map. A
// PipelineTemplate gets its template_spec, a Pipeline with spec.template its
// template_ref; neither is instantiated yet.
std::optional<Document> LoadDocument(const YAML::Node& root, Reporter& reporter);

// The pipeline part of a spec map (sources, processors, sinks, batch_size,
// channel_capacity, extensions) -- a template's body. key_node is where
// errors about the map as a whole point.
void LoadPipelineBody(const YAML::Node& value, const YAML::Node& key_node, Reporter& reporter,
                      PipelineSpec* spec);

// A file after substitution and parsing: its documents and, parallel to
// them, the index of each one's root in YAML::LoadAll(text). Templates are
// instantiated from a fresh parse of text, so that each instantiation
// resolves its own copy of the body and keeps the body's marks.
struct ParsedFile {
  std::string file;
  std::string text;
  std::vector<std::string> references;  // ParamRefs::originals
  std::vector<Document> documents;
  std::vector<size_t> roots;
};

// Substitutes, parses and loads text; problems go to diags. only_templates:
// skip documents of other kinds (a file read for spec.template.path).
ParsedFile ParseFile(std::string_view text, const std::string& filename, const LoadOptions& options,
                     bool only_templates, std::vector<Diagnostic>* diags);

// --- Templates --------------------------------------------------------------

// A PipelineTemplate's spec: {parameters, template}. The body is loaded as
// written, and its diagnostics dropped: each instantiation reports them
// with its values.
void LoadTemplateSpec(const Entry& e, Reporter& r, TemplateSpec* out);

// An AIMonitor's spec (monitor_doc.cc).
void LoadMonitorSpec(const Entry& e, Reporter& r, MonitorSpec* out);

// An AIGovernancePolicy's spec (governance_doc.cc).
void LoadGovernanceSpec(const Entry& e, Reporter& r, GovernanceSpec* out);

// spec.ai-policies (healing_doc.cc): the self-healing policies.
void LoadHealingPolicies(const Entry& e, Reporter& r, std::vector<HealingPolicy>* out);

// A Pipeline's spec.template: {name, path, parameters}.
void LoadTemplateRef(const Entry& e, Reporter& r, TemplateRef* out);

// Where --param problems are reported.
inline constexpr char kParamFile[] = "--param";

// spec.parameters of a PipelineTemplate: a list of maps. Defaults, enums
// and bounds are checked against the declared (or the default's) type.
void LoadParameters(const Entry& e, Reporter& r, std::vector<TemplateParameter>* out);

// v converted to p's type and checked against its enum and bounds; nullopt
// after reporting "parameter 'p': ..." at mark. v is YAML-typed JSON, or a
// string of text (from --param) that is read as the type.
std::optional<nlohmann::json> CheckParameterValue(const TemplateParameter& p,
                                                  const nlohmann::json& v, const Mark& mark,
                                                  Reporter& r);

// A value as text where it stands inside a longer string: 0.9, true, abc.
std::string ParameterText(const nlohmann::json& value);

// kind: PipelineTemplate (before the document is loaded).
bool IsTemplateDocument(const YAML::Node& root);

// Instantiates the templates of file: each Pipeline's spec.template (from
// this file or its path) and every PipelineTemplate no Pipeline of the
// file references. Reports unknown --params.
void InstantiateTemplates(const LoadOptions& options, ParsedFile* file,
                          std::vector<Diagnostic>* diags);

}  // namespace flowctl::config::internal

#endif  // FLOWCTL_SRC_CONFIG_INTERNAL_H_
