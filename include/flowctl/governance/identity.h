// Who is calling the daemon: bearer tokens mapped to principals with groups,
// from `flowctl serve --auth-file FILE`. The governance gate (gate.h) checks
// approvers' groups with it; every audit record names the principal.
//
// The auth file (YAML):
//   principals:
//     - {name: alice, token-file: alice.token, groups: [senior-engineers]}
//     - {name: triage-bot, kind: agent, token-file: bot.token, groups: [bots]}
//   local: {name: operator, groups: [admin]}   # loopback callers without a
//                                              # token; `local: none` = refuse
// A token file holds one token (relative paths are relative to the auth
// file). Tokens are compared in constant time. Without an auth file, the
// daemon's one --token-file (or loopback) caller is the principal "local".
//
// Contract: immutable after Load; thread-safe to read.
#ifndef FLOWCTL_GOVERNANCE_IDENTITY_H_
#define FLOWCTL_GOVERNANCE_IDENTITY_H_

#include <optional>
#include <string>
#include <vector>

#include "flowctl/base/status.h"

namespace flowctl::governance {

struct Principal {
  std::string name;
  std::vector<std::string> groups;
  bool agent = false;  // a program acting (kind: agent): never a human confirmation
  bool InGroup(const std::string& group) const;
};

class Identities {
 public:
  // No auth file: every caller is `local` (no groups).
  Identities();
  // Errors name the file and line (a missing token file, a duplicate name
  // or token, an unknown key).
  static Result<Identities> Load(const std::string& path);

  // The principal whose token this is; nullopt when none.
  std::optional<Principal> ForToken(const std::string& token) const;
  // Who a loopback caller without a token is; nullopt: a token is required.
  const std::optional<Principal>& local() const { return local_; }
  std::optional<Principal> Find(const std::string& name) const;
  // Whether tokens name principals (an auth file was loaded).
  bool from_file() const { return from_file_; }
  size_t size() const { return principals_.size(); }

 private:
  struct Entry {
    Principal who;
    std::string token;
  };
  std::vector<Entry> principals_;
  std::optional<Principal> local_;
  bool from_file_ = false;
};

}  // namespace flowctl::governance

#endif  // FLOWCTL_GOVERNANCE_IDENTITY_H_
