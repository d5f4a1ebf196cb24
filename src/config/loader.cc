// Public entry points of the loader: text -> substituted text -> YAML
// documents -> spec model -> overrides. Never throws.
#include "flowctl/config/loader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "internal.h"

namespace flowctl::config {
namespace {

using internal::Reporter;

// --set KEY=VALUE without a dot is a variable and beats LoadOptions::vars:
// the command line is the most specific source.
std::map<std::string, std::string> Variables(const LoadOptions& options) {
  std::map<std::string, std::string> vars = options.vars;
  for (const auto& [key, value] : options.overrides) {
    if (key.find('.') == std::string::npos) vars[key] = value;
  }
  return vars;
}

void ReportMissing(std::string_view text,
                   const std::vector<internal::MissingVar>& missing,
                   Reporter& reporter) {
  for (const internal::MissingVar& m : missing) {
    Mark mark;
    mark.file = reporter.file();
    internal::LineColumn(text, m.offset, &mark.line, &mark.column);
    reporter.Error(mark, "", "variable '" + m.name + "' is not set",
                   "pass --set " + m.name + "=VALUE, set it in the "
                   "environment, or write ${" + m.name + ":-default}");
  }
}

// yaml-cpp reports the whole stream at once; a syntax error anywhere loses
// every document, which is fine since the file has to be fixed anyway.
bool ParseDocuments(const std::string& text, Reporter& reporter,
                    std::vector<YAML::Node>* docs) {
  try {
    *docs = internal::LoadAllBounded(text);
    return true;
  } catch (const YAML::Exception& e) {
    reporter.Error(internal::ToMark(e.mark, reporter.file()), "",
                   "invalid YAML: " + e.msg);
  }
  return false;
}

void Load(std::string_view text, const std::string& filename,
          const LoadOptions& options, LoadResult* result) {
  internal::ParsedFile file = internal::ParseFile(
      text, filename, options, /*only_templates=*/false, &result->diagnostics);
  // Before the overrides: --set NODE.FIELD applies to instantiated
  // templates too.
  internal::InstantiateTemplates(options, &file, &result->diagnostics);
  result->documents = std::move(file.documents);
  internal::ApplyOverrides(options.overrides, &result->documents,
                           &result->diagnostics);
}

}  // namespace

namespace internal {

ParsedFile ParseFile(std::string_view text, const std::string& filename,
                     const LoadOptions& options, bool only_templates,
                     std::vector<Diagnostic>* diags) {
  ParsedFile out;
  out.file = filename;
  Reporter reporter(filename, diags);
  // Before any parse (FindParamScopes parses too): a hostile text must cost
  // no more than its size.
  if (!CheckYamlText(text, reporter)) return out;
  ParamRefs refs;
  refs.scopes = FindParamScopes(std::string(text));
  std::vector<MissingVar> missing;
  out.text = SubstituteVars(text, Variables(options), options.use_env,
                            &missing, &refs);
  out.references = std::move(refs.originals);
  ReportMissing(text, missing, reporter);
  // Variable values may have added nesting.
  if (!CheckYamlText(out.text, reporter)) return out;
  std::vector<YAML::Node> docs;
  if (!ParseDocuments(out.text, reporter, &docs)) return out;
  for (size_t i = 0; i < docs.size(); ++i) {
    const YAML::Node& root = docs[i];
    if (root.IsNull()) continue;  // "---" with nothing after it
    // Everything below walks the tree with aliases expanded.
    if (!CheckYamlTree(root, &reporter)) continue;
    RestoreReferences(root, out.references);
    if (only_templates && !IsTemplateDocument(root)) continue;
    if (auto doc = LoadDocument(root, reporter)) {
      out.documents.push_back(std::move(*doc));
      out.roots.push_back(i);
    }
  }
  return out;
}

}  // namespace internal

LoadResult LoadString(std::string_view text, const std::string& filename,
                      const LoadOptions& options) {
  LoadResult result;
  try {
    Load(text, filename, options, &result);
  } catch (const std::exception& e) {
    // Every expected problem is already a Diagnostic; this is the promise
    // that nothing escapes even on a bug or an exotic yaml-cpp failure.
    Reporter reporter(filename, &result.diagnostics);
    Mark mark;
    mark.file = filename;
    reporter.Error(mark, "", std::string("internal error while loading: ") +
                                 e.what());
  }
  return result;
}

LoadResult LoadFile(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  std::string reason;
  if (std::filesystem::is_directory(path, ec)) {
    reason = "is a directory";
  } else {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      if (!in.bad()) return LoadString(text.str(), path, options);
    }
    reason = std::strerror(errno);
  }
  LoadResult result;
  Diagnostic d;
  d.mark.file = path;
  d.message = "cannot read " + path + ": " + reason;
  result.diagnostics.push_back(std::move(d));
  return result;
}

std::string Substitute(std::string_view text, const LoadOptions& options,
                       std::vector<std::string>* missing) {
  std::vector<internal::MissingVar> found;
  std::string out = internal::SubstituteVars(text, Variables(options),
                                             options.use_env, &found);
  if (missing != nullptr) {
    for (auto& m : found) missing->push_back(std::move(m.name));
  }
  return out;
}

}  // namespace flowctl::config
