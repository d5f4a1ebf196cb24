#include "flowctl/data/value.h"

#include <cstdlib>

#include "flowctl/data/json.h"

namespace flowctl {

const Value* Value::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& m : as_object())
    if (m.key == key) return &m.value;
  return nullptr;
}

Value* Value::Find(std::string_view key) {
  if (!is_object()) return nullptr;
  for (auto& m : as_object())
    if (m.key == key) return &m.value;
  return nullptr;
}

Value& Value::Set(std::string_view key, Value v) {
  if (!is_object()) v_ = Object{};
  if (Value* existing = Find(key)) {
    *existing = std::move(v);
    return *existing;
  }
  auto& obj = as_object();
  obj.push_back(Member{std::string(key), std::move(v)});
  return obj.back().value;
}

bool Value::Erase(std::string_view key) {
  if (!is_object()) return false;
  auto& obj = as_object();
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (it->key == key) {
      obj.erase(it);
      return true;
    }
  }
  return false;
}

namespace {

// One step of a path: a key, or an index when is_index.
struct Step {
  std::string_view key;
  size_t index = 0;
  bool is_index = false;
};

bool ParsePath(std::string_view path, std::vector<Step>* steps) {
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string_view::npos || close == i + 1) return false;
      size_t idx = 0;
      for (size_t k = i + 1; k < close; ++k) {
        if (path[k] < '0' || path[k] > '9') return false;
        idx = idx * 10 + static_cast<size_t>(path[k] - '0');
      }
      steps->push_back(Step{{}, idx, true});
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
      continue;
    }
    size_t end = path.find_first_of(".[", i);
    if (end == std::string_view::npos) end = path.size();
    if (end == i) return false;
    steps->push_back(Step{path.substr(i, end - i), 0, false});
    i = end;
    if (i < path.size() && path[i] == '.') ++i;
  }
  return !steps->empty();
}

}  // namespace

const Value* Value::FindPath(std::string_view path) const {
  std::vector<Step> steps;
  if (!ParsePath(path, &steps)) return nullptr;
  const Value* cur = this;
  for (const auto& s : steps) {
    if (s.is_index) {
      if (!cur->is_array() || s.index >= cur->as_array().size()) return nullptr;
      cur = &cur->as_array()[s.index];
    } else {
      cur = cur->Find(s.key);
      if (!cur) return nullptr;
    }
  }
  return cur;
}

bool Value::SetPath(std::string_view path, Value v) {
  std::vector<Step> steps;
  if (!ParsePath(path, &steps)) return false;
  Value* cur = this;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    bool last = i + 1 == steps.size();
    if (s.is_index) {
      if (!cur->is_array() || s.index >= cur->as_array().size()) return false;
      cur = &cur->as_array()[s.index];
      if (last) *cur = std::move(v);
      continue;
    }
    if (!cur->is_object()) {
      if (!cur->is_null()) return false;
      *cur = MakeObject();
    }
    if (last) {
      cur->Set(s.key, std::move(v));
      return true;
    }
    Value* next = cur->Find(s.key);
    if (!next) next = &cur->Set(s.key, Value());
    cur = next;
  }
  return true;
}

bool Value::ErasePath(std::string_view path) {
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) return Erase(path);
  const Value* parent = FindPath(path.substr(0, dot));
  if (!parent) return false;
  return const_cast<Value*>(parent)->Erase(path.substr(dot + 1));
}

std::string Value::ToJson() const {
  std::string out;
  AppendJson(*this, &out);
  return out;
}

const char* Value::TypeName() const {
  switch (type()) {
    case Type::kNull: return "null";
    case Type::kBool: return "bool";
    case Type::kInt: return "int";
    case Type::kDouble: return "double";
    case Type::kString: return "string";
    case Type::kArray: return "list";
    case Type::kObject: return "map";
  }
  return "?";
}

bool operator==(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return a.as_number() == b.as_number();
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::kNull: return true;
    case Value::Type::kBool: return a.as_bool() == b.as_bool();
    case Value::Type::kString: return a.as_string() == b.as_string();
    case Value::Type::kArray: return a.as_array() == b.as_array();
    case Value::Type::kObject: {
      const auto& x = a.as_object();
      const auto& y = b.as_object();
      if (x.size() != y.size()) return false;
      for (const auto& m : x) {
        const Value* other = b.Find(m.key);
        if (!other || *other != m.value) return false;
      }
      return true;
    }
    default: return false;
  }
}

}  // namespace flowctl
