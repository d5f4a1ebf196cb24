// PipelineTemplate parameters: their declarations (spec.parameters) and the
// typing and checking of the values they are given.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "internal.h"
#include "flowctl/base/strings.h"

namespace flowctl::config::internal {
namespace {

using nlohmann::json;
using Type = TemplateParameter::Type;

const std::vector<std::string> kParameterKeys = {
    "name",    "description", "type",
    "default", "ai_tunable",  "ai_recommendations",
    "enum",    "minimum",     "maximum"};

// Every spelling the seed and common schema languages use.
const std::vector<std::pair<std::string, Type>> kTypeNames = {
    {"string", Type::kString}, {"int", Type::kInt},
    {"integer", Type::kInt},   {"float", Type::kFloat},
    {"number", Type::kFloat},  {"bool", Type::kBool},
    {"boolean", Type::kBool}};

std::vector<std::string> TypeNames() {
  std::vector<std::string> out;
  for (const auto& [name, type] : kTypeNames) out.push_back(name);
  return out;
}

// Names stand inside ${...} and on the command line (--param NAME=VALUE):
// no '}', ':', '=' or spaces. The seed's "ml-model" needs '-'.
bool IsParameterName(const std::string& name) {
  if (name.empty()) return false;
  char first = name[0];
  if (!(std::isalpha(static_cast<unsigned char>(first)) || first == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           c == '-' || c == '.';
  });
}

// v read as type t, or nullopt. Text (a --param value, a quoted YAML
// scalar) is read as the type would be written in YAML.
std::optional<json> ConvertToType(Type t, const json& v) {
  json typed = v.is_string() ? ScalarToJson(v.get<std::string>(), true) : v;
  switch (t) {
    case Type::kString:
      if (v.is_string()) return v;
      if (v.is_number() || v.is_boolean()) return ParameterText(v);
      return std::nullopt;
    case Type::kInt:
      if (typed.is_number_integer()) return typed.get<int64_t>();
      return std::nullopt;
    case Type::kFloat:
      if (typed.is_number()) return typed.get<double>();
      return std::nullopt;
    case Type::kBool:
      if (typed.is_boolean()) return typed;
      return std::nullopt;
  }
  return std::nullopt;
}

// How a rejected value is shown: 'high', 1.5, a list.
std::string Shown(const json& v) {
  if (v.is_string()) return "'" + v.get<std::string>() + "'";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "a map";
  if (v.is_null()) return "nothing";
  return v.dump();
}

class ParameterLoader {
 public:
  explicit ParameterLoader(Reporter& r) : r_(r) {}

  bool Load(const YAML::Node& n, TemplateParameter* p);

 private:
  void Error(const Mark& mark, const TemplateParameter& p, std::string what,
             std::string hint = "") {
    r_.Error(mark, "", "parameter '" + p.name + "': " + what, std::move(hint));
  }
  bool LoadType(const Entry* type, const Entry* def, TemplateParameter* p);
  void LoadEnum(const Entry& e, TemplateParameter* p);
  void LoadBound(const Entry& e, TemplateParameter* p, json* out);

