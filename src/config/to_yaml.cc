// PipelineSpec -> YAML text that LoadString reads back to the same spec.
#include <string>

#include "internal.h"

namespace flowctl::config {
namespace {

using Json = nlohmann::json;
using internal::ScalarToJson;

// LoadString substitutes ${VAR} in the text it reads: a literal "${" (one
// written as "$${", or a template's escaped parameter) must go out escaped.
std::string EscapeReferences(const std::string& s) {
  std::string out;
  size_t from = 0;
  for (size_t at = s.find("${"); at != std::string::npos;
       at = s.find("${", at + 2)) {
    out.append(s, from, at - from);
    out += "$${";
    from = at + 2;
  }
  if (from == 0) return s;
  out.append(s, from, std::string::npos);
  return out;
}

void EmitString(YAML::Emitter& out, const std::string& s) {
  // The emitter leaves "123", "true" or "null" unquoted, which would read
  // back as a number, a bool or null.
  if (!ScalarToJson(s, /*plain=*/true).is_string()) out << YAML::DoubleQuoted;
  out << EscapeReferences(s);
}

void EmitJson(YAML::Emitter& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, value] : j.items()) {
        out << YAML::Key;
        EmitString(out, key);
        out << YAML::Value;
        EmitJson(out, value);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      out << YAML::BeginSeq;
      for (const Json& v : j) EmitJson(out, v);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string:
      EmitString(out, j.get_ref<const std::string&>());
      return;
    case Json::value_t::boolean:
      out << (j.get<bool>() ? "true" : "false");
      return;
    case Json::value_t::number_integer:
      out << j.get<int64_t>();
      return;
    case Json::value_t::number_unsigned:
      out << j.get<uint64_t>();
      return;
    case Json::value_t::number_float:
      // nlohmann prints the shortest text that reads back to the same double
      // and keeps ".0", so 1.0 stays a float instead of becoming 1.
      out << j.dump();
      return;
    case Json::value_t::null:
    case Json::value_t::binary:
    case Json::value_t::discarded:
      break;
  }
  out << YAML::Null;
}

void EmitStringMap(YAML::Emitter& out, const char* key,
                   const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : m) {
    out << YAML::Key;
    EmitString(out, k);
    out << YAML::Value;
    EmitString(out, v);
  }
  out << YAML::EndMap;
}

void EmitDeadLetter(YAML::Emitter& out, const std::string& to) {
  out << YAML::BeginMap << YAML::Key << "dead_letter" << YAML::Value
      << YAML::BeginMap << YAML::Key << "to" << YAML::Value;
  EmitString(out, to);
  out << YAML::EndMap << YAML::EndMap;
}

void EmitErrorPolicy(YAML::Emitter& out, const ErrorPolicy& p) {
  using Kind = ErrorPolicy::Kind;
  switch (p.kind) {
    case Kind::kFail:
    case Kind::kDrop:
      out << ErrorPolicyName(p.kind);
      return;
    case Kind::kDeadLetter:
      EmitDeadLetter(out, p.dead_letter_to);
      return;
    case Kind::kRetry:
      break;
  }
  out << YAML::BeginMap << YAML::Key << "retry" << YAML::Value
      << YAML::BeginMap << YAML::Key << "max" << YAML::Value << p.max_retries
      << YAML::Key << "backoff" << YAML::Value
      << (std::to_string(p.backoff_ms) + "ms") << YAML::EndMap;
  if (p.then != Kind::kFail) {
    out << YAML::Key << "then" << YAML::Value;
    if (p.then == Kind::kDeadLetter) {
      EmitDeadLetter(out, p.dead_letter_to);
    } else {
      out << ErrorPolicyName(p.then);
    }
  }
  out << YAML::EndMap;
}

void EmitNode(YAML::Emitter& out, const NodeSpec& n) {
  out << YAML::BeginMap;
  out << YAML::Key << "id" << YAML::Value;
  EmitString(out, n.id);
  out << YAML::Key << "type" << YAML::Value;
  EmitString(out, n.type);
  if (!n.inputs.empty()) {
    out << YAML::Key << "inputs" << YAML::Value << YAML::Flow
        << YAML::BeginSeq;
    for (const std::string& in : n.inputs) EmitString(out, in);
    out << YAML::EndSeq;
  }
  if (!n.filter.empty()) {
    out << YAML::Key << "filter" << YAML::Value;
    EmitString(out, n.filter);
  }
  if (n.concurrency > 0) {
    out << YAML::Key << "concurrency" << YAML::Value << n.concurrency;
  }
  if (n.has_on_error) {
    out << YAML::Key << "on_error" << YAML::Value;
    EmitErrorPolicy(out, n.on_error);
  }
  if (!n.config.is_null() && !n.config.empty()) {
    out << YAML::Key << "config" << YAML::Value;
    EmitJson(out, n.config);
  }
  out << YAML::EndMap;
}

void EmitSection(YAML::Emitter& out, const char* key,
                 const std::vector<NodeSpec>& nodes) {
  if (nodes.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const NodeSpec& n : nodes) EmitNode(out, n);
  out << YAML::EndSeq;
}

void EmitSpec(YAML::Emitter& out, const PipelineSpec& spec) {
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  if (spec.batch_size > 0) {
    out << YAML::Key << "batch_size" << YAML::Value << spec.batch_size;
  }
  if (spec.channel_capacity > 0) {
    out << YAML::Key << "channel_capacity" << YAML::Value
        << spec.channel_capacity;
  }
  EmitSection(out, "sources", spec.sources);
  EmitSection(out, "processors", spec.processors);
  EmitSection(out, "sinks", spec.sinks);
  for (const auto& [key, value] : spec.extensions) {
    out << YAML::Key << key << YAML::Value;
    EmitJson(out, value);
  }
  out << YAML::EndMap;
}

}  // namespace

std::string ToYaml(const PipelineSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value
      << (spec.api_version.empty() ? "flowctl/v1" : spec.api_version);
  out << YAML::Key << "kind" << YAML::Value << "Pipeline";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  if (!spec.metadata.name.empty()) {
    out << YAML::Key << "name" << YAML::Value;
    EmitString(out, spec.metadata.name);
  }
  EmitStringMap(out, "labels", spec.metadata.labels);
  EmitStringMap(out, "annotations", spec.metadata.annotations);
  out << YAML::EndMap;
  EmitSpec(out, spec);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace flowctl::config
