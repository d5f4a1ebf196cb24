// Instantiation of PipelineTemplate documents: parameter values from the
// defaults, a referencing Pipeline and --param; ${NAME} resolved in a fresh
// copy of the body; the body then loaded like any pipeline spec, so that
// every later diagnostic points into the template's own file.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "flowctl/base/strings.h"
#include "internal.h"

namespace flowctl::config::internal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kTemplateKind[] = "PipelineTemplate";
constexpr int kMaxResolveDepth = 200;

// The value of the key of map that normalizes to key, if any.
bool FindEntry(const YAML::Node& map, const std::string& key, Entry* out) {
  if (!map.IsMap()) return false;
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && NormalizeKey(kv.first.Scalar()) == key) {
      *out = {key, kv.first, kv.second};
      return true;
    }
  }
  return false;
}

// NAME of "${NAME}" or "${NAME:-default}" when text is exactly that.
bool SingleReference(const std::string& text, std::string* name) {
  if (text.size() < 4 || text.compare(0, 2, "${") != 0 || text.back() != '}') {
    return false;
  }
  std::string body = text.substr(2, text.size() - 3);
  if (body.find_first_of("}\n") != std::string::npos) return false;
  *name = body.substr(0, body.find(":-"));
  return true;
}

// Replaces the references to parameters inside a longer text.
std::string ResolveText(const std::string& text, const std::map<std::string, json>& values) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const bool escaped = text.compare(i, 3, "$${") == 0;
    if (!escaped && text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const size_t open = i + (escaped ? 3 : 2);
    const size_t close = text.find_first_of("}\n", open);
    if (close == std::string::npos || text[close] != '}') {
      out += text[i++];
      continue;
    }
    std::string body = text.substr(open, close - open);
    auto it = values.find(body.substr(0, body.find(":-")));
    if (it == values.end()) {
      out.append(text, i, close + 1 - i);  // a variable, already handled
    } else if (escaped) {
      out += "${" + body + "}";
    } else {
      out += ParameterText(it->second);
    }
    i = close + 1;
  }
  return out;
}

void ResolveScalar(YAML::Node n, const std::map<std::string, json>& values) {
  const std::string text = n.Scalar();
  if (text.find("${") == std::string::npos) return;
  std::string name;
  if (SingleReference(text, &name)) {
    auto it = values.find(name);
    if (it != values.end()) {
      // The tag decides how ScalarToJson reads it back: "?" resolves 0.9 to
      // a number and true to a bool; "!" keeps a string parameter's "123"
      // a string.
      n = ParameterText(it->second);
      n.SetTag(it->second.is_string() ? "!" : "?");
      return;
    }
  }
  std::string resolved = ResolveText(text, values);
  if (resolved == text) return;
  n = resolved;
  n.SetTag("!");  // text with a value inside is text
}

// Replaces ${NAME} / ${NAME:-x} of the parameters in values in every scalar
// under n, in place, and $${NAME} by a literal ${NAME}. A scalar that is
// exactly one reference becomes the typed value; keys are always text.
void Resolve(YAML::Node n, const std::map<std::string, json>& values, int depth) {
  if (depth > kMaxResolveDepth) return;  // an alias loop; loading reports it
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      ResolveScalar(n, values);
      break;
    case YAML::NodeType::Sequence:
      for (YAML::Node item : n) Resolve(item, values, depth + 1);
      break;
    case YAML::NodeType::Map:
      for (auto kv : n) {
        if (kv.first.IsScalar()) {  // a key is text whatever it holds
          std::string key = ResolveText(kv.first.Scalar(), values);
          if (key != kv.first.Scalar()) kv.first = key;
        }
        Resolve(kv.second, values, depth + 1);
      }
      break;
    default:
      break;
  }
}

std::vector<std::string> ParameterNames(const TemplateSpec& t) {
  std::vector<std::string> out;
  for (const TemplateParameter& p : t.parameters) out.push_back(p.name);
  return out;
}

