// The MCP (Model Context Protocol) server: the tool registry's tools, the
// engine's pipelines and component catalog as resources, and two prompts,
// spoken as JSON-RPC 2.0 over stdio or streamable HTTP.
//
// Two protocol eras are served side by side, chosen per request:
// - Stateless (2026-07-28): a request names its version in
//   params._meta["io.modelcontextprotocol/protocolVersion"] and needs no
//   initialize; server/discover lists the versions. Every result carries
//   resultType (and ttlMs/cacheScope on list and read results); a missing
//   resource is -32602; an unknown version is -32022 listing the supported.
// - Session (2025-11-25 and older): initialize, then requests; a missing
//   resource is -32002. Unchanged for old clients.
//
// Contract:
// - Server is the transport-independent core. It holds no per-client state;
//   that is a Session, owned by the transport (one per stdio connection, one
//   per HTTP Mcp-Session-Id). Stateless requests never read or change it.
//   Handle is thread-safe across sessions; calls for one session must be
//   serialized by the caller.
// - Text input is parsed with bounded size and nesting (MessageLimits): a
//   hostile message is a -32700 naming the limit, never a crash.
// - Server borrows the tool registry and the engine (an in-process one or
//   any EngineApi, e.g. a running daemon's client): both must outlive it.
//   Tool calls go through ToolRegistry::Call (one definition of each tool).
// - Handle never throws: a malformed message is a JSON-RPC error, a failing
//   tool is a result with isError (a message a model can act on).
// - With read_only, tools not annotated read-only are neither listed nor
//   callable.
#ifndef FLOWCTL_AI_MCP_H_
#define FLOWCTL_AI_MCP_H_

#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "flowctl/ai/engine_api.h"
#include "flowctl/ai/tools.h"
#include "flowctl/base/status.h"
#include "flowctl/data/json_bounded.h"
#include "flowctl/engine/engine.h"

namespace flowctl::ai::mcp {

// Session-era versions, newest first; initialize answers the client's
// version when it is listed here, else the first.
const std::vector<std::string>& LegacyProtocolVersions();
// Stateless-era versions (per-request _meta), newest first.
const std::vector<std::string>& StatelessProtocolVersions();
// Both, newest first: what server/discover and -32022 list.
const std::vector<std::string>& SupportedProtocolVersions();

// The params._meta keys of a stateless request.
inline constexpr char kMetaProtocolVersion[] = "io.modelcontextprotocol/protocolVersion";
inline constexpr char kMetaClientCapabilities[] = "io.modelcontextprotocol/clientCapabilities";
inline constexpr char kMetaServerInfo[] = "io.modelcontextprotocol/serverInfo";

// True for a request of the stateless era: params._meta names a protocol
// version that is not a session-era one (a session-era client may send
// _meta too), and the method is not initialize.
bool IsStatelessRequest(const nlohmann::json& message);

// Size and nesting limits of one JSON-RPC message, on every transport.
JsonLimits MessageLimits();

// JSON-RPC 2.0 and MCP error codes.
enum ErrorCode {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kResourceNotFound = -32002,  // session era only; stateless: kInvalidParams
  kHeaderMismatch = -32020,
  kUnsupportedProtocolVersion = -32022,
};

struct Session {
  std::string protocol_version;  // empty until initialize succeeded
  bool initialized = false;      // notifications/initialized arrived
  std::string client_name;
};

struct ServerOptions {
  bool read_only = false;
  std::string version = "0.1.0";  // serverInfo.version
};

class Server {
 public:
  Server(const ToolRegistry* tools, EngineApi* engine, ServerOptions options);
  // Over an in-process engine (the server owns the adapter).
  Server(const ToolRegistry* tools, engine::Engine* engine, ServerOptions options);

  // One parsed message (a batch only for sessions at 2025-03-26 or older).
  // Returns the response; null for notifications and client responses.
  nlohmann::json Handle(const nlohmann::json& message, Session* session) const;
  // The same on text: unparsable input is -32700. "" = nothing to send.
  std::string HandleText(std::string_view text, Session* session) const;

  bool Visible(const ToolSpec& tool) const;
  const ServerOptions& options() const { return options_; }

 private:
  nlohmann::json HandleOne(const nlohmann::json& message, Session* session) const;
  Result<nlohmann::json> Dispatch(const std::string& method, const nlohmann::json& params,
                                  Session* session) const;
  // Session-free methods, shared by both eras.
  Result<nlohmann::json> DispatchCommon(const std::string& method,
                                        const nlohmann::json& params) const;
  Result<nlohmann::json> Initialize(const nlohmann::json& params, Session* session) const;
  nlohmann::json Discover() const;
  nlohmann::json ServerInfo() const;
  std::string Instructions() const;
  nlohmann::json ListTools() const;
  Result<nlohmann::json> CallTool(const nlohmann::json& params) const;
  Result<nlohmann::json> ListResources() const;
  nlohmann::json ResourceTemplates() const;
  Result<nlohmann::json> ReadResource(const nlohmann::json& params) const;
  nlohmann::json ListPrompts() const;
  Result<nlohmann::json> GetPrompt(const nlohmann::json& params) const;

  const ToolRegistry* tools_;
  std::shared_ptr<EngineApi> owned_engine_;  // set when built over an engine::Engine
  EngineApi* engine_;
  ServerOptions options_;
};

// Newline-delimited JSON-RPC on in_fd/out_fd until EOF on in_fd or one of
// stop_signals (which the caller has blocked; may be null). One session.
Status ServeStdio(const Server& server, int in_fd, int out_fd, const sigset_t* stop_signals);

struct HttpOptions {
  std::string listen = "127.0.0.1:0";  // host:port; port 0 = a free one
  // HTTPS when both are set (PEM files); the same flags as `flowctl serve`.
  std::string tls_cert_file;
  std::string tls_key_file;
  bool allow_remote = false;  // a non-loopback bind needs this...
  std::string bearer_token;   // ...and a token callers must send
  // Browser origins allowed besides loopback ones (e.g. "https://app.example").
  std::vector<std::string> allowed_origins;
  size_t max_sessions = 256;  // least recently used ones are dropped beyond
};

class HttpTransportImpl;

// Streamable HTTP on one endpoint, /mcp: POST answers application/json; GET
// is 405 (no server-initiated stream); DELETE ends a session. Stateless
// requests need no Mcp-Session-Id; their MCP-Protocol-Version, Mcp-Method and
// Mcp-Name headers must match the body (else 400, -32020). Start binds and
// serves on its own threads; Shutdown is idempotent.
class HttpTransport {
 public:
  ~HttpTransport();
  static Result<std::unique_ptr<HttpTransport>> Start(const Server* server,
                                                      const HttpOptions& options);
  std::string address() const;  // host:port actually bound
  void Shutdown();

 private:
  explicit HttpTransport(std::unique_ptr<HttpTransportImpl> impl);
  std::unique_ptr<HttpTransportImpl> impl_;
};

}  // namespace flowctl::ai::mcp

#endif  // FLOWCTL_AI_MCP_H_
