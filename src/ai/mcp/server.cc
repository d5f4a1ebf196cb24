// The JSON-RPC 2.0 core of the MCP server: message checks, initialize and
// version negotiation, dispatch, and tools. Resources and prompts are in
// resources.cc and prompts.cc.
#include <algorithm>
#include <string>
#include <vector>

#include "flowctl/ai/mcp.h"
#include "rpc.h"

namespace flowctl::ai::mcp {

using nlohmann::json;

const std::vector<std::string>& LegacyProtocolVersions() {
  static const std::vector<std::string> kVersions = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                     "2024-11-05"};
  return kVersions;
}

const std::vector<std::string>& StatelessProtocolVersions() {
  static const std::vector<std::string> kVersions = {"2026-07-28"};
  return kVersions;
}

const std::vector<std::string>& SupportedProtocolVersions() {
  static const std::vector<std::string> kVersions = [] {
    std::vector<std::string> all = StatelessProtocolVersions();
    for (const auto& v : LegacyProtocolVersions()) all.push_back(v);
    return all;
  }();
  return kVersions;
}

JsonLimits MessageLimits() {
  JsonLimits limits;  // the default depth, as every other JSON entry point
  limits.max_bytes = kMaxMessageBytes;
  return limits;
}

namespace {

bool Contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// params._meta[key] or null.
const json* MetaField(const json& params, const char* key) {
  auto meta = params.find("_meta");
  if (meta == params.end() || !meta->is_object()) return nullptr;
  auto it = meta->find(key);
  return it == meta->end() ? nullptr : &*it;
}

// Stateless results a client may cache (CacheableResult in the schema).
bool Cacheable(const std::string& method) {
  return method == "server/discover" || method == "tools/list" || method == "resources/list" ||
         method == "resources/templates/list" || method == "resources/read" ||
         method == "prompts/list";
}

std::string JoinVersions(const std::vector<std::string>& versions) {
  std::string out;
  for (const auto& v : versions) out += (out.empty() ? "" : ", ") + v;
  return out;
}

}  // namespace

bool IsStatelessRequest(const json& message) {
  if (!message.is_object()) return false;
  auto method = message.find("method");
  if (method == message.end() || *method == "initialize") return false;
  auto params = message.find("params");
  if (params == message.end() || !params->is_object()) return false;
  const json* version = MetaField(*params, kMetaProtocolVersion);
  return version &&
         !(version->is_string() && Contains(LegacyProtocolVersions(), version->get<std::string>()));
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
  // Bounded before any tree exists: a message nested 100k levels deep would
  // otherwise overflow the stack in nlohmann::json's recursive copy.
  Result<json> message = ParseJsonBounded(text, MessageLimits());
  json response =
      message.ok() ? Handle(*message, session)
                   : RpcError(nullptr, kParseError, "Parse error: " + message.status().message());
  // Never throw on the way out: a string that is not UTF-8 becomes U+FFFD.
  return response.is_null() ? "" : response.dump(-1, ' ', false, json::error_handler_t::replace);
}

json Server::Handle(const json& message, Session* session) const {
  if (!message.is_array()) return HandleOne(message, session);
  // Batches were dropped from MCP in 2025-06-18; older sessions may send them.
  const auto& versions = LegacyProtocolVersions();
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
  const bool stateless = IsStatelessRequest(message);
  if (!has_id) {
    if (!stateless && method == "notifications/initialized" && !session->protocol_version.empty())
      session->initialized = true;
    return json();  // notifications get no answer, not even an error
  }
  if (!params.is_object())
    return RpcError(id, kInvalidParams, "Invalid params: params must be an object");

  if (stateless) {
    const json& version = *MetaField(params, kMetaProtocolVersion);
    if (!version.is_string() || !Contains(StatelessProtocolVersions(), version.get<std::string>()))
      return RpcError(id, kUnsupportedProtocolVersion,
                      "Unsupported protocol version " + version.dump() + ": this server speaks " +
                          JoinVersions(SupportedProtocolVersions()) + " (" +
                          JoinVersions(LegacyProtocolVersions()) + " through initialize)",
                      {{"supported", SupportedProtocolVersions()}, {"requested", version}});
    const json* caps = MetaField(params, kMetaClientCapabilities);
    if (caps && !caps->is_object())
      return RpcError(id, kInvalidParams,
                      std::string("Invalid params: params._meta[\"") + kMetaClientCapabilities +
                          "\"] must be an object");
  }

  Result<json> result = [&]() -> Result<json> {
    try {
      if (stateless) {
        // No session: the methods of the session era that need none, and
        // nothing that only made sense within a session (ping, initialize).
        if (method == "server/discover") return Discover();
        return DispatchCommon(method, params);
      }
      return Dispatch(method, params, session);
    } catch (const std::exception& e) {
      // nlohmann throws on type mismatches a check above missed.
      return Status::Internal(std::string("Internal error: ") + e.what());
    }
  }();
  if (result.ok()) {
    json value = std::move(result).value();
    if (stateless) {
      value["resultType"] = "complete";
      value["_meta"][kMetaServerInfo] = ServerInfo();
      if (Cacheable(method)) {
        // Pipelines change with every apply and the answers depend on who
        // asks (the token): immediately stale, never shared.
        value["ttlMs"] = 0;
        value["cacheScope"] = "private";
      }
    }
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(value)}};
  }
  const Status& st = result.status();
  // A missing resource: -32002 in the session era, -32602 since 2026-07-28.
  int not_found = stateless ? kInvalidParams : kResourceNotFound;
  int code = st.code() == StatusCode::kInvalidArgument      ? kInvalidParams
             : st.code() == StatusCode::kUnimplemented      ? kMethodNotFound
             : st.code() == StatusCode::kNotFound           ? not_found
             : st.code() == StatusCode::kFailedPrecondition ? kInvalidRequest
                                                            : kInternalError;
  json data;
  if (st.code() == StatusCode::kNotFound && params.contains("uri")) data = {{"uri", params["uri"]}};
  return RpcError(id, code, st.message(), std::move(data));
}

