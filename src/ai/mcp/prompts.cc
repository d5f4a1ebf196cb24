// MCP prompts: create-pipeline and debug-pipeline. Each tells a model which
// tools to call in which order; debug-pipeline embeds the pipeline's current
// status so the first turn already has the numbers.
#include "flowctl/ai/mcp.h"
#include "rpc.h"

namespace flowctl::ai::mcp {

using nlohmann::json;

namespace {

json Argument(const std::string& name, const std::string& description) {
  return {{"name", name}, {"description", description}, {"required", true}};
}

json UserText(const std::string& text) {
  return {{"role", "user"}, {"content", {{"type", "text"}, {"text", text}}}};
}

std::string CreateText(const std::string& goal, bool read_only) {
  std::string t =
      "Build a flowctl pipeline for this goal:\n\n" + goal +
      "\n\nSteps:\n"
      "1. Call list_components (or read flowctl://components) to see the sources, processors "
      "and sinks that exist; call describe_component for each one you plan to use, for its "
      "config schema and an example.\n"
      "2. Write one YAML document: apiVersion: flowctl/v1, kind: Pipeline, metadata.name, and "
      "spec.sources / spec.processors / spec.sinks, each node with id, type, config and "
      "inputs (the ids it reads from). Give nodes that can fail an on_error policy "
      "(retry, drop, dead_letter to a dead-letter sink, or fail).\n"
      "3. Call validate_pipeline with the document; fix every diagnostic (each names the line, "
      "the node and what would be valid) and validate again until it is valid.\n"
      "4. Call preview_apply and show the user the plan and the diff.\n";
  if (read_only)
    t += "5. This server is read-only: stop at the preview and give the user the document.\n";
  else
    t += "5. Only after the user agrees, call apply_pipeline with the same document and the "
         "plan_token from preview_apply, and a reason. Then check get_pipeline_status.\n";
  t += "(create_pipeline drafts a validated document from the goal with the embedded planner "
       "and returns its warnings, assumptions and a plan_token; review and edit it as above.)";
  return t;
}

std::string DebugText(const std::string& name, bool read_only) {
  std::string t =
      "Find out what is wrong with the flowctl pipeline '" + name +
      "' and how to fix it. Its current status is attached.\n\n"
      "Steps:\n"
      "1. Look at the status: state, and per node in/out, dropped, errors, dead_lettered, "
      "queue_depth, busy_fraction and p99_batch_us. Errors or dead-lettered events point at a "
      "node; a full queue in front of a busy node is a bottleneck.\n"
      "2. Read flowctl://pipelines/" +
      name + " for the document, and call analyze_pipeline_performance with name '" + name +
      "' for throughput and the busiest node.\n"
      "3. Call get_audit_log with target '" +
      name +
      "' to see recent changes; a failure that began with a new version suggests that change.\n"
      "4. Explain the cause in a few sentences, then propose a changed document and check it "
      "with validate_pipeline and preview_apply.\n";
  if (read_only)
    t += "This server is read-only: give the user the fix; do not try to apply it.";
  else
    t += "Apply it (apply_pipeline with the plan_token) or roll back (rollback_pipeline) only "
         "after the user agrees.";
  return t;
}

}  // namespace

json Server::ListPrompts() const {
  return {
      {"prompts",
       json::array({{{"name", "create-pipeline"},
                     {"title", "Create a pipeline"},
                     {"description", "Turn a goal in plain language into a validated pipeline"},
                     {"arguments", json::array({Argument("goal", "what the pipeline should do")})}},
                    {{"name", "debug-pipeline"},
                     {"title", "Debug a pipeline"},
                     {"description", "Find why a pipeline fails, drops or lags, and propose a fix"},
                     {"arguments", json::array({Argument("pipeline", "the pipeline's name")})}}})}};
}

Result<json> Server::GetPrompt(const json& params) const {
  auto name = StringParam(params, "name");
  if (!name.ok()) return name.status();
  json args = params.value("arguments", json::object());
  if (!args.is_object()) return ParamError("params.arguments must be an object of strings");
  auto arg = [&](const char* key) -> Result<std::string> {
    auto r = StringParam(args, key);
    if (!r.ok())
      return ParamError("prompt '" + *name + "' needs the argument '" + key + "' (a string)");
    return r;
  };
  if (*name == "create-pipeline") {
    auto goal = arg("goal");
    if (!goal.ok()) return goal.status();
    return json{{"description", "Create a pipeline for: " + *goal},
                {"messages", json::array({UserText(CreateText(*goal, options_.read_only))})}};
  }
  if (*name == "debug-pipeline") {
    auto pipeline = arg("pipeline");
    if (!pipeline.ok()) return pipeline.status();
    std::string uri = "flowctl://pipelines/" + *pipeline + "/status";
    auto status = ReadResource({{"uri", uri}});
    if (!status.ok()) {
      auto pipelines = engine_->List();
      if (!pipelines.ok()) return pipelines.status();
      std::string known;
      for (const auto& p : pipelines.value()) known += (known.empty() ? "" : ", ") + p.name;
      return ParamError("no pipeline '" + *pipeline +
                        "'; pipelines: " + (known.empty() ? "(none)" : known));
    }
    json attached = {{"role", "user"},
                     {"content", {{"type", "resource"}, {"resource", (*status)["contents"][0]}}}};
    return json{
        {"description", "Debug pipeline " + *pipeline},
        {"messages", json::array({UserText(DebugText(*pipeline, options_.read_only)), attached})}};
  }
  return ParamError("Unknown prompt: '" + *name +
                    "'; prompts/list lists create-pipeline and "
                    "debug-pipeline");
}

}  // namespace flowctl::ai::mcp
