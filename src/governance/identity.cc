#include "flowctl/governance/identity.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "flowctl/base/strings.h"

namespace flowctl::governance {

namespace fs = std::filesystem;

namespace {

std::string At(const std::string& path, const YAML::Node& n) {
  return path + ":" + std::to_string(n.Mark().line + 1);
}

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

Result<std::vector<std::string>> Groups(const std::string& path, const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (!n.IsSequence()) return Status::Invalid(At(path, n) + ": 'groups' must be a list of names");
  for (const auto& g : n) {
    if (!g.IsScalar() || g.Scalar().empty())
      return Status::Invalid(At(path, g) + ": a group is a name");
    out.push_back(g.Scalar());
  }
  return out;
}

Status CheckKeys(const std::string& path, const YAML::Node& map,
                 const std::vector<std::string>& valid) {
  for (const auto& kv : map) {
    std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(valid.begin(), valid.end(), k) == valid.end()) {
      std::string guess = DidYouMean(k, valid);
      return Status::Invalid(At(path, kv.first) + ": unknown key '" + k + "' (" +
                             (guess.empty() ? "" : "did you mean '" + guess + "'? ") +
                             "valid: " + Join(valid, ", ") + ")");
    }
  }
  return Status::OK();
}

}  // namespace

bool Principal::InGroup(const std::string& group) const {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

Identities::Identities() { local_ = Principal{"local", {}, false}; }

Result<Identities> Identities::Load(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::NotFound("cannot read the auth file " + path);
  } catch (const YAML::Exception& e) {
    return Status::Invalid(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap())
    return Status::Invalid(path + ": the auth file is a map: principals: [...], local: {...}");
  if (Status st = CheckKeys(path, root, {"principals", "local"}); !st.ok()) return st;
  Identities ids;
  ids.from_file_ = true;
  ids.local_.reset();
  const fs::path dir = fs::path(path).parent_path();
  std::set<std::string> names, tokens;
  const YAML::Node list = root["principals"];
  if (!list || !list.IsSequence() || list.size() == 0)
    return Status::Invalid(path + ": 'principals' must be a non-empty list");
  for (const auto& p : list) {
    if (!p.IsMap()) return Status::Invalid(At(path, p) + ": a principal is a map");
    if (Status st = CheckKeys(path, p, {"name", "token-file", "token", "groups", "kind"}); !st.ok())
      return st;
    Entry e;
    e.who.name = p["name"] && p["name"].IsScalar() ? p["name"].Scalar() : "";
    if (e.who.name.empty() || e.who.name == "local")
      return Status::Invalid(At(path, p) + ": a principal needs a 'name' (not 'local')");
    if (!names.insert(e.who.name).second)
      return Status::Invalid(At(path, p) + ": principal '" + e.who.name + "' is named twice");
    std::string kind = p["kind"] && p["kind"].IsScalar() ? p["kind"].Scalar() : "person";
    if (kind != "person" && kind != "agent")
      return Status::Invalid(At(path, p) + ": kind '" + kind + "' is not person or agent");
    e.who.agent = kind == "agent";
    auto groups = Groups(path, p["groups"]);
    if (!groups.ok()) return groups.status();
    e.who.groups = groups.value();
    if (p["token-file"] && p["token-file"].IsScalar()) {
      fs::path f = p["token-file"].Scalar();
      if (f.is_relative()) f = dir / f;
      auto t = ReadToken(f);
      if (!t.ok()) return Status::Invalid(At(path, p) + ": " + t.status().message());
      e.token = t.value();
    } else if (p["token"] && p["token"].IsScalar()) {
      e.token = p["token"].Scalar();
      if (e.token.size() < 16)
        return Status::Invalid(At(path, p) + ": the token has fewer than 16 characters");
    } else {
      return Status::Invalid(At(path, p) + ": principal '" + e.who.name +
                             "' needs 'token-file' (or 'token')");
    }
    if (!tokens.insert(e.token).second)
      return Status::Invalid(At(path, p) + ": principal '" + e.who.name +
                             "' has the token of another principal");
    ids.principals_.push_back(std::move(e));
  }
  const YAML::Node local = root["local"];
  if (local && !(local.IsScalar() && local.Scalar() == "none")) {
    if (!local.IsMap())
      return Status::Invalid(At(path, local) + ": 'local' is {name, groups} or none");
    if (Status st = CheckKeys(path, local, {"name", "groups"}); !st.ok()) return st;
    Principal l;
    l.name = local["name"] && local["name"].IsScalar() ? local["name"].Scalar() : "local";
    if (names.count(l.name))
      return Status::Invalid(At(path, local) + ": the local principal's name '" + l.name +
                             "' is taken by a principal with a token");
    auto groups = Groups(path, local["groups"]);
    if (!groups.ok()) return groups.status();
    l.groups = groups.value();
    ids.local_ = l;
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
