#include "flowctl/data/json.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>

namespace flowctl {
namespace {

struct ThreadParser {
  simdjson::dom::parser parser;
  std::string buffer;  // padded copy of the input; reused across calls

  simdjson::simdjson_result<simdjson::dom::element> Parse(std::string_view text,
                                                          size_t capacity = 0) {
    if (capacity >= text.size() + simdjson::SIMDJSON_PADDING)
      return parser.parse(text.data(), text.size(), false);
    size_t need = text.size() + simdjson::SIMDJSON_PADDING;
    if (buffer.size() < need) buffer.resize(need * 2);
    std::memcpy(buffer.data(), text.data(), text.size());
    std::memset(buffer.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
    return parser.parse(buffer.data(), text.size(), false);
  }
};

ThreadParser& LocalParser() {
  thread_local ThreadParser tp;
  return tp;
}

Value Convert(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object obj = e.get_object().value_unsafe();
      Value::Object out;
      out.reserve(obj.size());
      for (auto field : obj) {
        out.push_back(Member{std::string(field.key), Convert(field.value)});
      }
      return Value(std::move(out));
    }
    case element_type::ARRAY: {
      simdjson::dom::array arr = e.get_array().value_unsafe();
      Value::Array out;
      out.reserve(arr.size());
      for (auto item : arr) out.push_back(Convert(item));
      return Value(std::move(out));
    }
    case element_type::STRING:
      return Value(std::string(e.get_string().value_unsafe()));
    case element_type::INT64:
      return Value(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return Value(static_cast<double>(e.get_uint64().value_unsafe()));
    case element_type::DOUBLE:
      return Value(e.get_double().value_unsafe());
    case element_type::BOOL:
      return Value(e.get_bool().value_unsafe());
    case element_type::NULL_VALUE:
      return Value();
  }
  return Value();
}

struct ThreadOnDemand {
  simdjson::ondemand::parser parser;
  std::string buffer;

  // text itself when its spare capacity covers simdjson's padding (lines
  // are read that way), else a padded copy in the thread's buffer.
  simdjson::padded_string_view Padded(const std::string& text) {
    if (text.capacity() >= text.size() + simdjson::SIMDJSON_PADDING)
      return simdjson::padded_string_view(text.data(), text.size(), text.capacity());
    size_t need = text.size() + simdjson::SIMDJSON_PADDING;
    if (buffer.size() < need) buffer.resize(need * 2);
    std::memcpy(buffer.data(), text.data(), text.size());
    std::memset(buffer.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
    return simdjson::padded_string_view(buffer.data(), text.size(), buffer.size());
  }
};

ThreadOnDemand& LocalOnDemand() {
  thread_local ThreadOnDemand t;
  return t;
}

// Members are gathered in a per-depth scratch vector and moved into an
// exactly sized one: one allocation per object instead of log2(n) regrowths.
std::vector<Value::Object>& ScratchObjects() {
  thread_local std::vector<Value::Object> stack;
  return stack;
}

simdjson::error_code ConvertOnDemand(simdjson::ondemand::value v, Value* out, size_t depth = 0) {
  using simdjson::ondemand::json_type;
  json_type t;
  if (auto err = v.type().get(t)) return err;
  switch (t) {
    case json_type::object: {
      simdjson::ondemand::object obj;
      if (auto err = v.get_object().get(obj)) return err;
      auto& stack = ScratchObjects();
      if (stack.size() <= depth) stack.resize(depth + 1);
      stack[depth].clear();
      for (auto field : obj) {
        std::string_view key;
        if (auto err = field.unescaped_key().get(key)) return err;
        Value child;
        if (auto err = ConvertOnDemand(field.value(), &child, depth + 1)) return err;
        stack[depth].push_back(Member{std::string(key), std::move(child)});
      }
      auto& scratch = stack[depth];
      Value::Object members(std::make_move_iterator(scratch.begin()),
                            std::make_move_iterator(scratch.end()));
      scratch.clear();
      *out = Value(std::move(members));
      return simdjson::SUCCESS;
    }
    case json_type::array: {
      simdjson::ondemand::array arr;
      if (auto err = v.get_array().get(arr)) return err;
      Value::Array items;
      for (auto item : arr) {
        simdjson::ondemand::value iv;
        if (auto err = item.get(iv)) return err;
        Value child;
        if (auto err = ConvertOnDemand(iv, &child, depth + 1)) return err;
        items.push_back(std::move(child));
      }
      *out = Value(std::move(items));
      return simdjson::SUCCESS;
    }
    case json_type::string: {
      std::string_view sv;
      if (auto err = v.get_string().get(sv)) return err;
      *out = Value(std::string(sv));
      return simdjson::SUCCESS;
    }
    case json_type::number: {
      simdjson::ondemand::number_type nt;
      if (auto err = v.get_number_type().get(nt)) return err;
      if (nt == simdjson::ondemand::number_type::signed_integer) {
        int64_t i;
        if (auto err = v.get_int64().get(i)) return err;
        *out = Value(i);
      } else {
        double d;
        if (auto err = v.get_double().get(d)) return err;
        *out = Value(d);
      }
      return simdjson::SUCCESS;
    }
    case json_type::boolean: {
      bool b;
      if (auto err = v.get_bool().get(b)) return err;
      *out = Value(b);
      return simdjson::SUCCESS;
    }
    case json_type::null:
      *out = Value();
      return simdjson::SUCCESS;
  }
  return simdjson::INCORRECT_TYPE;
}

}  // namespace

Status ExtractTopLevel(const std::string& text, const std::vector<std::string>& keys, Value* out) {
  ThreadOnDemand& t = LocalOnDemand();
  simdjson::padded_string_view input = t.Padded(text);
  *out = Value::MakeObject();
  simdjson::ondemand::document doc;
  if (auto err = t.parser.iterate(input).get(doc))
    return Status::Invalid(std::string("invalid JSON: ") + simdjson::error_message(err));
  simdjson::ondemand::object obj;
  if (auto err = doc.get_object().get(obj))
    return Status::Invalid(std::string("invalid JSON: ") + simdjson::error_message(err));
  size_t found = 0;
  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key))
      return Status::Invalid(std::string("invalid JSON: ") + simdjson::error_message(err));
    bool wanted = false;
    for (const auto& k : keys) wanted = wanted || k == key;
    if (!wanted) continue;
    Value v;
    if (auto err = ConvertOnDemand(field.value(), &v))
      return Status::Invalid(std::string("invalid JSON: ") + simdjson::error_message(err));
    out->Set(key, std::move(v));
    // Stop early once every key is found (duplicate keys: first wins).
    if (++found == keys.size()) break;
  }
  return Status::OK();
}

