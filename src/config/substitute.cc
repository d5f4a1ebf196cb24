// ${VAR} / ${VAR:-default} substitution on the raw text, before YAML parsing,
// so that variables can stand anywhere (keys, flow lists, parts of strings).
#include <cstdlib>
#include <set>
#include <string>

#include "internal.h"

namespace flowctl::config::internal {
namespace {

std::optional<std::string> LookUp(
    const std::string& name, const std::map<std::string, std::string>& vars,
    bool use_env) {
  auto it = vars.find(name);
  if (it != vars.end()) return it->second;
  if (use_env) {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
  }
  return std::nullopt;
}

// True when the line starting at line_start is a YAML comment: a reference
// there is documentation, and reporting it as missing would only confuse.
bool IsCommentLine(std::string_view text, size_t line_start) {
  size_t i = text.find_first_not_of(" \t", line_start);
  return i != std::string_view::npos && text[i] == '#';
}

}  // namespace

std::string SubstituteVars(std::string_view text,
                           const std::map<std::string, std::string>& vars,
                           bool use_env, std::vector<MissingVar>* missing) {
  std::string out;
  out.reserve(text.size());
  std::set<std::string> reported;
  bool comment = IsCommentLine(text, 0);
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      out += c;
      ++i;
      comment = IsCommentLine(text, i);
      continue;
    }
    if (c != '$' || comment) {
      out += c;
      ++i;
      continue;
    }
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += c;
      ++i;
      continue;
    }
    // A reference ends on its own line; otherwise it is just text.
    size_t close = text.find_first_of("}\n", i + 2);
    if (close == std::string_view::npos || text[close] != '}' ||
        close == i + 2) {
      out += c;
      ++i;
      continue;
    }
    std::string_view body = text.substr(i + 2, close - i - 2);
    size_t sep = body.find(":-");
    std::string name(body.substr(0, sep));
    std::optional<std::string> value = LookUp(name, vars, use_env);
    if (!value && sep != std::string_view::npos) {
      value = std::string(body.substr(sep + 2));
    }
    if (value) {
      out += *value;
    } else {
      // Kept verbatim so that the rest of the document still parses and
      // reports its own problems.
      out.append(text.substr(i, close + 1 - i));
      if (missing != nullptr && reported.insert(name).second) {
        missing->push_back({name, i});
      }
    }
    i = close + 1;
  }
  return out;
}

void LineColumn(std::string_view text, size_t offset, int* line, int* column) {
  *line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++*line;
      line_start = i + 1;
    }
  }
  *column = static_cast<int>(offset - line_start) + 1;
}

}  // namespace flowctl::config::internal
