#include "flowctl/spec/spec.h"

#include <string>
#include <vector>

#include "flowctl/spec/diagnostic.h"

namespace flowctl {

std::string Mark::ToString() const {
  std::string out = file;
  auto append = [&out](int part) {
    if (!out.empty()) out += ':';
    out += std::to_string(part);
  };
  if (line > 0) {
    append(line);
    // A column without its line points nowhere.
    if (column > 0) append(column);
  }
  return out;
}

const char* NodeKindName(NodeKind k) {
  switch (k) {
    case NodeKind::kSource:
      return "source";
    case NodeKind::kProcessor:
      return "processor";
    case NodeKind::kSink:
      return "sink";
  }
  return "unknown";
}

const char* ErrorPolicyName(ErrorPolicy::Kind k) {
  switch (k) {
    case ErrorPolicy::Kind::kFail:
      return "fail";
    case ErrorPolicy::Kind::kDrop:
      return "drop";
    case ErrorPolicy::Kind::kRetry:
      return "retry";
    case ErrorPolicy::Kind::kDeadLetter:
      return "dead_letter";
  }
  return "unknown";
}

Mark NodeSpec::ConfigMark(const std::string& pointer) const {
  std::string p = pointer;
  while (!p.empty()) {
    auto it = config_marks.find(p);
    if (it != config_marks.end()) return it->second;
    size_t slash = p.rfind('/');
    if (slash == std::string::npos) break;
    p.resize(slash);
  }
  return mark;
}

std::vector<const NodeSpec*> PipelineSpec::AllNodes() const {
  std::vector<const NodeSpec*> out;
  out.reserve(sources.size() + processors.size() + sinks.size());
  for (const auto* list : {&sources, &processors, &sinks}) {
    for (const NodeSpec& n : *list) out.push_back(&n);
  }
  return out;
}

const NodeSpec* PipelineSpec::FindNode(const std::string& id) const {
  for (const NodeSpec* n : AllNodes()) {
    if (n->id == id) return n;
  }
  return nullptr;
}

std::string Diagnostic::ToString() const {
  std::string out;
  std::string where = mark.ToString();
  if (!where.empty()) out = where + ": ";
  out += severity == Severity::kWarning ? "warning: "
         : severity == Severity::kNote  ? "note: "
                                        : "error: ";
  if (!node_id.empty()) out += "node '" + node_id + "': ";
  out += message;
  if (!hint.empty()) out += " (" + hint + ")";
  return out;
}

bool HasErrors(const std::vector<Diagnostic>& diags) {
  for (const Diagnostic& d : diags) {
    if (d.severity == Diagnostic::Severity::kError) return true;
  }
  return false;
}

const char* ParameterTypeName(TemplateParameter::Type t) {
  switch (t) {
    case TemplateParameter::Type::kString:
      return "string";
    case TemplateParameter::Type::kInt:
      return "int";
    case TemplateParameter::Type::kFloat:
      return "float";
    case TemplateParameter::Type::kBool:
      return "bool";
  }
  return "unknown";
}

const TemplateParameter* TemplateSpec::FindParameter(
    const std::string& name) const {
  for (const TemplateParameter& p : parameters) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace flowctl
