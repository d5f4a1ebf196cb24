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

// The end of a reference whose body starts at open: the '}' on its line.
size_t ReferenceEnd(std::string_view text, size_t open) {
  size_t close = text.find_first_of("}\n", open);
  if (close == std::string_view::npos || text[close] != '}' || close == open) {
    return std::string_view::npos;
  }
  return close;
}

// True when the reference at offset names a parameter of the template
// document around it.
bool IsParameterReference(const ParamRefs* params, size_t offset,
                          std::string_view body) {
  if (params == nullptr) return false;
  std::string name(body.substr(0, body.find(":-")));
  for (const ParamScope& s : params->scopes) {
    if (offset >= s.begin && offset < s.end) return s.names.count(name) > 0;
  }
  return false;
}

constexpr char kTokenStart[] = "__fp";
constexpr char kTokenEnd[] = "__";

// Sets original aside and returns its token.
std::string SetAside(std::string_view original, ParamRefs* params) {
  std::string token = kTokenStart + std::to_string(params->originals.size());
  params->originals.emplace_back(original);
  const size_t fixed = token.size() + sizeof(kTokenEnd) - 1;
  if (original.size() > fixed) token.append(original.size() - fixed, 'x');
  return token + kTokenEnd;
}

bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

// text with every token replaced by its original; text itself when none.
std::string RestoreText(const std::string& text,
                        const std::vector<std::string>& originals) {
  std::string out;
  size_t i = 0;
  for (size_t at = text.find(kTokenStart); at != std::string::npos;
       at = text.find(kTokenStart, at + 1)) {
    size_t j = at + sizeof(kTokenStart) - 1;
    size_t digits = j;
    while (j < text.size() && IsDigitChar(text[j])) ++j;
    if (j == digits) continue;
    size_t index = std::stoul(text.substr(digits, j - digits));
    while (j < text.size() && text[j] == 'x') ++j;
    if (text.compare(j, 2, kTokenEnd) != 0 || index >= originals.size()) {
      continue;
    }
    out.append(text, i, at - i);
    out += originals[index];
    i = j + 2;
    at = i - 1;
  }
  if (i == 0) return text;
  out.append(text, i, std::string::npos);
  return out;
}

void RestoreNode(YAML::Node n, const std::vector<std::string>& originals,
                 int depth) {
  if (depth > 200) return;  // an alias loop; loading reports it
  if (n.IsScalar()) {
    if (n.Scalar().find(kTokenStart) == std::string::npos) return;
    std::string restored = RestoreText(n.Scalar(), originals);
    if (restored != n.Scalar()) n = restored;  // the tag stays as written
  } else if (n.IsSequence()) {
    for (YAML::Node item : n) RestoreNode(item, originals, depth + 1);
  } else if (n.IsMap()) {
    for (auto kv : n) {
      RestoreNode(kv.first, originals, depth + 1);
      RestoreNode(kv.second, originals, depth + 1);
    }
  }
}

}  // namespace

std::string SubstituteVars(std::string_view text,
                           const std::map<std::string, std::string>& vars,
                           bool use_env, std::vector<MissingVar>* missing,
                           ParamRefs* params) {
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
      // Instantiation unescapes a parameter's $${NAME}, once it knows the
      // names; until then it must not look like a reference.
      size_t close = ReferenceEnd(text, i + 3);
      if (close != std::string_view::npos &&
          IsParameterReference(params, i,
                               text.substr(i + 3, close - i - 3))) {
        out += SetAside(text.substr(i, close + 1 - i), params);
        i = close + 1;
        continue;
      }
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
    size_t close = ReferenceEnd(text, i + 2);
    if (close == std::string_view::npos) {
      out += c;
      ++i;
      continue;
    }
    std::string_view body = text.substr(i + 2, close - i - 2);
    if (IsParameterReference(params, i, body)) {
      out += SetAside(text.substr(i, close + 1 - i), params);
      i = close + 1;
      continue;
    }
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

void RestoreReferences(YAML::Node node,
                       const std::vector<std::string>& originals) {
  if (!originals.empty()) RestoreNode(node, originals, 0);
}

}  // namespace flowctl::config::internal
