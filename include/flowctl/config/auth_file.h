// The daemon's auth file (`flowctl serve --auth-file`), read with file:line
// on every problem: principals with their token source and groups, and who
// a loopback caller without a token is. Reading the tokens themselves and
// matching callers is governance/identity.h's.
//
// Contract: pure function of the file; thread-safe.
#ifndef FLOWCTL_CONFIG_AUTH_FILE_H_
#define FLOWCTL_CONFIG_AUTH_FILE_H_

#include <optional>
#include <string>
#include <vector>

#include "flowctl/base/status.h"

namespace flowctl::config {

struct AuthPrincipal {
  std::string name;
  std::string token_file;  // as written (relative to the auth file)
  std::string token;       // inline, when no token_file
  std::vector<std::string> groups;
  bool agent = false;  // kind: agent
  int line = 0;        // 1-based, for messages
};

struct AuthFileSpec {
  std::vector<AuthPrincipal> principals;
  // A `local: {name, groups}` entry: loopback callers without a token are
  // that principal. Absent or `local: none`: every caller needs a token.
  bool local = false;
  std::string local_name = "local";
  std::vector<std::string> local_groups;
  int local_line = 0;
};

// kInvalidArgument "FILE:LINE: what is wrong (what would be valid)";
// kNotFound when the file cannot be read.
Result<AuthFileSpec> LoadAuthFile(const std::string& path);

}  // namespace flowctl::config

#endif  // FLOWCTL_CONFIG_AUTH_FILE_H_
