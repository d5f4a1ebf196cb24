#include "flowctl/data/json_bounded.h"

#include <limits>
#include <string>
#include <utility>

#include "flowctl/data/json.h"

namespace flowctl {

Status CheckJsonBounds(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    return Status::Invalid("JSON text of " + std::to_string(text.size()) +
                           " bytes is over the limit of " + std::to_string(limits.max_bytes) +
                           " bytes");
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > limits.max_depth)
          return Status::Invalid("JSON nested deeper than " + std::to_string(limits.max_depth) +
                                 " levels at byte " + std::to_string(i));
        break;
      case ']':
      case '}':
        // An unbalanced close is a syntax error the parser reports.
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return Status::OK();
}

Result<nlohmann::json> ParseJsonBounded(std::string_view text, const JsonLimits& limits) {
  Status bounds = CheckJsonBounds(text, limits);
  if (!bounds.ok()) return bounds;
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ..."
    std::string what = e.what();
    size_t close = what.find("] ");
    // The message quotes the last token read, which may hold the very bytes
    // that are not UTF-8: whoever sends it on as JSON must be able to.
    return Status::Invalid(
        "not valid JSON: " +
        ToValidUtf8(close == std::string::npos ? what : what.substr(close + 2)));
  }
}

nlohmann::json ParseJsonBoundedOrDiscarded(std::string_view text, const JsonLimits& limits) {
  Result<nlohmann::json> r = ParseJsonBounded(text, limits);
  return r.ok() ? std::move(r).value() : nlohmann::json(nlohmann::json::value_t::discarded);
}

JsonLimits FileJsonLimits() {
  JsonLimits limits;
  limits.max_bytes = std::numeric_limits<size_t>::max();
  return limits;
}

}  // namespace flowctl
