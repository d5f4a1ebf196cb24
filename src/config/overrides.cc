// --set NODE_ID.FIELD=VALUE applied to loaded Pipeline documents.
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "internal.h"
#include "flowctl/base/strings.h"

namespace flowctl::config::internal {
namespace {

using Json = nlohmann::json;

Mark OverrideMark() {
  Mark m;
  m.file = kOverrideFile;
  return m;
}

// VALUE is read as a YAML scalar so that --set behaves like the file would;
// anything else (maps, lists, broken YAML) is taken as the literal text.
Json ParseValue(const std::string& text) {
  if (text.empty()) return "";
  if (CheckYamlText(text)) return text;  // not a scalar, and costly to parse
  try {
    YAML::Node n = YAML::Load(text);
    if (n.IsNull()) return nullptr;
    if (n.IsScalar()) return ScalarToJson(n.Scalar(), IsPlain(n));
  } catch (const YAML::Exception&) {
  }
  return text;
}

std::vector<NodeSpec*> MutableNodes(PipelineSpec* spec) {
  std::vector<NodeSpec*> out;
  for (auto* list : {&spec->sources, &spec->processors, &spec->sinks}) {
    for (NodeSpec& n : *list) out.push_back(&n);
  }
  return out;
}

class OverrideApplier {
 public:
  OverrideApplier(std::vector<Document>* docs, std::vector<Diagnostic>* diags)
      : docs_(docs), reporter_(kOverrideFile, diags) {}

  void Apply(const std::string& key, const std::string& value);

 private:
  std::string MatchNodeId(const std::string& key) const;
  bool SetField(NodeSpec* node, const std::string& field,
                const std::string& value);
  bool SetConfig(NodeSpec* node, const std::string& path, const Json& value);
  void Error(std::string message, std::string hint = "") {
    reporter_.Error(OverrideMark(), node_id_,
                    "--set " + setting_ + ": " + message, std::move(hint));
  }

  std::vector<Document>* docs_;
  Reporter reporter_;
  std::string setting_;  // "key=value", for messages
  std::string node_id_;
};

// Node ids may themselves contain dots, so the longest id that prefixes the
// key wins rather than the text before the first dot.
std::string OverrideApplier::MatchNodeId(const std::string& key) const {
  std::string best;
  for (Document& doc : *docs_) {
    if (!doc.Runnable()) continue;
    for (NodeSpec* n : MutableNodes(&doc.pipeline)) {
      if (n->id.size() > best.size() && StartsWith(key, n->id + ".")) {
        best = n->id;
      }
    }
  }
  return best;
}

void OverrideApplier::Apply(const std::string& key, const std::string& value) {
  setting_ = key + "=" + value;
  node_id_.clear();
  std::vector<std::string> ids;
  for (Document& doc : *docs_) {
    if (!doc.Runnable()) continue;
    for (NodeSpec* n : MutableNodes(&doc.pipeline)) ids.push_back(n->id);
  }
  std::string id = MatchNodeId(key);
  if (id.empty()) {
    std::string first = key.substr(0, key.find('.'));
    std::string guess = DidYouMean(first, ids);
    std::string hint = guess.empty() ? "" : "did you mean '" + guess + "'? ";
    if (ids.empty()) {
      Error("no pipeline node to apply it to");
    } else {
      Error("unknown node '" + first + "'", hint + "nodes: " + Join(ids, ", "));
    }
    return;
  }
  node_id_ = id;
  std::string field = key.substr(id.size() + 1);
  for (Document& doc : *docs_) {
    if (!doc.Runnable()) continue;
    for (NodeSpec* n : MutableNodes(&doc.pipeline)) {
      // One error is enough even if several documents share the node id.
      if (n->id == id && !SetField(n, field, value)) return;
    }
  }
}

bool OverrideApplier::SetField(NodeSpec* node, const std::string& field,
                               const std::string& value) {
  if (field == "concurrency") {
    Json v = ParseValue(value);
    if (!v.is_number_integer() || v.get<int64_t>() < 1 ||
        v.get<int64_t>() > std::numeric_limits<int>::max()) {
      Error("concurrency must be an integer >= 1");
      return false;
    }
    node->concurrency = v.get<int>();
    return true;
  }
  if (field == "filter") {
    // An expression, not a YAML value: quoting inside it is the expression's.
    node->filter = value;
    node->filter_mark = OverrideMark();
    return true;
  }
  std::string path = field;
  if (StartsWith(path, "config.")) path = path.substr(7);
  if (path.empty() || path == "config") {
    Error("missing config field", "NODE_ID.FIELD=VALUE or NODE_ID.config.FIELD=VALUE");
    return false;
  }
  return SetConfig(node, path, ParseValue(value));
}

bool OverrideApplier::SetConfig(NodeSpec* node, const std::string& path,
                                const Json& value) {
  std::vector<std::string> segments = Split(path, '.');
  Json* cur = &node->config;
  std::string pointer;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    if (seg.empty()) {
      Error("empty field name in '" + path + "'");
      return false;
    }
    if (cur->is_null()) *cur = Json::object();
    if (cur->is_array()) {
      std::optional<int64_t> index = ParseInt64(seg);
      if (!index || *index < 0 ||
          static_cast<size_t>(*index) >= cur->size()) {
        Error("'" + seg + "' is not an index of the list at '" +
              (pointer.empty() ? "/" : pointer) + "'");
        return false;
      }
      cur = &(*cur)[static_cast<size_t>(*index)];
    } else if (cur->is_object()) {
      cur = &(*cur)[seg];
    } else {
      Error("cannot set a field inside '" + pointer + "': it is a " +
            cur->type_name());
      return false;
    }
    pointer += "/" + PointerToken(seg);
  }
  *cur = value;
  // Marks of the replaced value no longer point at anything it contains.
  auto& marks = node->config_marks;
  for (auto it = marks.begin(); it != marks.end();) {
    bool inside = it->first == pointer || StartsWith(it->first, pointer + "/");
    it = inside ? marks.erase(it) : std::next(it);
  }
  marks[pointer] = OverrideMark();
  return true;
}

}  // namespace

void ApplyOverrides(
    const std::vector<std::pair<std::string, std::string>>& overrides,
    std::vector<Document>* documents, std::vector<Diagnostic>* diags) {
  OverrideApplier applier(documents, diags);
  for (const auto& [key, value] : overrides) {
    if (key.find('.') == std::string::npos) continue;  // a variable
    applier.Apply(key, value);
  }
}

}  // namespace flowctl::config::internal
