// A small JSON-schema validator for component configs (the subset the
// descriptors use). Reports every problem with the JSON pointer it is at, so
// callers can map it back to file:line.
//
// Contract: pure function, thread-safe.
#ifndef FLOWCTL_COMPONENT_SCHEMA_H_
#define FLOWCTL_COMPONENT_SCHEMA_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowctl {

struct SchemaError {
  std::string pointer;  // "/path" inside the validated value
  std::string message;
  std::string hint;
};

std::vector<SchemaError> ValidateSchema(const nlohmann::json& schema,
                                        const nlohmann::json& value);

// Fills missing properties that have a "default" in the schema (top level
// and nested objects).
// Renames kebab-case keys (prompt-template) to the snake_case property the
// schema declares (prompt_template), at every level the schema describes;
// keys of free-form maps are left alone. Returns the renamed JSON pointers
// (old -> new) so callers can keep their source marks.
std::vector<std::pair<std::string, std::string>> NormalizeKeys(const nlohmann::json& schema,
                                                               nlohmann::json* value);

void ApplyDefaults(const nlohmann::json& schema, nlohmann::json* value);

}  // namespace flowctl

#endif  // FLOWCTL_COMPONENT_SCHEMA_H_
