#include "flowctl/data/schema_profile.h"

#include <algorithm>

namespace flowctl {

const char* JsonKindName(int kind) {
  static const char* const kNames[] = {"null", "bool", "number", "string", "array", "object"};
  return kind >= 0 && kind < kKindCount ? kNames[kind] : "absent";
}

int JsonKindOf(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return kKindNull;
    case Value::Type::kBool:
      return kKindBool;
    case Value::Type::kInt:
    case Value::Type::kDouble:
      return kKindNumber;
    case Value::Type::kString:
      return kKindString;
    case Value::Type::kArray:
      return kKindArray;
    case Value::Type::kObject:
      return kKindObject;
  }
  return kKindNull;
}

int FieldProfile::DominantKind() const {
  if (present == 0) return -1;
  return static_cast<int>(std::max_element(kinds.begin(), kinds.end()) - kinds.begin());
}

void SchemaProfile::Add(const Value& body) {
  ++sampled;
  if (!body.is_object()) {
    ++not_objects;
    return;
  }
  for (const auto& m : body.as_object()) {
    auto it = fields.find(m.key);
    if (it == fields.end()) {
      if (fields.size() >= kMaxFields) {
        ++other_fields;
        continue;
      }
      it = fields.emplace(m.key, FieldProfile{}).first;
    }
    ++it->second.present;
    ++it->second.kinds[JsonKindOf(m.value)];
  }
}

void SchemaProfile::Merge(const SchemaProfile& o) {
  sampled += o.sampled;
  not_objects += o.not_objects;
  other_fields += o.other_fields;
  for (const auto& [name, f] : o.fields) {
    auto it = fields.find(name);
    if (it == fields.end()) {
      if (fields.size() >= kMaxFields) {
        other_fields += f.present;
        continue;
      }
      it = fields.emplace(name, FieldProfile{}).first;
    }
    it->second.present += f.present;
    for (int k = 0; k < kKindCount; ++k) it->second.kinds[k] += f.kinds[k];
  }
}

SchemaProfile SchemaProfile::Since(const SchemaProfile& earlier) const {
  SchemaProfile d;
  d.sampled = sampled - std::min(sampled, earlier.sampled);
  d.not_objects = not_objects - std::min(not_objects, earlier.not_objects);
  d.other_fields = other_fields - std::min(other_fields, earlier.other_fields);
  for (const auto& [name, f] : fields) {
    FieldProfile delta = f;
    if (auto it = earlier.fields.find(name); it != earlier.fields.end()) {
      delta.present -= std::min(f.present, it->second.present);
      for (int k = 0; k < kKindCount; ++k)
        delta.kinds[k] -= std::min(f.kinds[k], it->second.kinds[k]);
    }
    if (delta.present > 0) d.fields.emplace(name, delta);
  }
  return d;
}

double SchemaProfile::Presence(const std::string& field) const {
  auto it = fields.find(field);
  if (it == fields.end() || sampled == 0) return 0;
  return static_cast<double>(it->second.present) / static_cast<double>(sampled);
}

const char* FieldChangeName(FieldChange::What w) {
  switch (w) {
    case FieldChange::kAppeared:
      return "appeared";
    case FieldChange::kDisappeared:
      return "disappeared";
    case FieldChange::kKindChanged:
      return "type_changed";
  }
  return "";
}

std::vector<FieldChange> ShapeChanges(const SchemaProfile& before, const SchemaProfile& after) {
  std::vector<FieldChange> out;
  if (before.sampled == 0 || after.sampled == 0) return out;
  std::map<std::string, bool> names;
  for (const auto& [n, f] : before.fields) names[n] = true;
  for (const auto& [n, f] : after.fields) names[n] = true;
  for (const auto& [name, unused] : names) {
    FieldChange c;
    c.field = name;
    c.presence_before = before.Presence(name);
    c.presence_after = after.Presence(name);
    auto b = before.fields.find(name), a = after.fields.find(name);
    c.kind_before = b == before.fields.end() ? -1 : b->second.DominantKind();
    c.kind_after = a == after.fields.end() ? -1 : a->second.DominantKind();
    if (c.presence_before < kRareShare && c.presence_after >= kCommonShare) {
      c.what = FieldChange::kAppeared;
    } else if (c.presence_before >= kCommonShare && c.presence_after < kRareShare) {
      c.what = FieldChange::kDisappeared;
    } else if (c.presence_before >= kCommonShare && c.presence_after >= kCommonShare &&
               c.kind_before != c.kind_after) {
      c.what = FieldChange::kKindChanged;
    } else {
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace flowctl
