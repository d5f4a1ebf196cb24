// Registry of component descriptors: the single source for validation, the
// `flowctl components` listing, docs/pipeline-reference.md and the AI catalog.
//
// Contract: registration happens once at start-up (RegisterBuiltins); after
// that the registry is read-only and safe to read from any thread. Register
// rejects a duplicate (kind, type) pair; one type name may exist once per kind
// (the file source and the file sink are both `file`).
#ifndef FLOWCTL_COMPONENT_REGISTRY_H_
#define FLOWCTL_COMPONENT_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowctl/base/status.h"
#include "flowctl/component/component.h"
#include "flowctl/spec/spec.h"

namespace flowctl {

struct ComponentDescriptor {
  std::string type;
  NodeKind kind = NodeKind::kProcessor;
  std::string summary;      // one line
  std::string description;  // one paragraph
  std::vector<std::string> keywords;
  // JSON schema (draft 2020-12 subset: type, properties, required,
  // additionalProperties, enum, minimum, maximum, items, default,
  // description). A property with "x-expression": true is compiled as an
  // expression at validate time; "x-expression-map": true compiles every
  // value of an object.
  nlohmann::json config_schema = nlohmann::json::object();
  std::string example;  // YAML of one node
  bool parallel_safe = true;
  // Sinks that may have no inputs (they receive dead letters).
  bool inputs_optional = false;
  // Named output ports for a given config; empty = one unnamed port.
  std::function<std::vector<std::string>(const nlohmann::json& config)> output_ports;

  // Checks beyond the schema, run by validate on the config with defaults
  // applied: problems a factory would fail on, and notes the user should
  // see (which model provider a node will use, and why).
  struct Check {
    enum class Level { kError, kWarning, kNote };
    Level level = Level::kError;
    std::string pointer;  // inside config; "" = the node
    std::string message;
    std::string hint;
  };
  std::function<std::vector<Check>(const nlohmann::json& config)> check;
  // Edges the config itself declares: output port -> node id (an ai-router's
  // destinations: {billing: {sink: billing-queue}}). The named node needs no
  // inputs: of its own for them.
  struct Route {
    std::string port;
    std::string target;
    std::string pointer;  // where in config the target is named
  };
  std::function<std::vector<Route>(const nlohmann::json& config)> routes_to;

  std::function<Result<std::unique_ptr<Source>>(const ComponentContext&)> make_source;
  std::function<Result<std::unique_ptr<Processor>>(const ComponentContext&)> make_processor;
  std::function<Result<std::unique_ptr<Sink>>(const ComponentContext&)> make_sink;
};

class Registry {
 public:
  Status Register(ComponentDescriptor d);
  const ComponentDescriptor* Find(const std::string& type, NodeKind kind) const;
  // Every kind registered under this type name.
  std::vector<const ComponentDescriptor*> FindAll(const std::string& type) const;
  std::vector<const ComponentDescriptor*> List() const;  // sorted by kind, type
  std::vector<std::string> TypeNames() const;            // distinct, sorted

 private:
  std::map<std::pair<int, std::string>, ComponentDescriptor> by_key_;
};

// Registers every built-in component (src/components/builtin.cc).
void RegisterBuiltins(Registry& registry);

}  // namespace flowctl

#endif  // FLOWCTL_COMPONENT_REGISTRY_H_
