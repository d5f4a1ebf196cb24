// The streamable HTTP transport (MCP 2025-11-25 "Streamable HTTP"), on
// cpp-httplib. Kept in its own translation unit: httplib.h is heavy and its
// defines must not leak into other files.
//
// Why the checks: a browser page can reach a loopback server (DNS
// rebinding), so Origin and Host are validated; sessions are unguessable
// ids so one client cannot drive another's session.
#include <errno.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "flowctl/ai/mcp.h"
#include "flowctl/base/net.h"
#include "flowctl/base/strings.h"
#include "rpc.h"

namespace flowctl::ai::mcp {

using nlohmann::json;

namespace {

constexpr const char kEndpoint[] = "/mcp";

// "host:port", "[v6]:port", "host" -> host without brackets.
std::string HostPart(const std::string& authority) {
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    return close == std::string::npos ? authority : authority.substr(1, close - 1);
  }
  return authority.substr(0, authority.find(':'));
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0 ||
         (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0);
}

std::string NewSessionId() {
  std::random_device rd;  // getrandom(2) on Linux
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 8; ++i) {
    uint32_t v = rd();
    for (int j = 0; j < 4; ++j, v >>= 8) {
      id += kHex[(v >> 4) & 0xf];
      id += kHex[v & 0xf];
    }
  }
  return id;
}