Result<json> Server::Dispatch(const std::string& method, const json& params,
                              Session* session) const {
  if (method == "initialize") return Initialize(params, session);
  if (method == "ping") return json::object();
  // Discovery needs no session: a client may probe before it knows the era.
  if (method == "server/discover") return Discover();
  if (session->protocol_version.empty())
    return Status(StatusCode::kFailedPrecondition,
                  "Invalid Request: send initialize before " + method +
                      " (or name a version in "
                      "params._meta[\"" +
                      kMetaProtocolVersion + "\"], e.g. 2026-07-28)");
  return DispatchCommon(method, params);
}

Result<json> Server::DispatchCommon(const std::string& method, const json& params) const {
  if (method == "tools/list") return ListTools();
  if (method == "tools/call") return CallTool(params);
  if (method == "resources/list") return ListResources();
  if (method == "resources/templates/list") return ResourceTemplates();
  if (method == "resources/read") return ReadResource(params);
  if (method == "prompts/list") return ListPrompts();
  if (method == "prompts/get") return GetPrompt(params);
  return Status::Unimplemented("Method not found: " + method);
}

std::string Server::Instructions() const {
  std::string instructions =
      "flowctl runs data pipelines (sources -> processors -> sinks) described in YAML. "
      "Read flowctl://components or call list_components to see what exists, "
      "validate_pipeline before anything else";
  instructions += options_.read_only
                      ? "; this server is read-only: it cannot change pipelines."
                      : ", preview_apply to get a plan_token, then apply_pipeline with it.";
  return instructions;
}

json Server::ServerInfo() const {
  return {{"name", "flowctl"}, {"title", "flowctl pipelines"}, {"version", options_.version}};
}

json Server::Discover() const {
  return json{
      {"supportedVersions", SupportedProtocolVersions()},
      {"capabilities",
       {{"tools", json::object()}, {"resources", json::object()}, {"prompts", json::object()}}},
      {"instructions", Instructions()}};
}

Result<json> Server::Initialize(const json& params, Session* session) const {
  if (!session->protocol_version.empty())
    return Status(StatusCode::kFailedPrecondition, "Invalid Request: already initialized");
  auto requested = StringParam(params, "protocolVersion");
  if (!requested.ok()) return requested.status();
  const auto& versions = LegacyProtocolVersions();
  bool known = std::find(versions.begin(), versions.end(), *requested) != versions.end();
  session->protocol_version = known ? *requested : versions.front();
  if (params.contains("clientInfo") && params["clientInfo"].is_object())
    session->client_name = params["clientInfo"].value("name", "");
  return json{{"protocolVersion", session->protocol_version},
              {"capabilities",
               {{"tools", {{"listChanged", false}}},
                {"resources", {{"subscribe", false}, {"listChanged", false}}},
                {"prompts", {{"listChanged", false}}}}},
              {"serverInfo", ServerInfo()},
              {"instructions", Instructions()}};
}

// Registration order, the same on every call (2026-07-28 asks for a
// deterministic order so that clients and caches can compare lists).
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
