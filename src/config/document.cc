// One YAML document -> Document / PipelineSpec. Checks the fixed structure
// (top level, metadata, spec, nodes); node config stays free-form JSON.
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "flowctl/base/strings.h"
#include "internal.h"

namespace flowctl::config::internal {
namespace {

const std::vector<std::string> kKinds = {"Pipeline",           "PipelineTemplate",
                                         "MultiAgentPipeline", "AIGovernancePolicy",
                                         "AIMonitor",          "AgentInterface"};
const std::vector<std::string> kApiVersions = {"v1", "flowctl/v1", "flowctl.dev/v1"};
constexpr char kObsrvrSuffix[] = ".obsrvr.com/v1";

const std::vector<std::string> kTopKeys = {"api_version", "kind", "metadata", "spec"};
const std::vector<std::string> kMetadataKeys = {"name", "labels", "annotations"};
const std::vector<std::string> kSpecKeys = {
    "batch_size", "channel_capacity", "sources",    "processors",
    "sinks",      "observability",    "ai_policies"};
// A Pipeline's spec may instead instantiate a template.
const std::vector<std::string> kPipelineSpecKeys = {
    "batch_size", "channel_capacity", "sources",     "processors",
    "sinks",      "observability",    "ai_policies", "template"};
const std::vector<std::string> kNodeSections = {"sources", "processors", "sinks"};
const std::vector<std::string> kExtensionKeys = {"observability", "ai_policies"};
const std::vector<std::string> kNodeKeys = {"id",     "type",        "inputs",  "config",
                                            "filter", "concurrency", "on_error"};

bool IsAcceptedApiVersion(const std::string& v) {
  if (std::find(kApiVersions.begin(), kApiVersions.end(), v) != kApiVersions.end()) {
    return true;
  }
  return v.size() > sizeof(kObsrvrSuffix) - 1 && EndsWith(v, kObsrvrSuffix);
}

class DocumentLoader {
 public:
  explicit DocumentLoader(Reporter& reporter) : r_(reporter) {}

  std::optional<Document> Load(const YAML::Node& root);
  void LoadBody(const Entry& e, PipelineSpec* spec) { LoadSpec(e, spec, nullptr); }

 private:
  Entries KnownEntries(const YAML::Node& map, const std::vector<std::string>& valid,
                       const std::string& where, const std::string& node_id);
  std::optional<std::string> ReadString(const Entry& e, const std::string& node_id);
  std::optional<int> ReadInt(const Entry& e, int min, const std::string& node_id);
  std::string ReadKind(const Entries& top, const YAML::Node& root);
  std::string ReadApiVersion(const Entries& top, const YAML::Node& root);
  std::map<std::string, std::string> ReadStringMap(const Entry& e);
  void LoadMetadata(const Entries& top, const YAML::Node& root, bool name_required, Metadata* md);
  // ref: where a Pipeline's spec.template goes; nullptr for a template's
  // body, which cannot reference another template.
  void LoadSpec(const Entry& e, PipelineSpec* spec, std::optional<TemplateRef>* ref);
  void LoadSection(const Entry& e, NodeKind kind, std::vector<NodeSpec>* out);
  bool LoadNode(const YAML::Node& n, NodeKind kind, NodeSpec* node);
  void LoadInputs(const Entry& e, NodeSpec* node);
  void LoadConfig(const Entry& e, NodeSpec* node);

