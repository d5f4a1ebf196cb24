// Limits on what a YAML document may cost, checked at the two points where
// cost is decided: the text before yaml-cpp scans it (its scanner keeps one
// token per open flow collection and recurses per nesting level, so a 10 MB
// "[[[[" file costs gigabytes before any error), and the parsed tree before
// anything walks it expanded (yaml-cpp shares an aliased node, so an alias
// bomb is cheap to parse and exponential to convert).
#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <string>
#include <unordered_set>

#include "internal.h"

namespace flowctl::config::internal {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// "- " / "? " (or the indicator alone at the end of the line).
bool IsBlockIndicator(std::string_view line, size_t i) {
  return (line[i] == '-' || line[i] == '?') && (i + 1 == line.size() || IsBlank(line[i + 1]));
}

std::string DepthMessage() {
  return "YAML nested deeper than " + std::to_string(kMaxYamlDepth) + " levels";
}

std::string EntriesMessage() {
  return "YAML has more than " + std::to_string(kMaxYamlEntries) +
         " entries (values in lists and maps)";
}

std::string AliasMessage() {
  return "YAML aliases expand to more than " + std::to_string(kMaxYamlAliasNodes) + " nodes";
}

constexpr char kDepthHint[] = "flatten the structure; pipeline documents need a few levels";
constexpr char kEntriesHint[] = "keep data out of the pipeline document (read it from a file)";
constexpr char kAliasHint[] =
    "write the repeated values out, or use fewer aliases (*name) of large anchors (&name)";

// A line-by-line reading of YAML's structure that is only as precise as the
// limits need: open block collections are tracked by their columns, flow
// collections by their brackets; quoted scalars, block scalars (| and >) and
// comments are skipped so that brackets inside text do not count. It can
// count one level more than yaml-cpp does (a scalar on its own line), never
// fewer for the constructs that cost memory.
class TextScan {
 public:
  std::optional<YamlLimitError> Run(std::string_view text) {
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t eol = text.find('\n', pos);
      if (eol == std::string_view::npos) eol = text.size();
      line_start_ = pos;
      if (auto e = Line(text.substr(pos, eol - pos))) return e;
      pos = eol + 1;
    }
    return std::nullopt;
  }

 private:
  std::optional<YamlLimitError> Error(size_t column, std::string message, const char* hint) {
    return YamlLimitError{line_start_ + column, std::move(message), hint};
  }

