#include "flowctl/component/schema.h"

#include <regex>

#include "flowctl/base/strings.h"

namespace flowctl {
namespace {

using nlohmann::json;

std::string TypeOf(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool TypeMatches(const std::string& want, const json& v) {
  if (want == "number") return v.is_number();
  if (want == "integer") {
    if (v.is_number_integer()) return true;
    if (v.is_number_float()) {
      double d = v.get<double>();
      return d == static_cast<double>(static_cast<long long>(d));
    }
    return false;
  }
  return TypeOf(v) == want;
}

std::string EscapePointer(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

void Validate(const json& schema, const json& v, const std::string& ptr,
              std::vector<SchemaError>* errs) {
  if (!schema.is_object()) return;
  if (auto it = schema.find("oneOf"); it != schema.end() && it->is_array()) {
    // Accept if any alternative validates without errors.
    std::vector<std::string> kinds;
    for (const auto& alt : *it) {
      std::vector<SchemaError> sub;
      Validate(alt, v, ptr, &sub);
      if (sub.empty()) return;
      if (alt.contains("type") && alt["type"].is_string())
        kinds.push_back(alt["type"].get<std::string>());
    }
    errs->push_back({ptr, "value does not match any allowed form",
                     kinds.empty() ? "" : "expected one of: " + Join(kinds, ", ")});
    return;
  }
  if (auto it = schema.find("type"); it != schema.end()) {
    std::vector<std::string> wants;
    if (it->is_string()) wants.push_back(it->get<std::string>());
    else if (it->is_array())
      for (const auto& t : *it) wants.push_back(t.get<std::string>());
    bool ok = false;
    for (const auto& w : wants) ok = ok || TypeMatches(w, v);
    if (!ok) {
      errs->push_back({ptr, "expected " + Join(wants, " or ") + ", got " + TypeOf(v), ""});
      return;
    }
  }
  if (auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
    bool found = false;
    std::vector<std::string> names;
    for (const auto& e : *it) {
      if (e == v) found = true;
      names.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    }
    if (!found) {
      std::string got = v.is_string() ? v.get<std::string>() : v.dump();
      std::string dym = v.is_string() ? DidYouMean(got, names) : "";
      errs->push_back({ptr, "'" + got + "' is not allowed",
                       (dym.empty() ? "" : "did you mean '" + dym + "'? ") +
                           "valid: " + Join(names, ", ")});
    }
  }
  if (v.is_number()) {
    double d = v.get<double>();
    if (schema.contains("minimum") && d < schema["minimum"].get<double>())
      errs->push_back({ptr, "must be >= " + schema["minimum"].dump(), ""});
    if (schema.contains("maximum") && d > schema["maximum"].get<double>())
      errs->push_back({ptr, "must be <= " + schema["maximum"].dump(), ""});
  }
  if (v.is_string() && schema.contains("minLength") &&
      v.get<std::string>().size() < schema["minLength"].get<size_t>())
    errs->push_back({ptr, "must not be empty", ""});
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<size_t>())
      errs->push_back({ptr, "needs at least " + schema["minItems"].dump() + " item(s)", ""});
    if (auto it = schema.find("items"); it != schema.end())
      for (size_t i = 0; i < v.size(); ++i)
        Validate(*it, v[i], ptr + "/" + std::to_string(i), errs);
  }
  if (v.is_object()) {
    const json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
    if (auto it = schema.find("required"); it != schema.end())
      for (const auto& r : *it) {
        std::string name = r.get<std::string>();
        if (!v.contains(name))
          errs->push_back({ptr, "missing required field '" + name + "'", ""});
      }
    const json* additional =
        schema.contains("additionalProperties") ? &schema["additionalProperties"] : nullptr;
    std::vector<std::string> known;
    if (props)
      for (auto it = props->begin(); it != props->end(); ++it) known.push_back(it.key());
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string child = ptr + "/" + EscapePointer(it.key());
      if (props && props->contains(it.key())) {
        Validate((*props)[it.key()], it.value(), child, errs);
      } else if (additional && additional->is_boolean() && !additional->get<bool>()) {
        std::string dym = DidYouMean(it.key(), known);
        errs->push_back({child, "unknown field '" + it.key() + "'",
                         (dym.empty() ? "" : "did you mean '" + dym + "'? ") +
                             "valid fields: " + Join(known, ", ")});
      } else if (additional && additional->is_object()) {
        Validate(*additional, it.value(), child, errs);
      }
    }
  }
}

}  // namespace

std::vector<SchemaError> ValidateSchema(const json& schema, const json& value) {
  std::vector<SchemaError> errs;
  Validate(schema, value, "", &errs);
  return errs;
}

void ApplyDefaults(const json& schema, json* value) {
  if (!value->is_object() || !schema.is_object() || !schema.contains("properties")) return;
  for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
    if (!value->contains(it.key())) {
      if (it.value().contains("default")) (*value)[it.key()] = it.value()["default"];
    } else if ((*value)[it.key()].is_object()) {
      ApplyDefaults(it.value(), &(*value)[it.key()]);
    }
  }
}