  Reporter& r_;
};

Entries DocumentLoader::KnownEntries(const YAML::Node& map, const std::vector<std::string>& valid,
                                     const std::string& where, const std::string& node_id) {
  return internal::KnownEntries(map, valid, where, node_id, r_);
}

std::optional<std::string> DocumentLoader::ReadString(const Entry& e, const std::string& node_id) {
  return internal::ReadString(e, node_id, r_);
}

std::optional<int> DocumentLoader::ReadInt(const Entry& e, int min, const std::string& node_id) {
  std::optional<int64_t> n;
  if (e.value.IsScalar() && IsPlain(e.value)) n = ParseInt64(e.value.Scalar());
  if (n && *n >= min && *n <= INT_MAX) return static_cast<int>(*n);
  std::string got = e.value.IsScalar() ? "'" + e.value.Scalar() + "'" : YamlTypeName(e.value);
  const YAML::Node& at = e.value.IsNull() ? e.key_node : e.value;
  r_.Error(r_.MarkOf(at), node_id,
           "'" + e.key + "' must be an integer >= " + std::to_string(min) + ", got " + got);
  return std::nullopt;
}

std::string DocumentLoader::ReadKind(const Entries& top, const YAML::Node& root) {
  const Entry* e = top.Find("kind");
  if (e == nullptr) {
    r_.Error(r_.MarkOf(root), "", "missing 'kind'", "one of: " + Join(kKinds, ", "));
    return "";
  }
  std::optional<std::string> kind = ReadString(*e, "");
  if (!kind) return "";
  if (std::find(kKinds.begin(), kKinds.end(), *kind) == kKinds.end()) {
    std::string guess = DidYouMean(*kind, kKinds);
    std::string hint = guess.empty() ? "" : "did you mean '" + guess + "'? ";
    r_.Error(r_.MarkOf(e->value), "", "unknown kind '" + *kind + "'",
             hint + "valid kinds: " + Join(kKinds, ", "));
  }
  return *kind;
}

std::string DocumentLoader::ReadApiVersion(const Entries& top, const YAML::Node& root) {
  const std::string accepted =
      "accepted: " + Join(kApiVersions, ", ") + ", <group>" + kObsrvrSuffix;
  const Entry* e = top.Find("api_version");
  if (e == nullptr) {
    r_.Error(r_.MarkOf(root), "", "missing 'apiVersion'", accepted);
    return "";
  }
  std::optional<std::string> v = ReadString(*e, "");
  if (!v) return "";
  if (!IsAcceptedApiVersion(*v)) {
    r_.Error(r_.MarkOf(e->value), "", "unsupported apiVersion '" + *v + "'", accepted);
  }
  return *v;
}

std::map<std::string, std::string> DocumentLoader::ReadStringMap(const Entry& e) {
  std::map<std::string, std::string> out;
  if (e.value.IsNull()) return out;
  if (!e.value.IsMap()) {
    r_.Error(r_.MarkOf(e.value), "",
             "'" + e.key + "' must be a map of strings, got " + YamlTypeName(e.value));
    return out;
  }
  for (const auto& kv : e.value) {
    if (!kv.first.IsScalar() || !(kv.second.IsScalar() || kv.second.IsNull())) {
      r_.Error(r_.MarkOf(kv.second), "", "'" + e.key + "' must map strings to strings");
      continue;
    }
    out[kv.first.Scalar()] = kv.second.IsNull() ? "" : kv.second.Scalar();
  }
  return out;
}

void DocumentLoader::LoadMetadata(const Entries& top, const YAML::Node& root, bool name_required,
                                  Metadata* md) {
  const Entry* e = top.Find("metadata");
  if (e == nullptr || e->value.IsNull()) {
    if (name_required) {
      r_.Error(r_.MarkOf(e ? e->key_node : root), "", "missing 'metadata.name'",
               "metadata: {name: my-pipeline}");
    }
    return;
  }
  if (!e->value.IsMap()) {
    r_.Error(r_.MarkOf(e->value), "",
             std::string("'metadata' must be a map, got ") + YamlTypeName(e->value));
    return;
  }
  Entries entries = KnownEntries(e->value, kMetadataKeys, "in metadata", "");
  if (const Entry* name = entries.Find("name")) {
    if (auto s = ReadString(*name, "")) md->name = *s;
  } else if (name_required) {
    r_.Error(r_.MarkOf(e->value), "", "missing 'metadata.name'");
  }
  if (const Entry* labels = entries.Find("labels")) {
    md->labels = ReadStringMap(*labels);
  }
  if (const Entry* notes = entries.Find("annotations")) {
    md->annotations = ReadStringMap(*notes);
  }
}

void DocumentLoader::LoadSpec(const Entry& e, PipelineSpec* spec, std::optional<TemplateRef>* ref) {
  if (!e.value.IsMap()) {
    r_.Error(r_.MarkOf(e.value.IsNull() ? e.key_node : e.value), "",
             "'" + e.key + "' must be a map, got " + YamlTypeName(e.value),
             e.key + ": {sources: [...], processors: [...], sinks: [...]}");
    return;
  }
  Entries entries =
      KnownEntries(e.value, ref != nullptr ? kPipelineSpecKeys : kSpecKeys, "in " + e.key, "");
  if (const Entry* t = entries.Find("template"); t != nullptr) {
    LoadTemplateRef(*t, r_, &ref->emplace());
    for (const std::string& section : kNodeSections) {
      if (const Entry* x = entries.Find(section)) {
        r_.Error(r_.MarkOf(x->key_node), "", "'" + section + "' cannot be combined with 'template'",
                 "a Pipeline either lists its nodes or instantiates a "
                 "template; change the template or its parameters instead");
      }
    }
  }
  if (const Entry* b = entries.Find("batch_size")) {
    if (auto n = ReadInt(*b, 1, "")) spec->batch_size = *n;
  }
  if (const Entry* c = entries.Find("channel_capacity")) {
    if (auto n = ReadInt(*c, 1, "")) spec->channel_capacity = *n;
  }
  if (const Entry* s = entries.Find("sources")) {
    LoadSection(*s, NodeKind::kSource, &spec->sources);
  }
  if (const Entry* p = entries.Find("processors")) {
    LoadSection(*p, NodeKind::kProcessor, &spec->processors);
  }
  if (const Entry* s = entries.Find("sinks")) {
    LoadSection(*s, NodeKind::kSink, &spec->sinks);
  }
  for (const std::string& key : kExtensionKeys) {
    const Entry* x = entries.Find(key);
    if (x == nullptr) continue;
    spec->extensions[key] = YamlToJson(x->value, "", nullptr, nullptr, "");
    if (key == "ai_policies")
      LoadHealingPolicies(*x, r_, &spec->healing);
    else
      r_.Warning(r_.MarkOf(x->key_node), "", "'" + key + "' is accepted but not acted on yet");
  }
}

void DocumentLoader::LoadSection(const Entry& e, NodeKind kind, std::vector<NodeSpec>* out) {
  if (e.value.IsNull()) return;
  if (!e.value.IsSequence()) {
    r_.Error(r_.MarkOf(e.value), "",
             "'" + e.key + "' must be a list of nodes, got " + YamlTypeName(e.value),
             e.key + ": [{id: my-node, type: some-type}]");
    return;
  }
  for (const auto& item : e.value) {
    NodeSpec node;
    if (LoadNode(item, kind, &node)) out->push_back(std::move(node));
  }
}

// The id, looked up before the other keys so that every diagnostic about
// the node can name it.
std::string PeekId(const YAML::Node& n) {
  for (const auto& kv : n) {
    if (kv.first.IsScalar() && kv.first.Scalar() == "id" && kv.second.IsScalar()) {
      return kv.second.Scalar();
    }
  }
  return "";
}

bool DocumentLoader::LoadNode(const YAML::Node& n, NodeKind kind, NodeSpec* node) {
  node->kind = kind;
  node->mark = r_.MarkOf(n);
  if (!n.IsMap()) {
    r_.Error(node->mark, "",
             std::string("a ") + NodeKindName(kind) + " must be a map with 'id' and 'type', got " +
                 YamlTypeName(n));
    return false;
  }
  const std::string id = PeekId(n);
  Entries entries = KnownEntries(n, kNodeKeys, "in node", id);
  const Entry* id_entry = entries.Find("id");
  if (id_entry == nullptr) {
    r_.Error(node->mark, "", std::string("a ") + NodeKindName(kind) + " needs an 'id'");
    return false;
  }
  std::optional<std::string> read_id = ReadString(*id_entry, "");
  if (!read_id) return false;
  node->id = *read_id;
  if (const Entry* t = entries.Find("type")) {
    node->type_mark = r_.MarkOf(t->value.IsNull() ? t->key_node : t->value);
    if (auto s = ReadString(*t, id)) node->type = *s;
  } else {
    r_.Error(node->mark, id, "missing 'type'");
  }
  if (const Entry* in = entries.Find("inputs")) LoadInputs(*in, node);
  if (const Entry* c = entries.Find("config")) LoadConfig(*c, node);
  if (const Entry* f = entries.Find("filter")) {
    node->filter_mark = r_.MarkOf(f->value.IsNull() ? f->key_node : f->value);
    if (auto s = ReadString(*f, id)) node->filter = *s;
  }
  if (const Entry* c = entries.Find("concurrency")) {
    if (auto v = ReadInt(*c, 1, id)) node->concurrency = *v;
  }
  if (const Entry* oe = entries.Find("on_error")) {
    node->has_on_error = ParseErrorPolicy(oe->value, r_, id, &node->on_error);
  }
  return true;
}

void DocumentLoader::LoadInputs(const Entry& e, NodeSpec* node) {
  auto bad = [&](const YAML::Node& at) {
    r_.Error(r_.MarkOf(at), node->id,
             std::string("'inputs' must be a list of node ids, got ") + YamlTypeName(at),
             "inputs: [node-a, node-b]");
  };
  if (e.value.IsNull()) return;
  if (e.value.IsScalar()) {  // a single input needs no brackets
    node->inputs.push_back(e.value.Scalar());
    node->input_marks.push_back(r_.MarkOf(e.value));
    return;
  }
  if (!e.value.IsSequence()) return bad(e.value);
  for (const auto& item : e.value) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      bad(item);
      continue;
    }
    node->inputs.push_back(item.Scalar());
    node->input_marks.push_back(r_.MarkOf(item));
  }
}

