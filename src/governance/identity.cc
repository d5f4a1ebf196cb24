#include "flowctl/governance/identity.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "flowctl/base/strings.h"
#include "flowctl/config/auth_file.h"

namespace flowctl::governance {

namespace fs = std::filesystem;

namespace {

Result<std::string> ReadToken(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return Status::NotFound("cannot read token file " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(0, 1);
  if (t.size() < 16)
    return Status::Invalid("token file " + file.string() +
                           " holds fewer than 16 characters: use a long random token "
                           "(e.g. openssl rand -hex 32)");
  return t;
}

}  // namespace

bool Principal::InGroup(const std::string& group) const {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

Identities::Identities() { local_ = Principal{"local", {}, false}; }

Result<Identities> Identities::Load(const std::string& path) {
  auto spec = config::LoadAuthFile(path);
  if (!spec.ok()) return spec.status();
  Identities ids;
  ids.from_file_ = true;
  ids.local_.reset();
  const fs::path dir = fs::path(path).parent_path();
  std::set<std::string> names, tokens;
  for (const auto& p : spec->principals) {
    std::string at = path + ":" + std::to_string(p.line);
    Entry e;
    e.who = Principal{p.name, p.groups, p.agent};
    if (e.who.name.empty() || e.who.name == "local")
      return Status::Invalid(at + ": a principal needs a 'name' (not 'local')");
    if (!names.insert(e.who.name).second)
      return Status::Invalid(at + ": principal '" + e.who.name + "' is named twice");
    if (!p.token_file.empty()) {
      fs::path f = p.token_file;
      if (f.is_relative()) f = dir / f;
      auto t = ReadToken(f);
      if (!t.ok()) return Status::Invalid(at + ": " + t.status().message());
      e.token = t.value();
    } else if (!p.token.empty()) {
      e.token = p.token;
      if (e.token.size() < 16)
        return Status::Invalid(at + ": the token has fewer than 16 characters");
    } else {
      return Status::Invalid(at + ": principal '" + e.who.name +
                             "' needs 'token-file' (or 'token')");
    }
    if (!tokens.insert(e.token).second)
      return Status::Invalid(at + ": principal '" + e.who.name +
                             "' has the token of another principal");
    ids.principals_.push_back(std::move(e));
  }
  if (spec->local) {
    if (names.count(spec->local_name))
      return Status::Invalid(path + ":" + std::to_string(spec->local_line) +
                             ": the local principal's name '" + spec->local_name +
                             "' is taken by a principal with a token");
    ids.local_ = Principal{spec->local_name, spec->local_groups, false};
  }
  return ids;
}

std::optional<Principal> Identities::ForToken(const std::string& token) const {
  std::optional<Principal> found;
  // Every entry is compared, so the time does not tell which one matched.
  for (const auto& e : principals_)
    if (ConstantTimeEquals(token, e.token)) found = e.who;
  return found;
}

std::optional<Principal> Identities::Find(const std::string& name) const {
  for (const auto& e : principals_)
    if (e.who.name == name) return e.who;
  if (local_ && local_->name == name) return local_;
  return std::nullopt;
}

}  // namespace flowctl::governance
