// The template parts of documents: a PipelineTemplate's spec and a
// Pipeline's spec.template reference. Instantiation is in template.cc.
#include <string>
#include <vector>

#include "internal.h"

namespace flowctl::config::internal {
namespace {

const std::vector<std::string> kTemplateSpecKeys = {"parameters", "template"};
const std::vector<std::string> kTemplateRefKeys = {"name", "path",
                                                   "parameters"};

void LoadRefParameters(const Entry& e, Reporter& r, TemplateRef* out) {
  if (e.value.IsNull()) return;
  if (!e.value.IsMap()) {
    r.Error(r.MarkOf(e.value), "",
            std::string("'template.parameters' must be a map of parameter "
                        "names to values, got ") +
                YamlTypeName(e.value),
            "parameters: {sensitivity: 0.9}");
    return;
  }
  for (const auto& kv : e.value) {
    if (!kv.first.IsScalar()) {
      r.Error(r.MarkOf(kv.first), "",
              std::string("parameter names must be strings, got ") +
                  YamlTypeName(kv.first));
      continue;
    }
    const std::string& name = kv.first.Scalar();
    if (out->parameters.count(name) > 0) {
      r.Error(r.MarkOf(kv.first), "", "duplicate parameter '" + name + "'");
      continue;
    }
    out->parameters[name] = YamlToJson(kv.second, "", nullptr, &r, "");
    out->parameter_marks[name] =
        r.MarkOf(kv.second.IsNull() ? kv.first : kv.second);
  }
}

}  // namespace

void LoadTemplateSpec(const Entry& e, Reporter& r, TemplateSpec* out) {
  if (!e.value.IsMap()) {
    r.Error(r.MarkOf(e.value.IsNull() ? e.key_node : e.value), "",
            std::string("'spec' must be a map, got ") + YamlTypeName(e.value),
            "spec: {parameters: [...], template: {sources: [...], ...}}");
    return;
  }
  Entries entries =
      KnownEntries(e.value, kTemplateSpecKeys, "in a template's spec", "", r);
  if (const Entry* p = entries.Find("parameters")) {
    LoadParameters(*p, r, &out->parameters);
  }
  const Entry* body = entries.Find("template");
  if (body == nullptr) {
    r.Error(r.MarkOf(e.value), "", "missing 'spec.template'",
            "template: {sources: [...], processors: [...], sinks: [...]}");
    return;
  }
  out->mark = r.MarkOf(body->key_node);
  // Problems of the body as written (a "${workers}" where an integer must
  // be) are only problems before substitution; instantiation reports the
  // real ones.
  std::vector<Diagnostic> scratch;
  Reporter quiet(r.file(), &scratch);
  LoadPipelineBody(body->value, body->key_node, quiet, &out->body);
}

void LoadTemplateRef(const Entry& e, Reporter& r, TemplateRef* out) {
  out->mark = r.MarkOf(e.key_node);
  if (!e.value.IsMap()) {
    r.Error(
        r.MarkOf(e.value.IsNull() ? e.key_node : e.value), "",
        std::string("'template' must be a map, got ") + YamlTypeName(e.value),
        "template: {name: my-template, path: templates/t.yaml, "
        "parameters: {p: 1}}");
    return;
  }
  Entries entries =
      KnownEntries(e.value, kTemplateRefKeys, "in spec.template", "", r);
  if (const Entry* n = entries.Find("name")) {
    out->name_mark = r.MarkOf(n->value.IsNull() ? n->key_node : n->value);
    if (auto s = ReadString(*n, "", r)) out->name = *s;
  } else {
    r.Error(out->mark, "", "missing 'template.name'",
            "the metadata.name of a PipelineTemplate");
  }
  if (const Entry* p = entries.Find("path")) {
    out->path_mark = r.MarkOf(p->value.IsNull() ? p->key_node : p->value);
    if (auto s = ReadString(*p, "", r)) out->path = *s;
  }
  if (const Entry* p = entries.Find("parameters")) {
    LoadRefParameters(*p, r, out);
  }
}

}  // namespace flowctl::config::internal