void DocumentLoader::LoadConfig(const Entry& e, NodeSpec* node) {
  if (e.value.IsNull()) return;
  if (!e.value.IsMap()) {
    r_.Error(r_.MarkOf(e.value), node->id,
             std::string("'config' must be a map, got ") + YamlTypeName(e.value));
    return;
  }
  node->config = YamlToJson(e.value, "", &node->config_marks, &r_, node->id);
}

std::optional<Document> DocumentLoader::Load(const YAML::Node& root) {
  if (!root.IsMap()) {
    r_.Error(r_.MarkOf(root), "",
             std::string("a document must be a map, got ") + YamlTypeName(root),
             "apiVersion, kind, metadata, spec");
    return std::nullopt;
  }
  Document doc;
  doc.mark = r_.MarkOf(root);
  doc.raw = YamlToJson(root, "", nullptr, nullptr, "");
  Entries top = KnownEntries(root, kTopKeys, "at top level", "");
  doc.api_version = ReadApiVersion(top, root);
  doc.kind = ReadKind(top, root);
  const bool is_pipeline = doc.kind == "Pipeline";
  const bool is_template = doc.kind == "PipelineTemplate";
  const bool is_monitor = doc.kind == "AIMonitor";
  const bool is_governance = doc.kind == "AIGovernancePolicy";
  // A template is referenced by its name; a monitor or a policy is managed by it.
  LoadMetadata(top, root, is_pipeline || is_template || is_monitor || is_governance, &doc.metadata);
  if (is_governance) {
    if (const Entry* s = top.Find("spec"))
      LoadGovernanceSpec(*s, r_, &doc.governance);
    else
      r_.Error(doc.mark, "", "missing 'spec'", "spec: {approval-required: [...], audit: {...}}");
    return doc;
  }
  if (is_monitor) {
    if (const Entry* s = top.Find("spec"))
      LoadMonitorSpec(*s, r_, &doc.monitor);
    else
      r_.Error(doc.mark, "", "missing 'spec'",
               "spec: {targets: [...], predictions: [...], actions: {...}}");
    return doc;
  }
  if (is_template) {
    if (const Entry* s = top.Find("spec")) {
      LoadTemplateSpec(*s, r_, &doc.template_spec);
    } else {
      r_.Error(doc.mark, "", "missing 'spec'",
               "spec: {parameters: [...], template: {sources: [...], ...}}");
    }
    return doc;
  }
  if (!is_pipeline) {
    bool known = std::find(kKinds.begin(), kKinds.end(), doc.kind) != kKinds.end();
    if (known) {
      r_.Warning(doc.mark, "", "kind '" + doc.kind + "' is loaded but not runnable yet");
    }
    return doc;
  }
  PipelineSpec& spec = doc.pipeline;
  spec.api_version = doc.api_version;
  spec.kind = doc.kind;
  spec.metadata = doc.metadata;
  spec.mark = doc.mark;
  if (const Entry* s = top.Find("spec")) {
    LoadSpec(*s, &spec, &doc.template_ref);
  } else {
    r_.Error(doc.mark, "", "missing 'spec'",
             "spec: {sources: [...], processors: [...], sinks: [...]}");
  }
  return doc;
}

}  // namespace

std::optional<Document> LoadDocument(const YAML::Node& root, Reporter& reporter) {
  DocumentLoader loader(reporter);
  return loader.Load(root);
}

void LoadPipelineBody(const YAML::Node& value, const YAML::Node& key_node, Reporter& reporter,
                      PipelineSpec* spec) {
  DocumentLoader loader(reporter);
  loader.LoadBody({"template", key_node, value}, spec);
}

}  // namespace flowctl::config::internal