std::string NamesHint(const std::string& name, const std::vector<std::string>& names,
                      const std::string& what) {
  std::string guess = DidYouMean(name, names);
  return (guess.empty() ? "" : "did you mean '" + guess + "'? ") + what + ": " +
         (names.empty() ? "none" : Join(names, ", "));
}

// A PipelineTemplate document of a parsed file.
struct TemplateSource {
  const ParsedFile* file = nullptr;
  size_t index = 0;
  const Document& doc() const { return file->documents[index]; }
};

class Instantiator {
 public:
  Instantiator(const LoadOptions& options, ParsedFile* file, std::vector<Diagnostic>* diags)
      : options_(options), file_(file), diags_(diags), r_(file->file, diags) {}

  void Run();

 private:
  std::optional<TemplateSource> Find(const TemplateRef& ref);
  const ParsedFile* ReadTemplateFile(const TemplateRef& ref);
  bool Values(const Document& tdoc, const TemplateRef* ref, std::map<std::string, json>* values);
  bool Instantiate(const TemplateSource& src, const TemplateRef* ref, Document* out);
  void ReportUnknownParams();

  const LoadOptions& options_;
  ParsedFile* file_;
  std::vector<Diagnostic>* diags_;
  Reporter r_;  // the file being loaded
  // Files read for spec.template.path, by path as resolved.
  std::map<std::string, std::unique_ptr<ParsedFile>> files_;
  std::set<std::string> declared_;  // parameters of instantiated templates
  bool any_template_ = false;
};

void Instantiator::Run() {
  std::set<std::string> referenced;  // templates of this file in use
  for (Document& doc : file_->documents) {
    if (doc.template_ref && doc.template_ref->path.empty()) {
      referenced.insert(doc.template_ref->name);
    }
  }
  for (Document& doc : file_->documents) {
    if (doc.kind != "Pipeline" || !doc.template_ref || doc.template_ref->name.empty()) {
      continue;
    }
    if (auto src = Find(*doc.template_ref)) {
      Instantiate(*src, &*doc.template_ref, &doc);
    }
  }
  for (size_t i = 0; i < file_->documents.size(); ++i) {
    Document& doc = file_->documents[i];
    if (doc.kind != kTemplateKind || doc.metadata.name.empty() ||
        referenced.count(doc.metadata.name) > 0) {
      continue;
    }
    Instantiate({file_, i}, nullptr, &doc);
  }
  ReportUnknownParams();
}

const ParsedFile* Instantiator::ReadTemplateFile(const TemplateRef& ref) {
  if (!options_.template_files) {
    r_.Error(ref.path_mark, "",
             "template files are not read here (a document sent to a "
             "daemon cannot name files on its machine)",
             "put the PipelineTemplate in the same file as the Pipeline, "
             "separated by ---, and drop 'path'");
    return nullptr;
  }
  fs::path path(ref.path);
  if (path.is_relative()) path = fs::path(file_->file).parent_path() / path;
  const std::string key = path.lexically_normal().string();
  auto it = files_.find(key);
  if (it != files_.end()) return it->second.get();
  std::ifstream in(key, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad() || fs::is_directory(key)) {
    r_.Error(
        ref.path_mark, "", "cannot read template file '" + key + "'",
        "template.path is relative to " + (fs::path(file_->file).parent_path().empty()
                                               ? std::string("the current directory")
                                               : fs::path(file_->file).parent_path().string()));
    return nullptr;
  }
  auto parsed = std::make_unique<ParsedFile>(
      ParseFile(text.str(), key, options_, /*only_templates=*/true, diags_));
  return (files_[key] = std::move(parsed)).get();
}

std::optional<TemplateSource> Instantiator::Find(const TemplateRef& ref) {
  const ParsedFile* file = file_;
  if (!ref.path.empty()) {
    file = ReadTemplateFile(ref);
    if (file == nullptr) return std::nullopt;
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < file->documents.size(); ++i) {
    const Document& doc = file->documents[i];
    if (doc.kind != kTemplateKind) continue;
    if (doc.metadata.name == ref.name) return TemplateSource{file, i};
    names.push_back(doc.metadata.name);
  }
  r_.Error(ref.name_mark, "", "no PipelineTemplate '" + ref.name + "' in " + file->file,
           NamesHint(ref.name, names, "templates there") +
               (ref.path.empty() ? "; or name its file in template.path" : ""));
  return std::nullopt;
}

