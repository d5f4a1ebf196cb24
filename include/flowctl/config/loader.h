// YAML documents -> spec model, with file:line:col on every problem.
//
// Handles multi-document files (`---`), ${VAR} and ${VAR:-default}
// substitution (variables from LoadOptions first, then the environment),
// `--set` overrides, snake_case and kebab-case keys (normalized to
// snake_case in the spec), and rejects unknown keys with a did-you-mean.
//
// PipelineTemplate documents are instantiated here: inside a template,
// ${NAME} of a declared parameter is its typed value (a scalar that is just
// the reference takes the parameter's type; inside longer text it is text),
// while other ${VAR}s keep their meaning above. A Pipeline whose spec is
// `template: {name, path, parameters}` becomes that instantiation; a
// template that no Pipeline of its file references is instantiated on its
// own (Document::Runnable) with its defaults and LoadOptions::params.
//
// Contract: pure functions of their inputs plus the process environment;
// thread-safe. They never throw: every problem is a Diagnostic.
#ifndef FLOWCTL_CONFIG_LOADER_H_
#define FLOWCTL_CONFIG_LOADER_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flowctl/spec/diagnostic.h"
#include "flowctl/spec/spec.h"

namespace flowctl::config {

struct LoadOptions {
  // Variables for ${VAR}; consulted before the environment.
  std::map<std::string, std::string> vars;
  bool use_env = true;
  // --set KEY=VALUE. KEY without a dot is a variable (same as vars). KEY with
  // dots is a path into a pipeline: NODE_ID.FIELD[.FIELD...] sets a config
  // field of that node (a leading "config." after the id is optional), or
  // NODE_ID.concurrency / NODE_ID.filter. VALUE is parsed as a YAML scalar
  // (so 10 is an int, true a bool, 'x' a string).
  std::vector<std::pair<std::string, std::string>> overrides;
  // --param NAME=VALUE: template parameter values, over a referencing
  // Pipeline's values and the defaults, for every template the file
  // instantiates. VALUE is read as the parameter's type. A NAME that no
  // instantiated template declares is an error.
  std::vector<std::pair<std::string, std::string>> params;
  // Whether spec.template.path may read another file. Off for documents a
  // daemon receives: the caller's paths mean nothing on its machine.
  bool template_files = true;
};

struct LoadResult {
  std::vector<Document> documents;
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return !HasErrors(diagnostics); }
};

LoadResult LoadFile(const std::string& path, const LoadOptions& options);
LoadResult LoadString(std::string_view text, const std::string& filename,
                      const LoadOptions& options);

// Substitutes ${VAR} and ${VAR:-default} in text; `$${` escapes a literal
// "${". Unknown variables without default are reported in missing.
std::string Substitute(std::string_view text, const LoadOptions& options,
                       std::vector<std::string>* missing);

// spec -> YAML (snake_case keys), loadable again by LoadString.
std::string ToYaml(const PipelineSpec& spec);

}  // namespace flowctl::config

#endif  // FLOWCTL_CONFIG_LOADER_H_
