// Internal pieces of the YAML loader, shared by the files of src/config/.
// Not part of the public API: include only from src/config/.
#ifndef FLOWCTL_SRC_CONFIG_INTERNAL_H_
#define FLOWCTL_SRC_CONFIG_INTERNAL_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

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

  void Error(const Mark& mark, const std::string& node_id,
             std::string message, std::string hint = "");
  void Warning(const Mark& mark, const std::string& node_id,
               std::string message, std::string hint = "");

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
                          std::map<std::string, Mark>* marks,
                          Reporter* reporter, const std::string& node_id);

// --- Keys -------------------------------------------------------------------

// kebab-case -> snake_case, plus the one camelCase key of the format.
std::string NormalizeKey(const std::string& key);

// Unknown-key hint: "did you mean 'x'? valid keys: a, b, c".
std::string KeyHint(const std::string& key, const std::vector<std::string>& valid);

// --- on_error ---------------------------------------------------------------

// Parses every accepted on_error form; reports and returns false otherwise.
bool ParseErrorPolicy(const YAML::Node& value, Reporter& reporter,
                      const std::string& node_id, ErrorPolicy* out);

// --- Substitution -----------------------------------------------------------

struct MissingVar {
  std::string name;
  size_t offset;  // first reference, in the input text
};

std::string SubstituteVars(std::string_view text,
                           const std::map<std::string, std::string>& vars,
                           bool use_env, std::vector<MissingVar>* missing);

// 1-based line and column of a byte offset.
void LineColumn(std::string_view text, size_t offset, int* line, int* column);

// --- Overrides --------------------------------------------------------------

// Applies the dotted --set entries to the Pipeline documents.
void ApplyOverrides(
    const std::vector<std::pair<std::string, std::string>>& overrides,
    std::vector<Document>* documents, std::vector<Diagnostic>* diags);

// --- Document ---------------------------------------------------------------

// One YAML document -> Document; nullopt when it is not even a map.
std::optional<Document> LoadDocument(const YAML::Node& root, Reporter& reporter);

}  // namespace flowctl::config::internal

#endif  // FLOWCTL_SRC_CONFIG_INTERNAL_H_
