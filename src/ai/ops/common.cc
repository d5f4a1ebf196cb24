// Shared helpers of the ops analyses (internal.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flowctl/config/loader.h"
#include "internal.h"

namespace flowctl::ai::ops_internal {

double Sum(const Series& s, store::Metric m) {
  double total = 0;
  for (const auto* p : s) total += p->v[m] * p->v[store::kIntervalS];
  return total;
}

double Seconds(const Series& s) {
  double total = 0;
  for (const auto* p : s) total += p->v[store::kIntervalS];
  return total;
}

double Mean(const Series& s, store::Metric m) {
  double secs = Seconds(s);
  return secs > 0 ? Sum(s, m) / secs : 0;
}

Status WriteAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) return Status::Internal("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Internal("cannot rename " + tmp + ": " + ec.message());
  return Status::OK();
}

nlohmann::json ReadJsonObject(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

std::string Pct(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, f < 0.1 ? "%.1f%%" : "%.0f%%", f * 100);
  return buf;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 100 ? "%.0f" : "%.2f", v);
  return buf;
}

nlohmann::json Clusters(const std::vector<store::ErrorGroup>& errors, const std::string& node,
                        int64_t since_ms) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& g : errors)
    if (g.node == node && g.last_ms >= since_ms)
      out.push_back({{"message", g.message_template},
                     {"example_message", g.example_message},
                     {"count", g.count},
                     {"first_ms", g.first_ms},
                     {"last_ms", g.last_ms},
                     {"examples", g.examples}});
  return out;
}

const NodeSpec* FindNode(const PipelineSpec& spec, const std::string& id) {
  for (const NodeSpec* n : spec.AllNodes())
    if (n->id == id) return n;
  return nullptr;
}

NodeSpec* FindNode(PipelineSpec& spec, const std::string& id) {
  for (auto* list : {&spec.sources, &spec.processors, &spec.sinks})
    for (auto& n : *list)
      if (n.id == id) return &n;
  return nullptr;
}

std::optional<PipelineSpec> LoadSpec(const std::string& yaml) {
  if (yaml.empty()) return std::nullopt;
  config::LoadOptions lo;
  lo.template_files = false;
  auto r = config::LoadString(yaml, "<running>", lo);
  if (!r.ok() || r.documents.size() != 1) return std::nullopt;
  return r.documents[0].pipeline;
}

std::string DeadLetterFix(PipelineSpec spec, const std::string& node) {
  NodeSpec* n = FindNode(spec, node);
  if (n == nullptr) return "";
  std::string dlq;
  for (const auto& s : spec.sinks)
    if (s.type == "dead-letter") dlq = s.id;
  if (dlq.empty()) {
    // Beside the pipeline's first file output, where its operator looks.
    std::string dir;
    for (const auto& s : spec.sinks)
      if (dir.empty() && s.config.contains("path") && s.config["path"].is_string())
        dir = std::filesystem::path(s.config["path"].get<std::string>()).parent_path().string();
    NodeSpec d;
    d.kind = NodeKind::kSink;
    d.type = "dead-letter";
    d.id = FindNode(spec, "dlq") == nullptr ? "dlq" : "dead-letters";
    d.config = {{"path", (dir.empty() ? "" : dir + "/") + spec.metadata.name + "-dead.jsonl"}};
    dlq = d.id;
    spec.sinks.push_back(std::move(d));
    n = FindNode(spec, node);  // the push may have moved the sinks
  }
  n->has_on_error = true;
  n->on_error = ErrorPolicy{};
  n->on_error.kind = ErrorPolicy::Kind::kDeadLetter;
  n->on_error.dead_letter_to = dlq;
  return config::ToYaml(spec);
}

std::string ConcurrencyFix(PipelineSpec spec, const std::string& node, int to) {
  NodeSpec* n = FindNode(spec, node);
  if (n == nullptr) return "";
  n->concurrency = to;
  // An AI node bounds its model calls in flight too: more instances than
  // calls would wait on each other.
  if (n->config.is_object() && n->config.contains("max_concurrency") &&
      n->config["max_concurrency"].is_number_integer() &&
      n->config["max_concurrency"].get<int>() < to)
    n->config["max_concurrency"] = to;
  return config::ToYaml(spec);
}

std::string ConfigFix(PipelineSpec spec, const std::string& node, const std::string& key,
                      const nlohmann::json& value) {
  NodeSpec* n = FindNode(spec, node);
  if (n == nullptr) return "";
  if (!n->config.is_object()) n->config = nlohmann::json::object();
  n->config[key] = value;
  return config::ToYaml(spec);
}

}  // namespace flowctl::ai::ops_internal
