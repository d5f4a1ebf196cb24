#include "flowctl/component/registry.h"

#include <algorithm>
#include <set>

namespace flowctl {

Status Registry::Register(ComponentDescriptor d) {
  if (d.type.empty()) return Status::Invalid("component type name is empty");
  auto key = std::make_pair(static_cast<int>(d.kind), d.type);
  if (by_key_.count(key))
    return Status(StatusCode::kAlreadyExists, std::string(NodeKindName(d.kind)) + " type '" +
                                                  d.type + "' is registered twice");
  bool has_factory = (d.kind == NodeKind::kSource && d.make_source) ||
                     (d.kind == NodeKind::kProcessor && d.make_processor) ||
                     (d.kind == NodeKind::kSink && d.make_sink);
  if (!has_factory)
    return Status::Invalid("component '" + d.type + "' has no factory for its kind");
  by_key_.emplace(std::move(key), std::move(d));
  return Status::OK();
}

const ComponentDescriptor* Registry::Find(const std::string& type, NodeKind kind) const {
  auto it = by_key_.find(std::make_pair(static_cast<int>(kind), type));
  return it == by_key_.end() ? nullptr : &it->second;
}

std::vector<const ComponentDescriptor*> Registry::FindAll(const std::string& type) const {
  std::vector<const ComponentDescriptor*> out;
  for (const auto& [key, d] : by_key_)
    if (key.second == type) out.push_back(&d);
  return out;
}

std::vector<const ComponentDescriptor*> Registry::List() const {
  std::vector<const ComponentDescriptor*> out;
  for (const auto& [key, d] : by_key_) out.push_back(&d);
  return out;  // the key orders by kind, then type
}

std::vector<std::string> Registry::TypeNames() const {
  std::set<std::string> names;
  for (const auto& [key, d] : by_key_) names.insert(key.second);
  return {names.begin(), names.end()};
}

}  // namespace flowctl
