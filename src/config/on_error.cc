// on_error: the error policy of a node, in its scalar and map forms.
#include <string>
#include <vector>

#include "internal.h"
#include "flowctl/base/strings.h"

namespace flowctl::config::internal {
namespace {

constexpr char kForms[] =
    "valid forms: fail | drop | retry | {retry: {max: 3, backoff: 100ms}, "
    "then: drop|fail|{dead_letter: {to: SINK_ID}}} | "
    "{dead_letter: {to: SINK_ID}}";

using Kind = ErrorPolicy::Kind;

std::optional<Kind> KindFromName(const std::string& name) {
  std::string n = SnakeCase(name);
  if (n == "fail") return Kind::kFail;
  if (n == "drop") return Kind::kDrop;
  if (n == "retry") return Kind::kRetry;
  if (n == "dead_letter") return Kind::kDeadLetter;
  return std::nullopt;
}

// "100ms", "2s", "1m" or a bare number of milliseconds.
std::optional<int> ParseBackoffMs(const YAML::Node& v) {
  if (!v.IsScalar()) return std::nullopt;
  std::string s = v.Scalar();
  int64_t scale = 1;
  if (EndsWith(s, "ms")) {
    s.resize(s.size() - 2);
  } else if (EndsWith(s, "s")) {
    s.resize(s.size() - 1);
    scale = 1000;
  } else if (EndsWith(s, "m")) {
    s.resize(s.size() - 1);
    scale = 60 * 1000;
  }
  std::optional<int64_t> n = ParseInt64(s);
  if (!n || *n < 0 || *n > (int64_t{1} << 30) / scale) return std::nullopt;
  return static_cast<int>(*n * scale);
}

class PolicyParser {
 public:
  PolicyParser(Reporter& reporter, const std::string& node_id)
      : reporter_(reporter), node_id_(node_id) {}

  bool Parse(const YAML::Node& value, ErrorPolicy* out);

 private:
  bool Fail(const YAML::Node& at, const std::string& message) {
    reporter_.Error(reporter_.MarkOf(at), node_id_, "on_error: " + message,
                    kForms);
    return false;
  }
  bool ParseScalar(const YAML::Node& value, ErrorPolicy* out);
  bool ParseMap(const YAML::Node& value, ErrorPolicy* out);
  bool ParseBody(Kind kind, const YAML::Node& key, const YAML::Node& body,
                 ErrorPolicy* out);
  bool ParseRetry(const YAML::Node& body, ErrorPolicy* out);
  bool ParseDeadLetter(const YAML::Node& key, const YAML::Node& body,
                       std::string* to);
  bool ParseThen(const YAML::Node& value, ErrorPolicy* out);

