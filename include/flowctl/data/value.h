// Value: a mutable JSON-like value (null, bool, int, double, string, array,
// object). Objects keep insertion order so that re-serialized events keep the
// key order they came with.
//
// Contract: a plain value type; not synchronized. Lookups on objects are
// linear, which beats hashing for the 5-30 keys typical events carry.
#ifndef FLOWCTL_DATA_VALUE_H_
#define FLOWCTL_DATA_VALUE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace flowctl {

struct Member;

class Value {
 public:
  enum class Type : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Value>;
  using Object = std::vector<Member>;

  Value() = default;
  Value(std::nullptr_t) {}                       // NOLINT
  Value(bool b) : v_(b) {}                       // NOLINT
  Value(int v) : v_(static_cast<int64_t>(v)) {}  // NOLINT
  Value(int64_t v) : v_(v) {}                    // NOLINT
  Value(double v) : v_(v) {}                     // NOLINT
  Value(std::string s) : v_(std::move(s)) {}     // NOLINT
  Value(std::string_view s) : v_(std::string(s)) {}  // NOLINT
  Value(const char* s) : v_(std::string(s)) {}   // NOLINT
  Value(Array a) : v_(std::move(a)) {}           // NOLINT
  Value(Object o) : v_(std::move(o)) {}          // NOLINT

  static Value MakeObject() { return Value(Object{}); }
  static Value MakeArray() { return Value(Array{}); }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_double() const { return type() == Type::kDouble; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const { return std::get<double>(v_); }
  // Numeric value of an int or double.
  double as_number() const {
    return is_int() ? static_cast<double>(as_int()) : as_double();
  }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  std::string& as_string() { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Object access. Find returns nullptr when absent or not an object.
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  // Sets key (appending when new); turns a non-object into an object.
  Value& Set(std::string_view key, Value v);
  bool Erase(std::string_view key);

  // Dotted path with optional indexes: "a.b[0].c". Returns nullptr if absent.
  const Value* FindPath(std::string_view path) const;
  // Creates intermediate objects as needed. Fails (returns false) when a
  // path segment crosses a non-object or an index is out of range.
  bool SetPath(std::string_view path, Value v);
  bool ErasePath(std::string_view path);

  // JSON text of this value (compact).
  std::string ToJson() const;
  // Human/CEL-style type name: "null", "bool", "int", "double", "string",
  // "list", "map".
  const char* TypeName() const;

  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object> v_;
};

struct Member {
  std::string key;
  Value value;
};

}  // namespace flowctl

#endif  // FLOWCTL_DATA_VALUE_H_
