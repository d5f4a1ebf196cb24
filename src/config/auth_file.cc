#include "flowctl/config/auth_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "flowctl/base/strings.h"

namespace flowctl::config {

namespace {

std::string At(const std::string& path, const YAML::Node& n) {
  return path + ":" + std::to_string(n.Mark().line + 1);
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

std::string Scalar(const YAML::Node& map, const char* key) {
  const YAML::Node n = map[key];
  return n && n.IsScalar() ? n.Scalar() : "";
}

}  // namespace

Result<AuthFileSpec> LoadAuthFile(const std::string& path) {
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
  AuthFileSpec spec;
  const YAML::Node list = root["principals"];
  if (!list || !list.IsSequence() || list.size() == 0)
    return Status::Invalid(path + ": 'principals' must be a non-empty list");
  for (const auto& p : list) {
    if (!p.IsMap()) return Status::Invalid(At(path, p) + ": a principal is a map");
    if (Status st = CheckKeys(path, p, {"name", "token-file", "token", "groups", "kind"}); !st.ok())
      return st;
    AuthPrincipal a;
    a.line = p.Mark().line + 1;
    a.name = Scalar(p, "name");
    std::string kind = p["kind"] ? Scalar(p, "kind") : "person";
    if (kind != "person" && kind != "agent")
      return Status::Invalid(At(path, p) + ": kind '" + kind + "' is not person or agent");
    a.agent = kind == "agent";
    auto groups = Groups(path, p["groups"]);
    if (!groups.ok()) return groups.status();
    a.groups = groups.value();
    a.token_file = Scalar(p, "token-file");
    a.token = Scalar(p, "token");
    spec.principals.push_back(std::move(a));
  }
  const YAML::Node local = root["local"];
  if (local && local.IsScalar() && local.Scalar() == "none") {
    spec.local = false;
  } else if (local) {
    if (!local.IsMap())
      return Status::Invalid(At(path, local) + ": 'local' is {name, groups} or none");
    if (Status st = CheckKeys(path, local, {"name", "groups"}); !st.ok()) return st;
    spec.local = true;
    spec.local_line = local.Mark().line + 1;
    if (!Scalar(local, "name").empty()) spec.local_name = Scalar(local, "name");
    auto groups = Groups(path, local["groups"]);
    if (!groups.ok()) return groups.status();
    spec.local_groups = groups.value();
  }
  return spec;
}

}  // namespace flowctl::config