// A header value in the "=?base64?...?=" form of 2026-07-28 decoded; other
// values as they are. False when the base64 is malformed.
bool DecodeHeaderValue(const std::string& value, std::string* out) {
  static const std::string kPrefix = "=?base64?", kSuffix = "?=";
  if (value.size() < kPrefix.size() + kSuffix.size() || value.rfind(kPrefix, 0) != 0 ||
      value.compare(value.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    *out = value;
    return true;
  }
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = kPrefix.size(); i < value.size() - kSuffix.size(); ++i) {
    char c = value[i];
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
            : c == '='             ? -2
                                   : -1;
    if (v == -1) return false;
    if (v == -2) break;  // padding ends the data
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

// The HTTP status of a stateless request's answer (2026-07-28 streamable
// HTTP: 400 for version and header errors, 404 for an unknown method).
int StatelessHttpStatus(const json& reply) {
  if (!reply.is_object() || !reply.contains("error")) return 200;
  int code = reply["error"].value("code", 0);
  if (code == kMethodNotFound) return 404;
  if (code == kUnsupportedProtocolVersion || code == kHeaderMismatch || code == kParseError ||
      code == kInvalidRequest)
    return 400;
  return 200;
}

void Reply(httplib::Response& res, int http_status, const json& body) {
  res.status = http_status;
  if (!body.is_null())
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void Reject(httplib::Response& res, int http_status, int code, const std::string& message) {
  Reply(res, http_status, RpcError(nullptr, code, message));
}

}  // namespace

class HttpTransportImpl {
 public:
  HttpTransportImpl(const Server* server, HttpOptions options)
      : server_(server), options_(std::move(options)) {}
  ~HttpTransportImpl() { Shutdown(); }

  Status Start() {
    size_t colon = options_.listen.rfind(':');
    if (colon == std::string::npos)
      return Status::Invalid("--http expects HOST:PORT, got '" + options_.listen + "'");
    host_ = HostPart(options_.listen.substr(0, colon));
    loopback_ = IsLoopbackHost(host_);
    if (!loopback_ && !options_.allow_remote)
      return Status::Invalid("--http " + options_.listen +
                             " is beyond loopback: any host could drive the tools; add "
                             "--allow-remote (and --token-file) if that is what you want");
    if (!loopback_ && options_.bearer_token.empty())
      return Status::Invalid("--http beyond loopback needs --token-file with a bearer token");
    int port = std::atoi(options_.listen.c_str() + colon + 1);
    if (Status st = MakeServer(); !st.ok()) return st;
    httplib::Server& http = *http_ptr_;
    http.set_payload_max_length(kMaxMessageBytes);
    http.Post(kEndpoint, [this](const httplib::Request& q, httplib::Response& s) { Post(q, s); });
    http.Delete(kEndpoint,
                [this](const httplib::Request& q, httplib::Response& s) { Delete(q, s); });
    // No server-initiated stream: every answer comes back on its POST.
    http.Get(kEndpoint, [this](const httplib::Request& q, httplib::Response& s) {
      if (!Admit(q, s)) return;
      s.set_header("Allow", "POST, DELETE");
      Reject(s, 405, kInvalidRequest, "GET is not offered: POST JSON-RPC messages to /mcp");
    });
    http.set_socket_options(ExclusiveListenOptions);  // one owner per port
    port_ = port == 0 ? http.bind_to_any_port(host_) : (http.bind_to_port(host_, port) ? port : -1);
    if (port_ <= 0)
      return Status::Unavailable("cannot listen on " + options_.listen + " (in use or not valid)");
    thread_ = std::thread([this] { http_ptr_->listen_after_bind(); });
    for (int i = 0; i < 400 && !http.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Status::OK();
  }

  void Shutdown() {
    std::lock_guard<std::mutex> lk(shutdown_mu_);
    if (stopped_) return;
    stopped_ = true;
    if (http_ptr_) http_ptr_->stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string address() const {
    std::string h = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
    return h + ":" + std::to_string(port_);
  }

 private:
  // Plain HTTP, or HTTPS with --tls-cert/--tls-key (both or neither).
  Status MakeServer() {
    const std::string& cert = options_.tls_cert_file;
    const std::string& key = options_.tls_key_file;
    if (cert.empty() != key.empty())
      return Status::Invalid(
          "--tls-cert and --tls-key go together: give both PEM files or neither");
    if (cert.empty()) {
      http_ptr_ = std::make_unique<httplib::Server>();
      return Status::OK();
    }
    for (const std::string& f : {cert, key})
      if (::access(f.c_str(), R_OK) != 0)
        return Status::Invalid("cannot read TLS file " + f + ": " + std::strerror(errno));
    auto ssl = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
    if (!ssl->is_valid())
      return Status::Invalid("cannot use " + cert + " and " + key +
                             " as a TLS certificate and its key (PEM files that match)");
    http_ptr_ = std::move(ssl);
    return Status::OK();
  }

  struct Slot {
    std::mutex mu;  // serializes one session's messages
    Session session;
    std::chrono::steady_clock::time_point last_used;
  };

  // Origin, Host and token checks shared by every method.
  bool Admit(const httplib::Request& req, httplib::Response& res) {
    if (req.has_header("Origin")) {
      std::string origin = req.get_header_value("Origin");
      size_t scheme = origin.find("://");
      bool ok = scheme != std::string::npos && IsLoopbackHost(HostPart(origin.substr(scheme + 3)));
      for (const auto& allowed : options_.allowed_origins) ok = ok || origin == allowed;
      if (!ok) {
        Reject(res, 403, kInvalidRequest, "Forbidden: origin " + origin + " is not allowed");
        return false;
      }
    }
    // A rebound DNS name reaches a loopback server with a foreign Host.
    if (loopback_ && req.has_header("Host") &&
        !IsLoopbackHost(HostPart(req.get_header_value("Host")))) {
      Reject(res, 403, kInvalidRequest, "Forbidden: host " + req.get_header_value("Host"));
      return false;
    }
    if (!options_.bearer_token.empty() && !ConstantTimeEquals(req.get_header_value("Authorization"),
                                                              "Bearer " + options_.bearer_token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      Reject(res, 401, kInvalidRequest, "Unauthorized: send Authorization: Bearer <token>");
      return false;
    }
    return true;
  }

  std::shared_ptr<Slot> FindSession(const httplib::Request& req, httplib::Response& res) {
    if (!req.has_header("Mcp-Session-Id")) {
      Reject(res, 400, kInvalidRequest, "Bad Request: Mcp-Session-Id header required");
      return nullptr;
    }
    std::lock_guard<std::mutex> lk(mu_);
    auto it = sessions_.find(req.get_header_value("Mcp-Session-Id"));
    if (it == sessions_.end()) {
      // 404 tells the client to start a new session with initialize.
      Reject(res, 404, kInvalidRequest, "Session not found: initialize again");
      return nullptr;
    }
    it->second->last_used = std::chrono::steady_clock::now();
    return it->second;
  }

  void AddSession(const std::string& id, std::shared_ptr<Slot> slot) {
    std::lock_guard<std::mutex> lk(mu_);
    while (sessions_.size() >= options_.max_sessions && !sessions_.empty()) {
      auto oldest = sessions_.begin();
      for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
        if (it->second->last_used < oldest->second->last_used) oldest = it;
      sessions_.erase(oldest);
    }
    slot->last_used = std::chrono::steady_clock::now();
    sessions_[id] = std::move(slot);
  }

  void Post(const httplib::Request& req, httplib::Response& res) {
    if (!Admit(req, res)) return;
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      Reject(res, 415, kInvalidRequest, "Unsupported Media Type: send application/json");
      return;
    }
    std::string accept = req.get_header_value("Accept");
    if (!accept.empty() && accept.find("application/json") == std::string::npos &&
        accept.find("*/*") == std::string::npos) {
      Reject(res, 406, kInvalidRequest, "Not Acceptable: this server answers application/json");
      return;
    }
    // Bounded: a body nested 100k levels deep would crash the copy below.
    Result<json> parsed = ParseJsonBounded(req.body, MessageLimits());
    if (!parsed.ok()) {
      Reject(res, 400, kParseError, "Parse error: " + parsed.status().message());
      return;
    }
    json message = std::move(parsed).value();
    if (IsStatelessRequest(message)) {
      PostStateless(req, message, res);
      return;
    }
    if (message.is_object() && message.value("method", json()) == "initialize") {
      auto slot = std::make_shared<Slot>();
      json reply = server_->Handle(message, &slot->session);
      if (reply.contains("result")) {
        std::string id = NewSessionId();
        AddSession(id, std::move(slot));
        res.set_header("Mcp-Session-Id", id);
      }
      Reply(res, 200, reply);
      return;
    }
    std::shared_ptr<Slot> slot = FindSession(req, res);
    if (!slot) return;
    std::lock_guard<std::mutex> lk(slot->mu);
    // Absent means 2025-03-26 (the header came later); present must match.
    if (req.has_header("MCP-Protocol-Version") &&
        req.get_header_value("MCP-Protocol-Version") != slot->session.protocol_version) {
      Reject(res, 400, kInvalidRequest,
             "Bad Request: MCP-Protocol-Version " + req.get_header_value("MCP-Protocol-Version") +
                 " is not this session's version " + slot->session.protocol_version);
      return;
    }
    json reply = server_->Handle(message, &slot->session);
    if (reply.is_null()) {
      res.status = 202;  // notifications and responses: accepted, no body
      return;
    }
    Reply(res, 200, reply);
  }

  // 2026-07-28: no session. The headers an intermediary may route on must
  // say what the body says, or the request is refused.
  void PostStateless(const httplib::Request& req, const json& message, httplib::Response& res) {
    json id = message.contains("id") ? message["id"] : json();
    const json& params = message["params"];
    const json& version = params["_meta"][kMetaProtocolVersion];
    auto mismatch = [&](const std::string& why) {
      Reply(res, 400, RpcError(id, kHeaderMismatch, "Header mismatch: " + why));
    };
    auto header = [&](const char* name, const std::string& body_value) {
      if (!req.has_header(name)) {
        mismatch(std::string(name) + " header is required (it must be '" + body_value + "')");
        return false;
      }
      std::string value;
      if (!DecodeHeaderValue(req.get_header_value(name), &value)) {
        mismatch(std::string(name) + " header is not valid =?base64?...?=");
        return false;
      }
      if (value != body_value) {
        mismatch(std::string(name) + " header value '" + value + "' does not match body value '" +
                 body_value + "'");
        return false;
      }
      return true;
    };
    if (!header("MCP-Protocol-Version",
                version.is_string() ? version.get<std::string>() : version.dump()))
      return;
    const json& method = message["method"];
    if (!header("Mcp-Method", method.is_string() ? method.get<std::string>() : method.dump()))
      return;
    const char* name_field = method == "resources/read"                          ? "uri"
                             : method == "tools/call" || method == "prompts/get" ? "name"
                                                                                 : nullptr;
    if (name_field && params.contains(name_field) && params[name_field].is_string() &&
        !header("Mcp-Name", params[name_field].get<std::string>()))
      return;
    Session none;  // stateless requests neither read nor change it
    json reply = server_->Handle(message, &none);
    if (reply.is_null()) {
      res.status = 202;
      return;
    }
    Reply(res, StatelessHttpStatus(reply), reply);
  }

  void Delete(const httplib::Request& req, httplib::Response& res) {
    if (!Admit(req, res)) return;
    if (!FindSession(req, res)) return;
    std::lock_guard<std::mutex> lk(mu_);
    sessions_.erase(req.get_header_value("Mcp-Session-Id"));
    res.status = 204;
  }

  const Server* server_;
  HttpOptions options_;
  std::unique_ptr<httplib::Server> http_ptr_;
  std::thread thread_;
  std::string host_;
  bool loopback_ = true;
  int port_ = 0;
  std::mutex shutdown_mu_;
  bool stopped_ = false;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Slot>> sessions_;  // guarded by mu_
};

HttpTransport::HttpTransport(std::unique_ptr<HttpTransportImpl> impl) : impl_(std::move(impl)) {}
HttpTransport::~HttpTransport() = default;

Result<std::unique_ptr<HttpTransport>> HttpTransport::Start(const Server* server,
                                                            const HttpOptions& options) {
  auto impl = std::make_unique<HttpTransportImpl>(server, options);
  Status st = impl->Start();
  if (!st.ok()) return st;
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
}

std::string HttpTransport::address() const { return impl_->address(); }
void HttpTransport::Shutdown() { impl_->Shutdown(); }

}  // namespace flowctl::ai::mcp
