// MCP resources: the component catalog and each pipeline's document and
// status. They are read through the same read-only tools a model can call,
// so a resource and its tool never disagree.
#include <cctype>

#include "flowctl/ai/mcp.h"
#include "flowctl/base/strings.h"
#include "rpc.h"

namespace flowctl::ai::mcp {

using nlohmann::json;

namespace {

constexpr const char kComponents[] = "flowctl://components";
constexpr const char kPipelines[] = "flowctl://pipelines/";
constexpr const char kStatusSuffix[] = "/status";
constexpr const char kMetricsSuffix[] = "/metrics";

json Resource(const std::string& uri, const std::string& name, const std::string& title,
              const std::string& description, const std::string& mime) {
  return {{"uri", uri},
          {"name", name},
          {"title", title},
          {"description", description},
          {"mimeType", mime}};
}

json Template(const std::string& uri_template, const std::string& name, const std::string& title,
              const std::string& description, const std::string& mime) {
  return {{"uriTemplate", uri_template},
          {"name", name},
          {"title", title},
          {"description", description},
          {"mimeType", mime}};
}

// Clients expand {name} with percent-encoding (RFC 6570).
std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

json Contents(const std::string& uri, const std::string& mime, const std::string& text) {
  return {{"contents", json::array({{{"uri", uri}, {"mimeType", mime}, {"text", text}}})}};
}

}  // namespace

Result<json> Server::ListResources() const {
  auto pipelines = engine_->List();
  if (!pipelines.ok()) return pipelines.status();
  json out = json::array();
  out.push_back(Resource(kComponents, "components", "Component catalog",
                         "Every source, processor and sink type with a one-line summary",
                         "application/json"));
  for (const auto& p : pipelines.value()) {
    out.push_back(Resource(kPipelines + p.name, p.name, "Pipeline " + p.name,
                           "The current document (version " + std::to_string(p.version) + ")",
                           "application/yaml"));
    out.push_back(
        Resource(kPipelines + p.name + kStatusSuffix, p.name + "-status", "Status of " + p.name,
                 "State, version, per-node counters, rates and queue depths", "application/json"));
    out.push_back(Resource(
        kPipelines + p.name + kMetricsSuffix, p.name + "-metrics", "Metric history of " + p.name,
        "Per-node time series of the last hour (1 s samples)", "application/json"));
  }
  return json{{"resources", out}};
}

json Server::ResourceTemplates() const {
  return {{"resourceTemplates",
           json::array(
               {Template("flowctl://components/{type}", "component", "Component",
                         "One component type: description, config JSON schema, example",
                         "application/json"),
                Template("flowctl://pipelines/{name}", "pipeline", "Pipeline document",
                         "A pipeline's current YAML document", "application/yaml"),
                Template("flowctl://pipelines/{name}/status", "pipeline-status", "Pipeline status",
                         "State and per-node metrics of a pipeline", "application/json"),
                Template("flowctl://pipelines/{name}/metrics", "pipeline-metrics",
                         "Pipeline metric history",
                         "Per-node time series of the last hour from the metric history",
                         "application/json")})}};
}

Result<json> Server::ReadResource(const json& params) const {
  auto uri_or = StringParam(params, "uri");
  if (!uri_or.ok()) return uri_or.status();
  const std::string& uri = *uri_or;
  auto not_found = [&](const std::string& why) {
    return Status::NotFound("Resource not found: " + uri + " (" + why +
                            "; resources/list and resources/templates/list show what exists)");
  };
  auto from_tool = [&](const char* tool, const json& args) -> Result<json> {
    Result<json> r = tools_->Call(tool, args);
    if (!r.ok()) return not_found(r.status().message());
    return r;
  };

  const std::string components_prefix = std::string(kComponents) + "/";
  if (uri == kComponents) {
    auto r = from_tool("list_components", json::object());
    if (!r.ok()) return r.status();
    return Contents(uri, "application/json", r->dump(2));
  }
  if (StartsWith(uri, components_prefix)) {
    auto r = from_tool("describe_component",
                       {{"type", PercentDecode(uri.substr(components_prefix.size()))}});
    if (!r.ok()) return r.status();
    return Contents(uri, "application/json", r->dump(2));
  }
  if (StartsWith(uri, kPipelines)) {
    std::string rest = uri.substr(sizeof(kPipelines) - 1);
    bool status = EndsWith(rest, kStatusSuffix);
    bool metrics = EndsWith(rest, kMetricsSuffix);
    std::string name =
        PercentDecode(status    ? rest.substr(0, rest.size() - (sizeof(kStatusSuffix) - 1))
                      : metrics ? rest.substr(0, rest.size() - (sizeof(kMetricsSuffix) - 1))
                                : rest);
    if (name.empty() || name.find('/') != std::string::npos) return not_found("no such resource");
    if (metrics) {
      auto r = from_tool("get_metrics", {{"name", name}, {"since", "1h"}});
      if (!r.ok()) return r.status();
      return Contents(uri, "application/json", r->dump(2));
    }
    if (!status) {
      auto info = engine_->Get(name);
      if (!info.ok()) return not_found(info.status().message());
      return Contents(uri, "application/yaml", info->yaml);
    }
    auto r = from_tool("get_pipeline_status", {{"name", name}});
    if (!r.ok()) return r.status();
    json s = std::move(r).value();
    auto perf = tools_->Call("analyze_pipeline_performance", {{"name", name}});
    if (perf.ok()) {
      s["throughput_eps"] = (*perf)["throughput_eps"];
      s["busiest_node"] = (*perf)["busiest_node"];
    }
    return Contents(uri, "application/json", s.dump(2));
  }
  return not_found("flowctl serves flowctl://components and flowctl://pipelines/...");
}

}  // namespace flowctl::ai::mcp