  Reporter& reporter_;
  const std::string& node_id_;
};

bool PolicyParser::Parse(const YAML::Node& value, ErrorPolicy* out) {
  *out = ErrorPolicy();
  out->mark = reporter_.MarkOf(value);
  if (value.IsScalar()) return ParseScalar(value, out);
  if (value.IsMap()) return ParseMap(value, out);
  return Fail(value, std::string("expected a policy, got ") +
                         YamlTypeName(value));
}

bool PolicyParser::ParseScalar(const YAML::Node& value, ErrorPolicy* out) {
  std::optional<Kind> kind = KindFromName(value.Scalar());
  if (!kind) return Fail(value, "unknown policy '" + value.Scalar() + "'");
  if (*kind == Kind::kDeadLetter) {
    return Fail(value, "dead_letter needs the sink to send failures to");
  }
  out->kind = *kind;
  return true;
}

bool PolicyParser::ParseMap(const YAML::Node& value, ErrorPolicy* out) {
  // std::optional because assigning to a YAML::Node writes through to the
  // node it refers to instead of rebinding it.
  std::optional<YAML::Node> policy_key, policy_body, then;
  for (const auto& kv : value) {
    std::string key = kv.first.IsScalar() ? NormalizeKey(kv.first.Scalar())
                                           : std::string();
    if (key == "then") {
      then.emplace(kv.second);
      continue;
    }
    std::optional<Kind> kind = KindFromName(key);
    if (!kind) {
      return Fail(kv.first, "unknown key '" + kv.first.as<std::string>("") +
                                 "'");
    }
    if (policy_key) return Fail(kv.first, "more than one policy given");
    out->kind = *kind;
    policy_key.emplace(kv.first);
    policy_body.emplace(kv.second);
  }
  if (!policy_key) return Fail(value, "no policy given");
  if (!ParseBody(out->kind, *policy_key, *policy_body, out)) return false;
  if (!then) return true;
  if (out->kind != Kind::kRetry) {
    return Fail(*then, "'then' only follows retry");
  }
  return ParseThen(*then, out);
}

bool PolicyParser::ParseBody(Kind kind, const YAML::Node& key,
                             const YAML::Node& body, ErrorPolicy* out) {
  switch (kind) {
    case Kind::kRetry:
      return ParseRetry(body, out);
    case Kind::kDeadLetter:
      return ParseDeadLetter(key, body, &out->dead_letter_to);
    case Kind::kFail:
    case Kind::kDrop:
      break;
  }
  // drop and fail take no parameters; {drop: {}} is the map spelling.
  if (body.IsNull() || (body.IsMap() && body.size() == 0)) return true;
  return Fail(body, "'" + key.Scalar() + "' takes no parameters");
}

bool PolicyParser::ParseRetry(const YAML::Node& body, ErrorPolicy* out) {
  if (body.IsNull()) return true;
  if (!body.IsMap()) {
    return Fail(body, std::string("retry expects {max: N, backoff: 100ms}, "
                                  "got ") + YamlTypeName(body));
  }
  for (const auto& kv : body) {
    std::string key =
        kv.first.IsScalar() ? NormalizeKey(kv.first.Scalar()) : "";
    const YAML::Node& v = kv.second;
    if (key == "max") {
      std::optional<int64_t> n =
          v.IsScalar() && IsPlain(v) ? ParseInt64(v.Scalar()) : std::nullopt;
      if (!n || *n < 0 || *n > 1000000) {
        return Fail(v, "retry max must be an integer >= 0");
      }
      out->max_retries = static_cast<int>(*n);
    } else if (key == "backoff") {
      std::optional<int> ms = ParseBackoffMs(v);
      if (!ms) {
        return Fail(v, "retry backoff must be milliseconds or a duration "
                       "like 100ms, 2s");
      }
      out->backoff_ms = *ms;
    } else {
      return Fail(kv.first, "unknown retry key '" +
                                 kv.first.as<std::string>("") +
                                 "' (valid: max, backoff)");
    }
  }
  return true;
}

bool PolicyParser::ParseDeadLetter(const YAML::Node& key,
                                   const YAML::Node& body, std::string* to) {
  if (!body.IsMap()) {
    return Fail(body.IsNull() ? key : body,
                "dead_letter expects {to: SINK_ID}");
  }
  for (const auto& kv : body) {
    std::string k = kv.first.IsScalar() ? NormalizeKey(kv.first.Scalar())
                                         : std::string();
    if (k != "to") {
      return Fail(kv.first, "unknown dead_letter key '" +
                                 kv.first.as<std::string>("") +
                                 "' (valid: to)");
    }
    if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
      return Fail(kv.second, "dead_letter 'to' must be a sink id");
    }
    *to = kv.second.Scalar();
  }
  if (to->empty()) return Fail(body, "dead_letter needs 'to: SINK_ID'");
  return true;
}

bool PolicyParser::ParseThen(const YAML::Node& value, ErrorPolicy* out) {
  if (value.IsScalar()) {
    std::optional<Kind> kind = KindFromName(value.Scalar());
    if (kind == Kind::kDrop || kind == Kind::kFail) {
      out->then = *kind;
      return true;
    }
    if (kind == Kind::kDeadLetter) {
      return Fail(value, "then: dead_letter needs {dead_letter: {to: SINK_ID}}");
    }
    return Fail(value, "then must be drop, fail or {dead_letter: {to: ID}}");
  }
  if (value.IsMap() && value.size() == 1) {
    const auto& kv = *value.begin();
    if (kv.first.IsScalar() &&
        KindFromName(kv.first.Scalar()) == Kind::kDeadLetter) {
      out->then = Kind::kDeadLetter;
      return ParseDeadLetter(kv.first, kv.second, &out->dead_letter_to);
    }
  }
  return Fail(value, "then must be drop, fail or {dead_letter: {to: ID}}");
}

}  // namespace

bool ParseErrorPolicy(const YAML::Node& value, Reporter& reporter,
                      const std::string& node_id, ErrorPolicy* out) {
  PolicyParser parser(reporter, node_id);
  return parser.Parse(value, out);
}

}  // namespace flowctl::config::internal
