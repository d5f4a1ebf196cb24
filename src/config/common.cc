// Marks, diagnostics and key handling shared by the loader files.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "internal.h"
#include "flowctl/base/strings.h"

namespace flowctl::config::internal {

Mark ToMark(const YAML::Mark& m, const std::string& file) {
  Mark out;
  out.file = file;
  if (m.line >= 0) out.line = m.line + 1;
  if (m.line >= 0 && m.column >= 0) out.column = m.column + 1;
  return out;
}

namespace {

Diagnostic MakeDiagnostic(Diagnostic::Severity severity, const Mark& mark,
                          const std::string& node_id, std::string message,
                          std::string hint) {
  Diagnostic d;
  d.severity = severity;
  d.mark = mark;
  d.node_id = node_id;
  d.message = std::move(message);
  d.hint = std::move(hint);
  return d;
}

}  // namespace

void Reporter::Error(const Mark& mark, const std::string& node_id,
                     std::string message, std::string hint) {
  diags_->push_back(MakeDiagnostic(Diagnostic::Severity::kError, mark, node_id,
                                   std::move(message), std::move(hint)));
}

void Reporter::Warning(const Mark& mark, const std::string& node_id,
                       std::string message, std::string hint) {
  diags_->push_back(MakeDiagnostic(Diagnostic::Severity::kWarning, mark,
                                   node_id, std::move(message),
                                   std::move(hint)));
}

const char* YamlTypeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string NormalizeKey(const std::string& key) {
  // apiVersion is camelCase by Kubernetes convention; every other key of the
  // format is snake_case, so this is the only spelling to map by hand.
  if (key == "apiVersion") return "api_version";
  return SnakeCase(key);
}

std::string KeyHint(const std::string& key,
                    const std::vector<std::string>& valid) {
  std::string hint;
  std::string guess = DidYouMean(key, valid);
  if (!guess.empty()) hint = "did you mean '" + guess + "'? ";
  return hint + "valid keys: " + Join(valid, ", ");
}

Entries KnownEntries(const YAML::Node& map,
                     const std::vector<std::string>& valid,
                     const std::string& where, const std::string& node_id,
                     Reporter& r) {
  Entries out;
  for (const auto& kv : map) {
    const YAML::Node& k = kv.first;
    if (!k.IsScalar()) {
      r.Error(r.MarkOf(k), node_id,
               std::string("keys ") + where + " must be strings, got " +
                   YamlTypeName(k));
      continue;
    }
    std::string key = NormalizeKey(k.Scalar());
    if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
      std::vector<std::string> shown = valid;
      std::replace(shown.begin(), shown.end(), std::string("api_version"),
                   std::string("apiVersion"));
      r.Error(r.MarkOf(k), node_id,
               "unknown key '" + k.Scalar() + "' " + where,
               KeyHint(key, shown));
      continue;
    }
    if (out.Find(key) != nullptr) {
      // Also catches on_error given next to on-error.
      r.Error(r.MarkOf(k), node_id,
               "duplicate key '" + k.Scalar() + "' " + where);
      continue;
    }
    out.Add({key, k, kv.second});
  }
  return out;
}

std::optional<std::string> ReadString(const Entry& e,
                                      const std::string& node_id,
                                      Reporter& r) {
  if (e.value.IsScalar() && !e.value.Scalar().empty()) return e.value.Scalar();
  // `type: null` names the null sink; YAML reads the word as a null value.
  // An empty value would be marked at the next token, on a later line.
  if (e.key == "type" && e.value.IsNull() &&
      e.value.Mark().line == e.key_node.Mark().line)
    return std::string("null");
  const YAML::Node& at = e.value.IsNull() ? e.key_node : e.value;
  r.Error(r.MarkOf(at), node_id,
           "'" + e.key + "' must be a non-empty string, got " +
               (e.value.IsScalar() ? "an empty string"
                                   : YamlTypeName(e.value)));
  return std::nullopt;
}

}  // namespace flowctl::config::internal
