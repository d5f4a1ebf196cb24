// The embedded gRPC control plane: PipelineService, ComponentService and the
// seed's AIAgentService over one engine, with health checking and server
// reflection. Loopback by default; any other address needs a bearer token.
//
// Contract: Start returns a running server (or why it could not start).
// Shutdown is idempotent and thread-safe; the engine must outlive the server.
#ifndef FLOWCTL_CONTROL_SERVER_H_
#define FLOWCTL_CONTROL_SERVER_H_

#include <memory>
#include <string>

#include "flowctl/base/status.h"
#include "flowctl/engine/engine.h"

namespace flowctl::control {

struct ServerOptions {
  // host:port (port 0 = a free port) or unix:PATH.
  std::string listen = "127.0.0.1:8080";
  // Bearer token; required when listen is not loopback or a unix socket.
  std::string token;
  std::string tls_cert_file;  // both or neither
  std::string tls_key_file;
  int max_message_bytes = 4 * 1024 * 1024;
  // Where AIMonitor documents are kept ("" = this server runs none).
  std::string monitors_dir;
  // Where the autoscaler keeps its settings ("" = this server runs none).
  std::string controllers_file;
  // Where self-healing keeps its settings and learnings ("" = none here).
  std::string healing_file;
  // --auth-file: tokens -> principals with groups (null: the one token
  // above, and every caller is "local").
  std::shared_ptr<const governance::Identities> identities;
  // The engine's governance gate, for AIGovernancePolicy documents and
  // approvals (null: this server has none).
  std::shared_ptr<governance::Gate> gate;
};

// True for 127.0.0.0/8, ::1, localhost and unix: addresses.
bool IsLoopback(const std::string& listen);

class ServerImpl;

class ControlServer {
 public:
  ~ControlServer();
  static Result<std::unique_ptr<ControlServer>> Start(engine::Engine* engine,
                                                      const ServerOptions& options);
  // The address clients dial (with the bound port when 0 was asked for).
  std::string address() const;
  int port() const;
  void Shutdown();

 private:
  explicit ControlServer(std::unique_ptr<ServerImpl> impl);
  std::unique_ptr<ServerImpl> impl_;
};

}  // namespace flowctl::control

#endif  // FLOWCTL_CONTROL_SERVER_H_
