// Helpers shared by the tests: temp dirs, loading pipelines from YAML text,
// running them, and running the real flowctl binary.
#ifndef FLOWCTL_TESTS_TEST_UTIL_H_
#define FLOWCTL_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "flowctl/config/loader.h"
#include "flowctl/graph/graph.h"
#include "flowctl/runtime/runtime.h"

namespace flowctl::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "flowctl-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

inline std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Loads one pipeline from YAML text and builds its graph; fails the test on
// load errors (build errors are returned in the result).
inline BuildResult BuildFromYaml(const std::string& yaml, const Registry& registry,
                                 config::LoadOptions options = {}) {
  auto loaded = config::LoadString(yaml, "test.yaml", options);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == Diagnostic::Severity::kError) ADD_FAILURE() << d.ToString();
  if (loaded.documents.empty()) {
    ADD_FAILURE() << "no documents";
    return {};
  }
  return BuildGraph(loaded.documents[0].pipeline, registry);
}

inline std::string DiagText(const std::vector<Diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) out += d.ToString() + "\n";
  return out;
}

struct CmdResult {
  int exit_code = -1;
  std::string out;  // stdout
};

// Runs a shell command; stderr is merged into stdout when merge_stderr.
inline CmdResult RunCommand(const std::string& cmd, bool merge_stderr = true) {
  CmdResult r;
  std::string full = cmd + (merge_stderr ? " 2>&1" : "");
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline std::string Flowctl() { return FLOWCTL_BINARY; }
inline std::string SourceDir() { return FLOWCTL_SOURCE_DIR; }

}  // namespace flowctl::testing

#endif  // FLOWCTL_TESTS_TEST_UTIL_H_