namespace {
void NormalizeAt(const nlohmann::json& schema, nlohmann::json* value, const std::string& ptr,
                 std::vector<std::pair<std::string, std::string>>* renamed) {
  if (!schema.is_object()) return;
  if (value->is_object() && schema.contains("properties") && schema["properties"].is_object()) {
    const auto& props = schema["properties"];
    std::vector<std::pair<std::string, std::string>> moves;
    for (auto it = value->begin(); it != value->end(); ++it) {
      if (props.contains(it.key())) continue;
      std::string snake = it.key();
      for (char& c : snake)
        if (c == '-') c = '_';
      if (snake != it.key() && props.contains(snake) && !value->contains(snake))
        moves.emplace_back(it.key(), snake);
    }
    for (const auto& [from, to] : moves) {
      (*value)[to] = std::move((*value)[from]);
      value->erase(from);
      renamed->emplace_back(ptr + "/" + from, ptr + "/" + to);
    }
    for (auto it = value->begin(); it != value->end(); ++it)
      if (props.contains(it.key()))
        NormalizeAt(props[it.key()], &it.value(), ptr + "/" + it.key(), renamed);
  }
  if (value->is_object() && schema.contains("additionalProperties") &&
      schema["additionalProperties"].is_object()) {
    for (auto it = value->begin(); it != value->end(); ++it)
      if (!schema.contains("properties") || !schema["properties"].contains(it.key()))
        NormalizeAt(schema["additionalProperties"], &it.value(), ptr + "/" + it.key(), renamed);
  }
  if (value->is_array() && schema.contains("items"))
    for (size_t i = 0; i < value->size(); ++i)
      NormalizeAt(schema["items"], &(*value)[i], ptr + "/" + std::to_string(i), renamed);
}
}  // namespace

std::vector<std::pair<std::string, std::string>> NormalizeKeys(const nlohmann::json& schema,
                                                               nlohmann::json* value) {
  std::vector<std::pair<std::string, std::string>> renamed;
  NormalizeAt(schema, value, "", &renamed);
  return renamed;
}

namespace {
void FindPathsAt(const nlohmann::json& schema, const nlohmann::json& value, const std::string& ptr,
                 std::vector<PathField>* out) {
  if (!schema.is_object()) return;
  if (auto it = schema.find("x-flowctl-path"); it != schema.end() && it->is_string()) {
    if (!value.is_string()) return;
    const std::string& v = value.get_ref<const std::string&>();
    if (auto cond = schema.find("x-flowctl-path-if"); cond != schema.end() && cond->is_string()) {
      // Descriptors are ours; a bad pattern is a programming error, caught by
      // the tests that walk every descriptor. Treat it as "always a path".
      bool matches = true;
      try {
        matches = std::regex_search(v, std::regex(cond->get<std::string>()));
      } catch (const std::regex_error&) {
      }
      if (!matches) return;
    }
    out->push_back({ptr, v, *it == "write" ? PathAccess::kWrite : PathAccess::kRead});
    return;
  }
  if (value.is_object()) {
    const json* props = schema.contains("properties") && schema["properties"].is_object()
                            ? &schema["properties"]
                            : nullptr;
    const json* additional =
        schema.contains("additionalProperties") && schema["additionalProperties"].is_object()
            ? &schema["additionalProperties"]
            : nullptr;
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string child = ptr + "/" + EscapePointer(it.key());
      if (props && props->contains(it.key()))
        FindPathsAt((*props)[it.key()], *it, child, out);
      else if (additional)
        FindPathsAt(*additional, *it, child, out);
    }
  }
  if (value.is_array() && schema.contains("items"))
    for (size_t i = 0; i < value.size(); ++i)
      FindPathsAt(schema["items"], value[i], ptr + "/" + std::to_string(i), out);
  if (auto it = schema.find("oneOf"); it != schema.end() && it->is_array())
    for (const auto& alt : *it)
      if (ValidateSchema(alt, value).empty()) {
        FindPathsAt(alt, value, ptr, out);
        break;
      }
}
}  // namespace

std::vector<PathField> FindPathFields(const nlohmann::json& schema, const nlohmann::json& value) {
  std::vector<PathField> out;
  FindPathsAt(schema, value, "", &out);
  return out;
}

Status ResolvePathFields(const nlohmann::json& schema, const Sandbox& sandbox,
                         nlohmann::json* config) {
  for (const auto& f : FindPathFields(schema, *config)) {
    auto r = sandbox.Resolve(f.path, f.access);
    if (!r.ok()) return Status::Invalid("config" + f.pointer + ": " + r.status().message());
    (*config)[json::json_pointer(f.pointer)] = r.value();
  }
  return Status::OK();
}

}  // namespace flowctl