// Defaults, then the Pipeline's values, then --param; every parameter must
// end up with one.
bool Instantiator::Values(const Document& tdoc, const TemplateRef* ref,
                          std::map<std::string, json>* values) {
  const TemplateSpec& t = tdoc.template_spec;
  bool ok = true;
  std::set<std::string> invalid;  // reported already
  for (const TemplateParameter& p : t.parameters) {
    if (p.has_default) (*values)[p.name] = p.default_value;
  }
  const std::vector<std::string> names = ParameterNames(t);
  const std::string tname = "'" + tdoc.metadata.name + "'";
  if (ref != nullptr) {
    for (const auto& [name, v] : ref->parameters) {
      const Mark& mark = ref->parameter_marks.at(name);
      const TemplateParameter* p = t.FindParameter(name);
      if (p == nullptr) {
        r_.Error(mark, "", "template " + tname + " has no parameter '" + name + "'",
                 NamesHint(name, names, "parameters"));
        ok = false;
        continue;
      }
      if (auto checked = CheckParameterValue(*p, v, mark, r_)) {
        (*values)[name] = std::move(*checked);
      } else {
        invalid.insert(name);
        ok = false;
      }
    }
  }
  for (const auto& [name, text] : options_.params) {
    const TemplateParameter* p = t.FindParameter(name);
    if (p == nullptr) continue;  // ReportUnknownParams
    Mark mark;
    mark.file = kParamFile;
    if (auto checked = CheckParameterValue(*p, json(text), mark, r_)) {
      (*values)[name] = std::move(*checked);
    } else {
      invalid.insert(name);
      ok = false;
    }
  }
  for (const TemplateParameter& p : t.parameters) {
    if (values->count(p.name) > 0 || invalid.count(p.name) > 0) continue;
    const std::string how = "--param " + p.name + "=VALUE";
    if (ref != nullptr) {
      r_.Error(ref->mark, "",
               "parameter '" + p.name + "' of template " + tname + " has no default and no value",
               "add it to template.parameters or pass " + how + " (declared at " +
                   p.mark.ToString() + ")");
    } else {
      r_.Error(p.mark, "", "parameter '" + p.name + "' has no default and no value",
               "pass " + how + " or give it a default");
    }
    ok = false;
  }
  return ok;
}

bool Instantiator::Instantiate(const TemplateSource& src, const TemplateRef* ref, Document* out) {
  const Document& tdoc = src.doc();
  const TemplateSpec& t = tdoc.template_spec;
  any_template_ = true;
  for (const TemplateParameter& p : t.parameters) declared_.insert(p.name);
  std::map<std::string, json> values;
  if (!Values(tdoc, ref, &values)) return false;

  // Resolution happens in place, so each instantiation parses its own copy;
  // the text parsed once already, and the copy keeps the original marks.
  std::vector<YAML::Node> roots = LoadAllBounded(src.file->text);
  const YAML::Node root = roots.at(src.file->roots.at(src.index));
  RestoreReferences(root, src.file->references);
  Entry spec, body;
  if (!FindEntry(root, "spec", &spec) || !FindEntry(spec.value, "template", &body)) {
    return false;  // reported when the template was loaded
  }
  Resolve(body.value, values, 0);
  PipelineSpec pipeline;
  Reporter tr(src.file->file, diags_);
  LoadPipelineBody(body.value, body.key_node, tr, &pipeline);
  pipeline.kind = "Pipeline";
  if (ref != nullptr) {
    // The referencing Pipeline names the result and may set its own
    // pipeline-level settings and labels over the template's.
    const PipelineSpec& own = out->pipeline;
    pipeline.api_version = out->api_version;
    pipeline.metadata.name = out->metadata.name;
    pipeline.metadata.labels = tdoc.metadata.labels;
    pipeline.metadata.annotations = tdoc.metadata.annotations;
    for (const auto& [k, v] : out->metadata.labels) {
      pipeline.metadata.labels[k] = v;
    }
    for (const auto& [k, v] : out->metadata.annotations) {
      pipeline.metadata.annotations[k] = v;
    }
    if (own.batch_size > 0) pipeline.batch_size = own.batch_size;
    if (own.channel_capacity > 0) {
      pipeline.channel_capacity = own.channel_capacity;
    }
    for (const auto& [k, v] : own.extensions) pipeline.extensions[k] = v;
    if (!own.healing.empty()) pipeline.healing = own.healing;
    pipeline.mark = out->mark;
  } else {
    pipeline.api_version = tdoc.api_version;
    pipeline.metadata = tdoc.metadata;
    pipeline.mark = tdoc.mark;
  }
  out->pipeline = std::move(pipeline);
  Instantiation inst;
  inst.template_name = tdoc.metadata.name;
  inst.template_mark = tdoc.mark;
  inst.parameters = t.parameters;
  inst.values = std::move(values);
  out->instance = std::move(inst);
  return true;
}

