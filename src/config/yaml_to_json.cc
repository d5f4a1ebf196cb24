// YAML nodes -> nlohmann::json, with the YAML 1.2 core schema for plain
// scalars. yaml-cpp keeps every scalar as text, so the typing is ours.
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <string>

#include "internal.h"

namespace flowctl::config::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Consumes [0-9]* from s[*i]; returns how many digits it saw.
size_t SkipDigits(std::string_view s, size_t* i) {
  size_t start = *i;
  while (*i < s.size() && IsDigit(s[*i])) ++*i;
  return *i - start;
}

// YAML 1.2 core float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
// strtod alone would also take "0x1p3", "inf" or "nan", which YAML does not
// mean as numbers (and JSON cannot hold the last two anyway).
bool LooksLikeFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = SkipDigits(s, &i);
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    frac_digits = SkipDigits(s, &i);
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (SkipDigits(s, &i) == 0) return false;
  }
  return i == s.size();
}

std::optional<double> ParseDouble(const std::string& s) {
  if (!LooksLikeFloat(s)) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) return std::nullopt;
  return d;
}

// Converting state: aliases may point back into their own anchor or expand
// exponentially ("billion laughs"), so depth and size are bounded.
struct Converter {
  std::map<std::string, Mark>* marks;
  Reporter* reporter;
  const std::string& node_id;
  size_t budget = 1000000;
  bool overflow_reported = false;

  // The loader has checked the whole tree (CheckYamlTree); these are a
  // backstop for trees built otherwise.
  static constexpr int kMaxDepth = static_cast<int>(kMaxYamlDepth);

  nlohmann::json Convert(const YAML::Node& n, const std::string& pointer,
                         int depth);
  nlohmann::json ConvertMap(const YAML::Node& n, const std::string& pointer,
                            int depth);
  nlohmann::json ConvertSeq(const YAML::Node& n, const std::string& pointer,
                            int depth);
  std::string reporter_file() const {
    return reporter != nullptr ? reporter->file() : std::string();
  }
  void Record(const std::string& pointer, const Mark& mark) {
    if (marks != nullptr) (*marks)[pointer] = mark;
  }
  bool Exhausted(const YAML::Node& n, int depth);
};

bool Converter::Exhausted(const YAML::Node& n, int depth) {
  if (budget > 0 && depth <= kMaxDepth) {
    --budget;
    return false;
  }
  if (reporter != nullptr && !overflow_reported) {
    reporter->Error(reporter->MarkOf(n), node_id,
                    "value is nested too deeply or too large",
                    "is an alias (*name) referring to itself?");
  }
  overflow_reported = true;
  return true;
}

nlohmann::json Converter::Convert(const YAML::Node& n,
                                  const std::string& pointer, int depth) {
  if (Exhausted(n, depth)) return nullptr;
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return ConvertMap(n, pointer, depth);
    case YAML::NodeType::Sequence:
      return ConvertSeq(n, pointer, depth);
    case YAML::NodeType::Scalar:
      return ScalarToJson(n.Scalar(), IsPlain(n));
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return nullptr;
}

nlohmann::json Converter::ConvertMap(const YAML::Node& n,
                                     const std::string& pointer, int depth) {
  nlohmann::json obj = nlohmann::json::object();
  for (const auto& kv : n) {
    const YAML::Node& key = kv.first;
    const YAML::Node& value = kv.second;
    std::string name;
    if (key.IsScalar()) {
      name = key.Scalar();
    } else if (key.IsNull()) {
      name = "null";  // yaml-cpp has already dropped the spelling (~, null)
    } else {
      if (reporter != nullptr) {
        reporter->Error(reporter->MarkOf(key), node_id,
                        std::string("map keys must be strings, got ") +
                            YamlTypeName(key));
      }
      continue;
    }
    if (obj.contains(name) && reporter != nullptr) {
      reporter->Error(reporter->MarkOf(key), node_id,
                      "duplicate key '" + name + "'");
    }
    std::string child = pointer + "/" + PointerToken(name);
    // An empty value has no position of its own: yaml-cpp gives it the mark
    // of the next token, often on another line. The key is what users wrote.
    const YAML::Node& where = value.IsNull() ? key : value;
    Record(child, ToMark(where.Mark(), reporter_file()));
    obj[name] = Convert(value, child, depth + 1);
  }
  return obj;
}

nlohmann::json Converter::ConvertSeq(const YAML::Node& n,
                                     const std::string& pointer, int depth) {
  nlohmann::json arr = nlohmann::json::array();
  size_t index = 0;
  for (const auto& item : n) {
    std::string child = pointer + "/" + std::to_string(index++);
    Record(child, ToMark(item.Mark(), reporter_file()));
    arr.push_back(Convert(item, child, depth + 1));
  }
  return arr;
}

}  // namespace

std::optional<int64_t> ParseInt64(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  if (i == s.size()) return std::nullopt;
  // Accumulate negatively so that INT64_MIN fits.
  int64_t value = 0;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return std::nullopt;
    int digit = s[i] - '0';
    if (value < (kMin + digit) / 10) return std::nullopt;
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == kMin) return std::nullopt;
    value = -value;
  }
  return value;
}

nlohmann::json ScalarToJson(const std::string& text, bool plain) {
  if (!plain) return text;
  if (auto i = ParseInt64(text)) return *i;
  if (auto d = ParseDouble(text)) return *d;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text.empty() || text == "~" || text == "null" || text == "Null" ||
      text == "NULL") {
    return nullptr;
  }
  return text;
}

bool IsPlain(const YAML::Node& n) {
  const std::string& tag = n.Tag();
  if (tag == "?") return true;  // untagged plain scalar
  // "!" is what yaml-cpp gives quoted and block scalars; "!!str" and custom
  // tags also ask for the text as is. Other standard tags (!!int, !!float,
  // ...) say "resolve me", which is what we do for plain scalars.
  static const std::string kStd = "tag:yaml.org,2002:";
  return tag.compare(0, kStd.size(), kStd) == 0 && tag != kStd + "str";
}

std::string PointerToken(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

nlohmann::json YamlToJson(const YAML::Node& node, const std::string& pointer,
                          std::map<std::string, Mark>* marks,
                          Reporter* reporter, const std::string& node_id) {
  Converter c{marks, reporter, node_id};
  return c.Convert(node, pointer, 0);
}

}  // namespace flowctl::config::internal
