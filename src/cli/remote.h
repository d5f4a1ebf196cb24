// Commands that talk to a flowctl control plane over gRPC (flowctl serve, or
// a foreground apply's embedded server), and `flowctl serve` itself.
#ifndef FLOWCTL_CLI_REMOTE_H_
#define FLOWCTL_CLI_REMOTE_H_

#include <string>
#include <vector>

#include "commands.h"

namespace flowctl::cli {

struct RemoteOptions {
  std::string server;            // host:port or unix:PATH; "" = $FLOWCTL_SERVER or 127.0.0.1:8080
  std::string token_file;        // "" = $FLOWCTL_TOKEN (the token itself) or none
  std::string output = "table";  // table | json | yaml
  bool output_given = false;     // -o was on the command line (not the default)
  // TLS to the daemon: tls_ca names the PEM roots to trust (else
  // $FLOWCTL_TLS_CA); tls, or an https:// server address, uses the system
  // roots when no CA file is given. Neither: plaintext.
  std::string tls_ca;
  bool tls = false;
  std::string reason;  // apply --server: why, kept in the audit log
};

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string state_dir;  // "" = ~/.flowctl
  std::string token_file;
  std::string auth_file;  // tokens -> principals and groups (governance/identity.h)
  std::string tls_cert, tls_key;
  int workers = 0;
  int max_message_bytes = 4 * 1024 * 1024;
  std::string http_listen = "127.0.0.1:8081";  // "off" = no HTTP side port
  // Where applied pipelines may read and write; empty = STATE_DIR/data.
  std::vector<std::string> data_roots;
};

int Serve(const ServeOptions& o);
// A foreground apply that runs through an engine and hosts the control plane.
int ApplyWithControlPlane(const std::string& file, const ApplyOptions& a, const CommonOptions& c);

int RemoteApply(const std::string& file, bool dry_run, bool wait, const CommonOptions& c,
                const RemoteOptions& r);
int GetPipelines(const RemoteOptions& r);
// The daemon's AIMonitor documents and their recent alerts.
int GetMonitors(const RemoteOptions& r);
int GetPipeline(const std::string& name, const RemoteOptions& r);
int StatusCmd(const std::string& name, const RemoteOptions& r);
int StopCmd(const std::string& name, const std::string& reason, const RemoteOptions& r);
int DeleteCmd(const std::string& name, const std::string& reason, const RemoteOptions& r);
int RollbackCmd(const std::string& name, int to_version, const std::string& reason,
                const RemoteOptions& r);
int HistoryCmd(const std::string& name, const RemoteOptions& r);
struct AuditFilter {
  std::string target, caller, action, since;  // "" = any
  int limit = 100;
};
int AuditCmd(const AuditFilter& f, const RemoteOptions& r);
// verb: list, show, approve, deny (id needed but for list).
// `flowctl ai heal NAME [--on|--off]`: EnableAutoHealing ("" turn: status).
int HealCmd(const std::string& name, const std::string& turn, const RemoteOptions& r);
int ApprovalsCmd(const std::string& verb, const std::string& id, const std::string& reason,
                 const RemoteOptions& r);
int TopCmd(const std::string& name, int interval_ms, int iterations, const RemoteOptions& r);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_REMOTE_H_