  Reporter& r_;
};

bool ParameterLoader::Load(const YAML::Node& n, TemplateParameter* p) {
  p->mark = r_.MarkOf(n);
  if (!n.IsMap()) {
    r_.Error(p->mark, "",
             std::string("a parameter must be a map with a 'name', got ") +
                 YamlTypeName(n),
             "- {name: sensitivity, type: float, default: 0.8}");
    return false;
  }
  std::string where = "in a parameter";
  if (const YAML::Node name = n["name"]; name && name.IsScalar()) {
    where = "in parameter '" + name.Scalar() + "'";
  }
  Entries entries = KnownEntries(n, kParameterKeys, where, "", r_);
  const Entry* name = entries.Find("name");
  if (name == nullptr) {
    r_.Error(p->mark, "", "a parameter needs a 'name'");
    return false;
  }
  std::optional<std::string> read = ReadString(*name, "", r_);
  if (!read) return false;
  p->name = *read;
  if (!IsParameterName(p->name)) {
    r_.Error(r_.MarkOf(name->value), "",
             "invalid parameter name '" + p->name + "'",
             "a letter or '_', then letters, digits, '_', '-' or '.'");
    return false;
  }
  if (const Entry* d = entries.Find("description")) {
    if (d->value.IsScalar()) {
      p->description = d->value.Scalar();
    } else if (!d->value.IsNull()) {
      Error(r_.MarkOf(d->value), *p,
            std::string("'description' must be a string, got ") +
                YamlTypeName(d->value));
    }
  }
  const Entry* def = entries.Find("default");
  if (def != nullptr && def->value.IsNull()) def = nullptr;  // no default
  if (!LoadType(entries.Find("type"), def, p)) return false;
  if (const Entry* t = entries.Find("ai_tunable")) {
    json v =
        t->value.IsScalar() ? ScalarToJson(t->value.Scalar(), true) : json();
    if (v.is_boolean()) {
      p->ai_tunable = v.get<bool>();
    } else {
      Error(r_.MarkOf(t->value.IsNull() ? t->key_node : t->value), *p,
            "'" + t->key_node.Scalar() + "' must be true or false");
    }
  }
  if (const Entry* a = entries.Find("ai_recommendations")) {
    p->ai_recommendations = YamlToJson(a->value, "", nullptr, &r_, "");
  }
  if (const Entry* e = entries.Find("enum")) LoadEnum(*e, p);
  if (const Entry* m = entries.Find("minimum")) LoadBound(*m, p, &p->minimum);
  if (const Entry* m = entries.Find("maximum")) LoadBound(*m, p, &p->maximum);
  if (p->minimum.is_number() && p->maximum.is_number() &&
      p->maximum < p->minimum) {
    Error(p->mark, *p,
          "'minimum' " + p->minimum.dump() + " is above 'maximum' " +
              p->maximum.dump());
  }
  if (def != nullptr) {
    p->default_mark = r_.MarkOf(def->value);
    json v = YamlToJson(def->value, "", nullptr, &r_, "");
    if (auto checked = CheckParameterValue(*p, v, p->default_mark, r_)) {
      p->default_value = std::move(*checked);
      p->has_default = true;
    }
  }
  return true;
}

// Without a 'type' the default's YAML type says it (0.8 is a float), and a
// parameter with neither is a string.
bool ParameterLoader::LoadType(const Entry* type, const Entry* def,
                               TemplateParameter* p) {
  if (type == nullptr) {
    p->type = Type::kString;
    if (def != nullptr && def->value.IsScalar()) {
      json v = ScalarToJson(def->value.Scalar(), IsPlain(def->value));
      if (v.is_number_integer()) p->type = Type::kInt;
      if (v.is_number_float()) p->type = Type::kFloat;
      if (v.is_boolean()) p->type = Type::kBool;
    }
    p->type_name = ParameterTypeName(p->type);
    return true;
  }
  std::optional<std::string> name = ReadString(*type, "", r_);
  if (!name) return false;
  for (const auto& [spelling, t] : kTypeNames) {
    if (spelling == *name) {
      p->type = t;
      p->type_name = spelling;
      return true;
    }
  }
  std::string guess = DidYouMean(*name, TypeNames());
  Error(r_.MarkOf(type->value), *p, "unknown type '" + *name + "'",
        (guess.empty() ? "" : "did you mean '" + guess + "'? ") +
            "types: " + Join(TypeNames(), ", "));
  return false;
}

void ParameterLoader::LoadEnum(const Entry& e, TemplateParameter* p) {
  if (!e.value.IsSequence() || e.value.size() == 0) {
    Error(r_.MarkOf(e.value.IsNull() ? e.key_node : e.value), *p,
          "'enum' must be a non-empty list of values");
    return;
  }
  for (const auto& item : e.value) {
    json v = YamlToJson(item, "", nullptr, &r_, "");
    std::optional<json> typed = ConvertToType(p->type, v);
    if (!typed) {
      Error(r_.MarkOf(item), *p,
            "enum value " + Shown(v) + " is not a " + p->type_name);
      continue;
    }
    p->enum_values.push_back(std::move(*typed));
  }
}

void ParameterLoader::LoadBound(const Entry& e, TemplateParameter* p,
                                json* out) {
  const Mark mark = r_.MarkOf(e.value.IsNull() ? e.key_node : e.value);
  if (p->type != Type::kInt && p->type != Type::kFloat) {
    Error(mark, *p,
          "'" + e.key + "' applies only to int and float parameters, not " +
              p->type_name);
    return;
  }
  json v = YamlToJson(e.value, "", nullptr, &r_, "");
  std::optional<json> typed = ConvertToType(p->type, v);
  if (!typed) {
    Error(mark, *p,
          "'" + e.key + "' must be a " + p->type_name + ", got " + Shown(v));
    return;
  }
  *out = std::move(*typed);
}

}  // namespace

std::string ParameterText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

void LoadParameters(const Entry& e, Reporter& r,
                    std::vector<TemplateParameter>* out) {
  if (e.value.IsNull()) return;
  if (!e.value.IsSequence()) {
    r.Error(r.MarkOf(e.value), "",
            std::string("'parameters' must be a list, got ") +
                YamlTypeName(e.value),
            "parameters: [{name: sensitivity, type: float, default: 0.8}]");
    return;
  }
  ParameterLoader loader(r);
  for (const auto& item : e.value) {
    TemplateParameter p;
    if (!loader.Load(item, &p)) continue;
    bool duplicate = std::any_of(
        out->begin(), out->end(),
        [&](const TemplateParameter& q) { return q.name == p.name; });
    if (duplicate) {
      r.Error(p.mark, "", "duplicate parameter '" + p.name + "'");
      continue;
    }
    out->push_back(std::move(p));
  }
}

std::optional<json> CheckParameterValue(const TemplateParameter& p,
                                        const json& v, const Mark& mark,
                                        Reporter& r) {
  const std::string prefix = "parameter '" + p.name + "': ";
  std::optional<json> typed = ConvertToType(p.type, v);
  if (!typed) {
    r.Error(mark, "", prefix + "expected " + p.type_name + ", got " + Shown(v),
            p.description);
    return std::nullopt;
  }
  if (!p.enum_values.empty() &&
      std::find(p.enum_values.begin(), p.enum_values.end(), *typed) ==
          p.enum_values.end()) {
    std::vector<std::string> allowed;
    for (const json& a : p.enum_values) allowed.push_back(ParameterText(a));
    std::string guess = DidYouMean(ParameterText(*typed), allowed);
    r.Error(mark, "",
            prefix + Shown(*typed) + " is not one of the allowed values",
            (guess.empty() ? "" : "did you mean '" + guess + "'? ") +
                "allowed: " + Join(allowed, ", "));
    return std::nullopt;
  }
  if (p.minimum.is_number() && *typed < p.minimum) {
    r.Error(
        mark, "",
        prefix + typed->dump() + " is below the minimum " + p.minimum.dump(),
        p.description);
    return std::nullopt;
  }
  if (p.maximum.is_number() && p.maximum < *typed) {
    r.Error(
        mark, "",
        prefix + typed->dump() + " is above the maximum " + p.maximum.dump(),
        p.description);
    return std::nullopt;
  }
  return typed;
}

}  // namespace flowctl::config::internal
