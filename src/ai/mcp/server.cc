// The JSON-RPC 2.0 core of the MCP server: message checks, initialize and
// version negotiation, dispatch, and tools. Resources and prompts are in
// resources.cc and prompts.cc.
#include <algorithm>

#include "flowctl/ai/mcp.h"
#include "rpc.h"

namespace flowctl::ai::mcp {

using nlohmann::json;

const std::vector<std::string>& SupportedProtocolVersions() {
  static const std::vector<std::string> kVersions = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                     "2024-11-05"};
  return kVersions;
}

json RpcError(const json& id, int code, const std::string& message, json data) {
  json error = {{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = std::move(data);
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

Status ParamError(const std::string& message) { return Status::Invalid(message); }

Result<std::string> StringParam(const json& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return ParamError(std::string("params.") + name + " must be a non-empty string");
  return it->get<std::string>();
}

Server::Server(const ToolRegistry* tools, EngineApi* engine, ServerOptions options)
    : tools_(tools), engine_(engine), options_(std::move(options)) {}

Server::Server(const ToolRegistry* tools, engine::Engine* engine, ServerOptions options)
    : tools_(tools),
      owned_engine_(LocalEngineApi(engine)),
      engine_(owned_engine_.get()),
      options_(std::move(options)) {}

bool Server::Visible(const ToolSpec& tool) const {
  return !options_.read_only || tool.annotations.read_only;
}

std::string Server::HandleText(std::string_view text, Session* session) const {
  json message = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  json response = message.is_discarded()
                      ? RpcError(nullptr, kParseError, "Parse error: not valid JSON")
                      : Handle(message, session);
  return response.is_null() ? "" : response.dump();
}

json Server::Handle(const json& message, Session* session) const {
  if (!message.is_array()) return HandleOne(message, session);
  // Batches were dropped from MCP in 2025-06-18; older sessions may send them.
  const auto& versions = SupportedProtocolVersions();
  auto at = std::find(versions.begin(), versions.end(), session->protocol_version);
  if (at == versions.end() || at - versions.begin() < 2)
    return RpcError(nullptr, kInvalidRequest,
                    "Invalid Request: JSON-RPC batches are not part of MCP since 2025-06-18");
  if (message.empty()) return RpcError(nullptr, kInvalidRequest, "Invalid Request: empty batch");
  json out = json::array();
  for (const auto& m : message) {
    json r = HandleOne(m, session);
    if (!r.is_null()) out.push_back(std::move(r));
  }
  return out.empty() ? json() : out;
}

json Server::HandleOne(const json& message, Session* session) const {
  if (!message.is_object())
    return RpcError(nullptr, kInvalidRequest, "Invalid Request: a message is a JSON object");
  json id = message.contains("id") ? message["id"] : json();
  bool has_id = message.contains("id");
  // MCP ids are strings or integers, never null.
  if (has_id && !id.is_string() && !id.is_number_integer())
    return RpcError(nullptr, kInvalidRequest, "Invalid Request: id must be a string or an integer");
  if (message.value("jsonrpc", json()) != "2.0")
    return RpcError(id, kInvalidRequest, "Invalid Request: jsonrpc must be \"2.0\"");
  auto method_it = message.find("method");
  if (method_it == message.end()) {
    // A response to a request of ours; this server sends none, so drop it.
    if (has_id && (message.contains("result") || message.contains("error"))) return json();
    return RpcError(id, kInvalidRequest, "Invalid Request: no method");
  }
  if (!method_it->is_string())
    return RpcError(id, kInvalidRequest, "Invalid Request: method must be a string");
  const std::string& method = method_it->get_ref<const std::string&>();
  json params = message.value("params", json::object());
  if (!has_id) {
    if (method == "notifications/initialized" && !session->protocol_version.empty())
      session->initialized = true;
    return json();  // notifications get no answer, not even an error
  }
  if (!params.is_object())
    return RpcError(id, kInvalidParams, "Invalid params: params must be an object");
  Result<json> result = [&]() -> Result<json> {
    try {
      return Dispatch(method, params, session);
    } catch (const std::exception& e) {
      // nlohmann throws on type mismatches a check above missed.
      return Status::Internal(std::string("Internal error: ") + e.what());
    }
  }();
  if (result.ok()) return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result).value()}};
  const Status& st = result.status();
  int code = st.code() == StatusCode::kInvalidArgument      ? kInvalidParams
             : st.code() == StatusCode::kUnimplemented      ? kMethodNotFound
             : st.code() == StatusCode::kNotFound           ? kResourceNotFound
             : st.code() == StatusCode::kFailedPrecondition ? kInvalidRequest
                                                            : kInternalError;
  json data;
  if (code == kResourceNotFound && params.contains("uri")) data = {{"uri", params["uri"]}};
  return RpcError(id, code, st.message(), std::move(data));
}