  std::optional<YamlLimitError> Line(std::string_view line) {
    size_t indent = line.find_first_not_of(' ');
    bool blank = indent == std::string_view::npos || IsBlank(line[indent]) || line[indent] == '#';
    if (block_scalar_) {
      if (blank || indent > scalar_indent_) return std::nullopt;
      block_scalar_ = false;
    }
    size_t i = 0;
    value_start_ = true;
    if (quote_ == 0 && flow_ == 0) {
      if (blank) return std::nullopt;
      if (indent == 0 && (line.substr(0, 3) == "---" || line.substr(0, 3) == "...") &&
          (line.size() == 3 || IsBlank(line[3]))) {
        blocks_.clear();  // a new document
        line_indent_ = 0;
        i = 3;
      } else {
        while (!blocks_.empty() && blocks_.back() > indent) blocks_.pop_back();
        i = indent;
        line_indent_ = indent;
        if (auto e = Entry(i)) return e;
        // The line's content opens a collection at its column when it is
        // deeper than the enclosing one; "- - x" opens one per indicator.
        for (;;) {
          // (A flow collection there is counted by its bracket instead.)
          bool flow_node = i < line.size() && (line[i] == '[' || line[i] == '{');
          if (!flow_node && (blocks_.empty() || blocks_.back() < i)) {
            blocks_.push_back(i);
            if (Depth() > kMaxYamlDepth) return Error(i, DepthMessage(), kDepthHint);
          }
          if (!IsBlockIndicator(line, i)) break;
          if (auto e = Entry(i)) return e;
          ++i;
          while (i < line.size() && IsBlank(line[i])) ++i;
          if (i == line.size()) break;
        }
      }
    }
    for (; i < line.size(); ++i) {
      char c = line[i];
      bool after_blank = i == 0 || IsBlank(line[i - 1]);
      if (quote_ != 0) {
        if (quote_ == '"' && c == '\\') {
          ++i;
        } else if (c == quote_) {
          if (quote_ == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
            ++i;
          } else {
            quote_ = 0;
          }
        }
        continue;
      }
      if (c == '#' && after_blank) return std::nullopt;  // a comment
      if (flow_ > 0) {
        if (auto e = FlowChar(line, i)) return e;
        continue;
      }
      if (!value_start_) {
        // Inside a plain scalar or after a quoted key: ": " starts a value.
        if (c == ':' && (i + 1 == line.size() || IsBlank(line[i + 1]))) value_start_ = true;
        continue;
      }
      if (IsBlank(c)) continue;
      if (c == '\'' || c == '"') {
        quote_ = c;
        value_start_ = false;
      } else if (c == '[' || c == '{') {
        if (auto e = Open(i)) return e;
      } else if (c == '|' || c == '>') {
        block_scalar_ = true;  // the rest of the line is indicators
        scalar_indent_ = line_indent_;
        return std::nullopt;
      } else if (c == '&' || c == '!' || c == '*') {
        while (i + 1 < line.size() && !IsBlank(line[i + 1])) ++i;
        value_start_ = c != '*';  // an anchor or a tag precedes a value
      } else {
        value_start_ = false;  // a plain scalar
      }
    }
    return std::nullopt;
  }

  // In flow context: brackets nest anywhere outside quotes (plain scalars
  // cannot hold them there); quotes start after a separator.
  std::optional<YamlLimitError> FlowChar(std::string_view line, size_t i) {
    char c = line[i];
    bool token_start = i == 0 || IsBlank(line[i - 1]) || line[i - 1] == '[' || line[i - 1] == '{' ||
                       line[i - 1] == ',' || line[i - 1] == ':';
    if (c == '[' || c == '{') return Open(i);
    if (c == ',') return Entry(i);
    if (c == ']' || c == '}') {
      if (--flow_ == 0) value_start_ = false;
    } else if (token_start && (c == '\'' || c == '"')) {
      quote_ = c;
    }
    return std::nullopt;
  }

  std::optional<YamlLimitError> Open(size_t i) {
    if (auto e = Entry(i)) return e;
    ++flow_;
    if (Depth() > kMaxYamlDepth) return Error(i, DepthMessage(), kDepthHint);
    return std::nullopt;
  }

  // One more value written (a line, a "- ", a bracket or a comma): what the
  // parser will allocate a node or two for.
  std::optional<YamlLimitError> Entry(size_t i) {
    if (++entries_ > kMaxYamlEntries) return Error(i, EntriesMessage(), kEntriesHint);
    return std::nullopt;
  }

  size_t Depth() const { return blocks_.size() + flow_; }

  std::vector<size_t> blocks_;  // columns of the open block collections
  size_t flow_ = 0;             // open flow collections
  char quote_ = 0;              // inside '...' or "..." (may span lines)
  bool block_scalar_ = false;   // inside the text of | or >
  size_t scalar_indent_ = 0;    // ...which ends at a line this indented
  size_t line_indent_ = 0;
  bool value_start_ = true;  // a scalar or collection may start here
  size_t entries_ = 0;
  size_t line_start_ = 0;
};

// Walks the tree as a converter would, with aliases expanded, counting
// nodes met a second time (through an alias) and stopping at the limits;
// so the walk itself costs at most the tree's size plus the alias limit.
class TreeWalk {
 public:
  explicit TreeWalk(Reporter* reporter) : reporter_(reporter) {}

