#include "flowctl/ai/tools.h"
#include "flowctl/component/schema.h"

namespace flowctl::ai {

using nlohmann::json;

Status ToolRegistry::Register(ToolSpec spec) {
  if (spec.name.empty() || !spec.handler)
    return Status::Invalid("a tool needs a name and a handler");
  if (Find(spec.name)) return Status(StatusCode::kAlreadyExists, "tool '" + spec.name + "' twice");
  tools_.push_back(std::move(spec));
  return Status::OK();
}

const ToolSpec* ToolRegistry::Find(const std::string& name) const {
  for (const auto& t : tools_)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<const ToolSpec*> ToolRegistry::List() const {
  std::vector<const ToolSpec*> out;
  for (const auto& t : tools_) out.push_back(&t);
  return out;
}

Result<json> ToolRegistry::Call(const std::string& name, const json& args) const {
  const ToolSpec* t = Find(name);
  if (!t) return Status::NotFound("no tool '" + name + "'");
  json renamed;
  const json* in = &args;
  for (const auto& [alias, canonical] : t->aliases) {
    if (!in->is_object() || !in->contains(alias)) continue;
    if (in->contains(canonical) && (*in)[canonical] != (*in)[alias])
      return Status::Invalid(alias + ": another spelling of " + canonical +
                             ", with a different value; give only " + canonical);
    if (in == &args) renamed = args;
    renamed[canonical] = renamed[alias];
    renamed.erase(alias);
    in = &renamed;
  }
  auto errors = ValidateSchema(t->input_schema, *in);
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) {
      if (!msg.empty()) msg += "; ";
      msg += (e.pointer.empty() ? "arguments" : e.pointer.substr(1)) + ": " + e.message;
      if (!e.hint.empty()) msg += " (" + e.hint + ")";
    }
    return Status::Invalid(msg);
  }
  return t->handler(*in);
}

json ToolRegistry::ToOpenAI() const {
  json out = json::array();
  for (const auto& t : tools_)
    out.push_back(
        {{"type", "function"},
         {"function",
          {{"name", t.name}, {"description", t.description}, {"parameters", t.input_schema}}}});
  return out;
}

json ToolRegistry::ToAnthropic() const {
  json out = json::array();
  for (const auto& t : tools_)
    out.push_back(
        {{"name", t.name}, {"description", t.description}, {"input_schema", t.input_schema}});
  return out;
}

json ToolRegistry::ToMcp() const {
  json tools = json::array();
  for (const auto& t : tools_)
    tools.push_back({{"name", t.name},
                     {"title", t.title},
                     {"description", t.description},
                     {"inputSchema", t.input_schema},
                     {"outputSchema", t.output_schema},
                     {"annotations",
                      {{"title", t.title},
                       {"readOnlyHint", t.annotations.read_only},
                       {"destructiveHint", t.annotations.destructive},
                       {"idempotentHint", t.annotations.idempotent}}}});
  return {{"tools", tools}};
}

json ToolRegistry::ToJson() const {
  json out = json::array();
  for (const auto& t : tools_)
    out.push_back({{"name", t.name},
                   {"title", t.title},
                   {"description", t.description},
                   {"input_schema", t.input_schema},
                   {"output_schema", t.output_schema},
                   {"annotations",
                    {{"read_only", t.annotations.read_only},
                     {"destructive", t.annotations.destructive},
                     {"idempotent", t.annotations.idempotent}}}});
  return out;
}

}  // namespace flowctl::ai