Result<json> Server::Dispatch(const std::string& method, const json& params,
                              Session* session) const {
  if (method == "initialize") return Initialize(params, session);
  if (method == "ping") return json::object();
  if (session->protocol_version.empty())
    return Status(StatusCode::kFailedPrecondition,
                  "Invalid Request: send initialize before " + method);
  if (method == "tools/list") return ListTools();
  if (method == "tools/call") return CallTool(params);
  if (method == "resources/list") return ListResources();
  if (method == "resources/templates/list") return ResourceTemplates();
  if (method == "resources/read") return ReadResource(params);
  if (method == "prompts/list") return ListPrompts();
  if (method == "prompts/get") return GetPrompt(params);
  return Status::Unimplemented("Method not found: " + method);
}

Result<json> Server::Initialize(const json& params, Session* session) const {
  if (!session->protocol_version.empty())
    return Status(StatusCode::kFailedPrecondition, "Invalid Request: already initialized");
  auto requested = StringParam(params, "protocolVersion");
  if (!requested.ok()) return requested.status();
  const auto& versions = SupportedProtocolVersions();
  bool known = std::find(versions.begin(), versions.end(), *requested) != versions.end();
  session->protocol_version = known ? *requested : versions.front();
  if (params.contains("clientInfo") && params["clientInfo"].is_object())
    session->client_name = params["clientInfo"].value("name", "");
  std::string instructions =
      "flowctl runs data pipelines (sources -> processors -> sinks) described in YAML. "
      "Read flowctl://components or call list_components to see what exists, "
      "validate_pipeline before anything else";
  instructions += options_.read_only
                      ? "; this server is read-only: it cannot change pipelines."
                      : ", preview_apply to get a plan_token, then apply_pipeline with it.";
  return json{
      {"protocolVersion", session->protocol_version},
      {"capabilities",
       {{"tools", {{"listChanged", false}}},
        {"resources", {{"subscribe", false}, {"listChanged", false}}},
        {"prompts", {{"listChanged", false}}}}},
      {"serverInfo",
       {{"name", "flowctl"}, {"title", "flowctl pipelines"}, {"version", options_.version}}},
      {"instructions", instructions}};
}

json Server::ListTools() const {
  json all = tools_->ToMcp()["tools"];
  json out = json::array();
  for (auto& t : all) {
    const ToolSpec* spec = tools_->Find(t["name"].get<std::string>());
    if (spec && Visible(*spec)) out.push_back(std::move(t));
  }
  return {{"tools", out}};
}

Result<json> Server::CallTool(const json& params) const {
  auto name = StringParam(params, "name");
  if (!name.ok()) return name.status();
  const ToolSpec* spec = tools_->Find(*name);
  // Unknown and hidden tools alike are protocol errors: the model cannot fix
  // them by changing arguments.
  if (!spec || !Visible(*spec))
    return ParamError("Unknown tool: '" + *name + "'" +
                      (spec ? " (this server is read-only; write tools are off)" : "") +
                      "; tools/list lists the tools");
  json args = params.value("arguments", json::object());
  auto error_result = [](const std::string& text) {
    return json{{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", true}};
  };
  if (!args.is_object()) return error_result("arguments must be a JSON object");
  Result<json> r = tools_->Call(*name, args);
  if (!r.ok())
    return error_result(std::string(StatusCodeName(r.status().code())) + ": " +
                        r.status().message());
  json value = std::move(r).value();
  return json{{"content", json::array({{{"type", "text"}, {"text", value.dump()}}})},
              {"structuredContent", value},
              {"isError", false}};
}

}  // namespace flowctl::ai::mcp
