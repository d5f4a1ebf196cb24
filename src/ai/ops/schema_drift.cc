// `ai debug`'s schema drift finding: a source's events changed shape
// (store/schema_epochs.h keeps one epoch per shape), matched to the nodes
// whose failures began with it, and a transform that maps the new shape
// back to the one the pipeline was written for, where the change allows.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "flowctl/config/loader.h"
#include "internal.h"

namespace flowctl::ai::ops_internal {

using nlohmann::json;

namespace {

// A node's failures began with the change when its failure share in the
// window after it is at least this much and over twice what it was before.
constexpr double kDriftErrorShare = 0.01;
// How far around the change the before/after shares look.
constexpr int64_t kAroundMs = 120000;

std::string Clock(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S UTC", &tm);
  return buf;
}

// "user_id", "userId" and "user-id" name the same thing.
std::string Folded(const std::string& s) {
  std::string out;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A field that disappeared and one that appeared in its place: the same
// name folded, else the only pair of that kind.
std::vector<std::pair<std::string, std::string>> Renames(const std::vector<FieldChange>& cs) {
  std::vector<const FieldChange*> gone, came;
  for (const auto& c : cs) {
    if (c.what == FieldChange::kDisappeared) gone.push_back(&c);
    if (c.what == FieldChange::kAppeared) came.push_back(&c);
  }
  std::vector<std::pair<std::string, std::string>> out;
  auto take = [&](size_t g, size_t a) {
    out.emplace_back(gone[g]->field, came[a]->field);
    gone.erase(gone.begin() + static_cast<long>(g));
    came.erase(came.begin() + static_cast<long>(a));
  };
  for (size_t g = 0; g < gone.size(); ++g)
    for (size_t a = 0; a < came.size(); ++a)
      if (Folded(gone[g]->field) == Folded(came[a]->field)) {
        take(g--, a);
        break;
      }
  for (int kind = 0; kind < kKindCount; ++kind) {
    std::vector<size_t> g, a;
    for (size_t i = 0; i < gone.size(); ++i)
      if (gone[i]->kind_before == kind) g.push_back(i);
    for (size_t i = 0; i < came.size(); ++i)
      if (came[i]->kind_after == kind) a.push_back(i);
    if (g.size() == 1 && a.size() == 1) take(g[0], a[0]);
  }
  return out;
}

struct Started {
  std::string node;
  double share_before = 0, share_after = 0;
  double failed_after = 0;
  int64_t first_ms = 0;
};

// Nodes whose failure share rose at `at`.
std::vector<Started> ErrorsStarted(const std::map<std::string, Series>& by_node, int64_t at) {
  std::vector<Started> out;
  for (const auto& [node, s] : by_node) {
    if (node == store::kPipelineNode) continue;
    double in_b = 0, err_b = 0, in_a = 0, err_a = 0;
    int64_t first = 0;
    for (const auto* p : s) {
      int64_t end = p->ts_ms + int64_t{p->resolution_s} * 1000;
      double secs = p->v[store::kIntervalS];
      double in = p->v[store::kInPerS] * secs, err = p->v[store::kErrorsPerS] * secs;
      if (end <= at && p->ts_ms >= at - kAroundMs) {
        in_b += in;
        err_b += err;
      } else if (end > at && p->ts_ms < at + kAroundMs) {
        in_a += in;
        err_a += err;
        if (err > 0 && first == 0) first = p->ts_ms;
      }
    }
    double before = in_b > 0 ? err_b / in_b : 0, after = in_a > 0 ? err_a / in_a : 0;
    if (after < kDriftErrorShare || after < 2 * before) continue;
    out.push_back({node, before, after, err_a, first});
  }
  std::sort(out.begin(), out.end(),
            [](const Started& a, const Started& b) { return a.first_ms < b.first_ms; });
  return out;
}

// The document with a transform after `source` that sets `set` (field ->
// expression) on every event before any other node sees it.
std::string NormalizeFix(PipelineSpec spec, const std::string& source, const std::string& id,
                         const json& set) {
  for (auto* list : {&spec.processors, &spec.sinks})
    for (auto& n : *list)
      for (auto& in : n.inputs)
        if (in == source) in = id;
  NodeSpec t;
  t.id = id;
  t.type = "transform";
  t.kind = NodeKind::kProcessor;
  t.inputs = {source};
  t.input_marks.resize(1);
  t.config = {{"set", set}};
  spec.processors.insert(spec.processors.begin(), std::move(t));
  return config::ToYaml(spec);
}

}  // namespace

void DetectSchemaDrift(const OpsInput& in, const std::optional<PipelineSpec>& spec,
                       const std::map<std::string, Series>& by_node, std::vector<Finding>* out) {
  for (size_t i = 1; i < in.schemas.size(); ++i) {
    const store::SchemaEpoch& before = in.schemas[i - 1];
    const store::SchemaEpoch& after = in.schemas[i];
    if (before.node != after.node) continue;
    std::vector<FieldChange> changes = ShapeChanges(before.profile, after.profile);
    if (changes.empty()) continue;
    const std::string& source = after.node;
    int64_t at = after.from_ms;
    std::vector<Started> started = ErrorsStarted(by_node, at);

    Finding f;
    f.kind = "schema_drift";
    f.severity = started.empty() ? "info" : "warning";
    f.node = source;
    f.from_ms = at;
    f.to_ms = after.to_ms;
    std::string what;
    json jchanges = json::array();
    for (const auto& c : changes) {
      if (!what.empty()) what += ", ";
      what += c.field + (c.what == FieldChange::kAppeared ? " appeared"
                         : c.what == FieldChange::kDisappeared
                             ? " disappeared"
                             : std::string(" became ") + JsonKindName(c.kind_after) + " (was " +
                                   JsonKindName(c.kind_before) + ")");
      jchanges.push_back({{"field", c.field},
                          {"change", FieldChangeName(c.what)},
                          {"type_before", JsonKindName(c.kind_before)},
                          {"type_after", JsonKindName(c.kind_after)},
                          {"presence_before", c.presence_before},
                          {"presence_after", c.presence_after}});
    }
    f.title = source + ": the input's shape changed at " + Clock(at) + ": " + what;
    json jstarted = json::array();
    for (const auto& s : started)
      jstarted.push_back({{"node", s.node},
                          {"failure_share_before", s.share_before},
                          {"failure_share_after", s.share_after},
                          {"failed_after", std::llround(s.failed_after)},
                          {"first_failure_ms", s.first_ms}});
    if (!started.empty())
      f.title += "; failures on " + started[0].node + " began then (" +
                 Pct(started[0].share_before) + " -> " + Pct(started[0].share_after) + ")";
    f.evidence = {{"changed_at_ms", at},
                  {"changes", jchanges},
                  {"sampled_before", before.profile.sampled},
                  {"sampled_after", after.profile.sampled},
                  {"before_from_ms", before.from_ms},
                  {"errors_started", jstarted}};
    if (!started.empty()) f.evidence["clusters"] = Clusters(in.errors, started[0].node, at);

    // The new shape mapped back to the old one, where the change says how.
    json set = json::object();
    for (const auto& [old_name, new_name] : Renames(changes))
      set[old_name] = "has(" + old_name + ") ? " + old_name + " : " + new_name;
    for (const auto& c : changes) {
      if (c.what != FieldChange::kKindChanged) continue;
      if (c.kind_before == kKindNumber && c.kind_after == kKindString)
        set[c.field] = "double(" + c.field + ")";
      else if (c.kind_before == kKindString && c.kind_after != kKindNull)
        set[c.field] = "string(" + c.field + ")";
    }
    std::string id = source + "_normalize";
    bool in_place = spec && FindNode(*spec, id) != nullptr;
    if (in_place) {
      f.fix = "the transform '" + id + "' maps the new shape back; if failures go on, the " +
              "nodes that read these fields need updating";
    } else if (!set.empty() && spec) {
      std::string list;
      for (auto it = set.begin(); it != set.end(); ++it)
        list += (list.empty() ? "" : ", ") + it.key() + " = " + it.value().get<std::string>();
      f.fix = "map the new shape back to the one the pipeline was written for, in a transform '" +
              id + "' right after " + source + ": " + list;
      f.fix_yaml = NormalizeFix(*spec, source, id, set);
    } else {
      f.fix = "update the nodes that read the changed fields" +
              std::string(started.empty() ? "" : " (" + started[0].node + " fails on them)") +
              ", or ask the producer which shape is meant";
    }
    out->push_back(std::move(f));
  }
}

}  // namespace flowctl::ai::ops_internal