  bool Walk(const YAML::Node& n, size_t depth, bool in_alias) {
    if (!n.IsDefined() || n.IsNull()) return true;
    if (depth > kMaxYamlDepth) return Fail(n, DepthMessage(), kDepthHint);
    const YAML::Mark& m = n.Mark();
    // A node's identity: where it was written, and what it is (a block map
    // and its first key start at the same place).
    if (!in_alias && m.pos >= 0) {
      uint64_t id = (static_cast<uint64_t>(m.pos) << 3) | static_cast<uint64_t>(n.Type());
      in_alias = !seen_.insert(id).second;
    }
    if (in_alias && ++expanded_ > kMaxYamlAliasNodes) return Fail(n, AliasMessage(), kAliasHint);
    if (n.IsMap()) {
      for (const auto& kv : n) {
        if (!Walk(kv.first, depth + 1, in_alias) || !Walk(kv.second, depth + 1, in_alias))
          return false;
      }
    } else if (n.IsSequence()) {
      for (const auto& item : n) {
        if (!Walk(item, depth + 1, in_alias)) return false;
      }
    }
    return true;
  }

 private:
  bool Fail(const YAML::Node& n, std::string message, const char* hint) {
    if (reporter_ != nullptr) reporter_->Error(reporter_->MarkOf(n), "", std::move(message), hint);
    return false;
  }

  Reporter* reporter_;
  std::unordered_set<uint64_t> seen_;
  size_t expanded_ = 0;
};

// Watches yaml-cpp's events without building anything. yaml-cpp 0.7 can
// stop advancing: after a top-level scalar with a tag or an anchor, a "? "
// line is never consumed and every HandleNextDocument returns one more empty
// document, forever ("!a b\n? " took 2 GB in 40 s). A new document must
// start past the previous one; and no text yields more events than its
// entries allow.
class ProgressGuard : public YAML::EventHandler {
 public:
  explicit ProgressGuard(size_t max_events) : max_events_(max_events) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_++ > 0 && mark.pos <= last_start_) {
      throw YAML::ParserException(mark, "the parser stopped advancing here (yaml-cpp)");
    }
    last_start_ = mark.pos;
    Count(mark);
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Count(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Count(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Count(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Count(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Count(mark);
  }
  void OnMapEnd() override {}

 private:
  void Count(const YAML::Mark& mark) {
    if (++events_ > max_events_) throw YAML::ParserException(mark, EntriesMessage());
  }

  size_t max_events_;
  size_t events_ = 0;
  size_t documents_ = 0;
  int last_start_ = -1;
};

}  // namespace

std::vector<YAML::Node> LoadAllBounded(const std::string& text) {
  {
    std::istringstream in(text);
    YAML::Parser parser(in);
    // A map entry is two nodes and a line may hold a few: generous, finite.
    ProgressGuard guard(4 * kMaxYamlEntries + 1024);
    while (parser.HandleNextDocument(guard)) {
    }
  }
  return YAML::LoadAll(text);
}

std::optional<YamlLimitError> CheckYamlText(std::string_view text) {
  // Nesting first: it names the line to fix; the scan is cheap at any size.
  if (auto e = TextScan().Run(text)) return e;
  if (text.size() > kMaxYamlBytes) {
    return YamlLimitError{kMaxYamlBytes,
                          "YAML document is larger than " + std::to_string(kMaxYamlBytes >> 20) +
                              " MiB (" + std::to_string(text.size()) + " bytes)",
                          "split it into several files"};
  }
  return std::nullopt;
}

bool CheckYamlText(std::string_view text, Reporter& reporter) {
  auto e = CheckYamlText(text);
  if (!e) return true;
  Mark mark;
  mark.file = reporter.file();
  LineColumn(text, e->offset, &mark.line, &mark.column);
  reporter.Error(mark, "", e->message, e->hint);
  return false;
}

bool CheckYamlTree(const YAML::Node& root, Reporter* reporter) {
  return TreeWalk(reporter).Walk(root, 0, false);
}

}  // namespace flowctl::config::internal