Status ParseValidatedJson(const std::string& text, Value* out) {
  ThreadOnDemand& t = LocalOnDemand();
  simdjson::padded_string_view input = t.Padded(text);
  simdjson::ondemand::document doc;
  simdjson::ondemand::value root;
  simdjson::error_code err = t.parser.iterate(input).get(doc);
  if (!err) err = doc.get_value().get(root);
  if (!err) err = ConvertOnDemand(root, out);
  if (err) return Status::Invalid(std::string("invalid JSON: ") + simdjson::error_message(err));
  return Status::OK();
}

Status ParseJson(std::string_view text, Value* out) {
  auto result = LocalParser().Parse(text);
  if (result.error()) {
    return Status::Invalid(std::string("invalid JSON: ") + simdjson::error_message(result.error()));
  }
  *out = Convert(result.value_unsafe());
  return Status::OK();
}

bool IsValidJson(std::string_view text) { return !LocalParser().Parse(text).error(); }

bool IsValidJson(const std::string& text) {
  return !LocalParser().Parse(text, text.capacity()).error();
}

namespace {
struct EscapeTable {
  bool needs[256];
  constexpr EscapeTable() : needs() {
    for (int c = 0; c < 256; ++c) needs[c] = c < 0x20 || c == '"' || c == '\\';
  }
};
constexpr EscapeTable kEscape;
}  // namespace

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 when the bytes there
// are not one (stray continuation, overlong form, surrogate, past U+10FFFF,
// or cut short).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = at(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) {
    if ((at(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (at(i + k) & 0x3f);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

std::string ToValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

void AppendJsonString(std::string_view s, std::string* out) {
  // JSON text is UTF-8: bytes that are not (a binary line that reached a
  // dead-letter record, say) become U+FFFD so every line written stays JSON.
  if (!IsValidUtf8(s)) {
    std::string fixed = ToValidUtf8(s);
    AppendJsonString(fixed, out);
    return;
  }
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!kEscape.needs[c]) continue;
    out->append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default: {
        char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(buf, 6);
      }
    }
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

void AppendJson(const Value& v, std::string* out) {
  switch (v.type()) {
    case Value::Type::kNull:
      out->append("null");
      return;
    case Value::Type::kBool:
      out->append(v.as_bool() ? "true" : "false");
      return;
    case Value::Type::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out->append(buf, r.ptr);
      return;
    }
    case Value::Type::kDouble: {
      double d = v.as_double();
      if (!std::isfinite(d)) {
        out->append("null");
        return;
      }
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      out->append(buf, r.ptr);
      // Keep it a double when read back: 3.0 rather than 3.
      if (std::memchr(buf, '.', static_cast<size_t>(r.ptr - buf)) == nullptr &&
          std::memchr(buf, 'e', static_cast<size_t>(r.ptr - buf)) == nullptr)
        out->append(".0");
      return;
    }
    case Value::Type::kString:
      AppendJsonString(v.as_string(), out);
      return;
    case Value::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : v.as_array()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(item, out);
      }
      out->push_back(']');
      return;
    }
    case Value::Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& m : v.as_object()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(m.key, out);
        out->push_back(':');
        AppendJson(m.value, out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace flowctl