void Instantiator::ReportUnknownParams() {
  if (options_.params.empty()) return;
  Mark mark;
  mark.file = kParamFile;
  if (!any_template_) {
    r_.Error(mark, "",
             "--param needs a PipelineTemplate, and " + file_->file + " instantiates none",
             "for ${VAR} variables use --set VAR=VALUE");
    return;
  }
  std::vector<std::string> names(declared_.begin(), declared_.end());
  for (const auto& [name, value] : options_.params) {
    if (declared_.count(name) > 0) continue;
    r_.Error(mark, "", "unknown parameter '" + name + "'", NamesHint(name, names, "parameters"));
  }
}

}  // namespace

// text with every ${...} overwritten by as many 'x's: references may stand
// where YAML would not take "${" ("inputs: [${a}]"), and the same length
// keeps every offset.
std::string MaskReferences(const std::string& text) {
  std::string out = text;
  for (size_t i = out.find("${"); i != std::string::npos; i = out.find("${", i + 1)) {
    size_t close = out.find_first_of("}\n", i + 2);
    if (close == std::string::npos || out[close] != '}') continue;
    std::fill(out.begin() + i, out.begin() + close + 1, 'x');
  }
  return out;
}

std::vector<ParamScope> FindParamScopes(const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = LoadAllBounded(MaskReferences(text));
  } catch (const YAML::Exception&) {
    return {};
  }
  std::vector<const YAML::Node*> roots;
  for (const YAML::Node& d : docs) {
    if (!d.IsNull() && d.Mark().pos >= 0) roots.push_back(&d);
  }
  std::vector<ParamScope> out;
  for (size_t k = 0; k < roots.size(); ++k) {
    const YAML::Node& root = *roots[k];
    Entry spec, params;
    if (!IsTemplateDocument(root) || !FindEntry(root, "spec", &spec) ||
        !FindEntry(spec.value, "parameters", &params) || !params.value.IsSequence()) {
      continue;
    }
    ParamScope scope;
    scope.begin = static_cast<size_t>(root.Mark().pos);
    scope.end = k + 1 < roots.size() ? static_cast<size_t>(roots[k + 1]->Mark().pos) : text.size();
    for (const auto& p : params.value) {
      Entry name;
      if (FindEntry(p, "name", &name) && name.value.IsScalar()) {
        scope.names.insert(name.value.Scalar());
      }
    }
    out.push_back(std::move(scope));
  }
  return out;
}

bool IsTemplateDocument(const YAML::Node& root) {
  Entry kind;
  return FindEntry(root, "kind", &kind) && kind.value.IsScalar() &&
         kind.value.Scalar() == kTemplateKind;
}

void InstantiateTemplates(const LoadOptions& options, ParsedFile* file,
                          std::vector<Diagnostic>* diags) {
  Instantiator(options, file, diags).Run();
}

}  // namespace flowctl::config::internal
