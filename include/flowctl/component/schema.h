// A small JSON-schema validator for component configs (the subset the
// descriptors use). Reports every problem with the JSON pointer it is at, so
// callers can map it back to file:line.
//
// Contract: pure function, thread-safe.
#ifndef FLOWCTL_COMPONENT_SCHEMA_H_
#define FLOWCTL_COMPONENT_SCHEMA_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowctl/base/sandbox.h"
#include "flowctl/base/status.h"

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

// A file-system path a config names, found through the schema.
struct PathField {
  std::string pointer;  // "/tools/0/database"
  std::string path;     // as configured
  PathAccess access = PathAccess::kRead;
};

// Every string value whose schema says "x-flowctl-path": "read" | "write",
// following properties, additionalProperties and array items, so nested
// fields (an agent tool's database, a document list) are found. A schema
// with "x-flowctl-path-if": REGEX marks a path only when the value matches
// (a model given by name or by file path). Every component that names
// files declares them this way; the file sandbox checks them all.
std::vector<PathField> FindPathFields(const nlohmann::json& schema, const nlohmann::json& value);

// Replaces every path field of *config with its resolved absolute path
// (relative paths land under the first data root). The first refused path
// fails the call with a message naming the field.
Status ResolvePathFields(const nlohmann::json& schema, const Sandbox& sandbox,
                         nlohmann::json* config);

}  // namespace flowctl

#endif  // FLOWCTL_COMPONENT_SCHEMA_H_
