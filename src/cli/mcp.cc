#include "mcp.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "client.h"
#include "commands.h"
#include "data_roots.h"
#include "flowctl/ai/mcp.h"
#include "flowctl/base/version.h"
#include "flowctl/engine/engine.h"
#include "flowctl/store/state_lock.h"
#include "remote.h"
#include "remote_engine.h"

namespace flowctl::cli {

namespace {

// Gives the protocol private copies of stdin/stdout and points fds 0 and 1
// at /dev/null and stderr, so a pipeline's stdin source or stdout sink can
// never read or corrupt the JSON-RPC stream.
bool DetachStdio(int* in_fd, int* out_fd) {
  *in_fd = ::dup(0);
  *out_fd = ::dup(1);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (*in_fd < 0 || *out_fd < 0 || null_fd < 0) return false;
  bool ok = ::dup2(null_fd, 0) == 0 && ::dup2(2, 1) == 1;
  ::close(null_fd);
  return ok;
}

bool ReadToken(const std::string& path, std::string* token) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *token = ss.str();
  while (!token->empty() && std::isspace(static_cast<unsigned char>(token->back())))
    token->pop_back();
  return !token->empty();
}

// Serves until EOF on stdio or a signal (HTTP).
Status ServeMcp(const ai::mcp::Server& server, const McpOptions& o,
                const ai::mcp::HttpOptions& http_opts, int in_fd, int out_fd, const sigset_t* sigs,
                const std::string& where) {
  const char* ro = o.read_only ? ", read-only" : "";
  if (o.http.empty()) {
    std::cerr << "flowctl mcp: serving on stdio (" << where << ro << ")" << std::endl;
    return ai::mcp::ServeStdio(server, in_fd, out_fd, sigs);
  }
  auto http = ai::mcp::HttpTransport::Start(&server, http_opts);
  if (!http.ok()) return http.status();
  const char* scheme = http_opts.tls_cert_file.empty() ? "http" : "https";
  std::cerr << "flowctl mcp listening on " << scheme << "://" << http.value()->address() << "/mcp ("
            << where << ro << ")" << std::endl;
  int sig = 0;
  sigwait(sigs, &sig);
  http.value()->Shutdown();
  return Status::OK();
}

int ExitFor(const Status& st) {
  if (st.ok()) return kExitOk;
  std::cerr << "flowctl mcp: " << st.message() << "\n";
  return st.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitRuntime;
}

// The tools act on a running `flowctl serve`. A daemon that is not (yet)
// there does not stop the MCP server: each call says so (isError), and the
// next call after `flowctl serve` starts works.
int McpOverServer(const McpOptions& o, const ai::mcp::HttpOptions& http_opts, int in_fd, int out_fd,
                  const sigset_t* sigs) {
  RemoteOptions ro;
  ro.server = o.server;
  ro.token_file = o.token_file;
  ro.tls_ca = o.remote_tls.tls_ca;
  ro.tls = o.remote_tls.tls;
  std::unique_ptr<ai::EngineApi> api = RemoteEngineApi(ro);
  ai::ToolRegistry tools;
  ai::RegisterBuiltinTools(tools, api.get());
  ai::mcp::ServerOptions so;
  so.read_only = o.read_only;
  so.version = kVersion;
  ai::mcp::Server server(&tools, api.get(), so);
  {
    Client probe(ro);
    if (Status st = probe.Ready(2); !st.ok())
      std::cerr << "flowctl mcp: " << st.message() << " (serving anyway: tool calls fail until "
                << "it is there)" << std::endl;
  }
  return ExitFor(ServeMcp(server, o, http_opts, in_fd, out_fd, sigs, "server " + o.server));
}

}  // namespace

int Mcp(const McpOptions& o) {
  if (!o.server.empty() && (!o.state_dir.empty() || o.workers != 0 || !o.data_roots.empty())) {
    std::cerr << "flowctl mcp: --state-dir, --workers and --data-root belong to the daemon with "
                 "--server; "
                 "drop them (or drop --server to run an engine here)\n";
    return kExitUsage;
  }
  if (o.http.empty() && (!o.tls_cert.empty() || !o.tls_key.empty())) {
    std::cerr << "flowctl mcp: --tls-cert and --tls-key secure --http; stdio needs neither\n";
    return kExitUsage;
  }
  ai::mcp::HttpOptions http_opts;
  if (!o.http.empty()) {
    http_opts.listen = o.http;
    http_opts.allow_remote = o.allow_remote;
    http_opts.allowed_origins = o.allowed_origins;
    http_opts.tls_cert_file = o.tls_cert;
    http_opts.tls_key_file = o.tls_key;
    if (!o.token_file.empty() && !ReadToken(o.token_file, &http_opts.bearer_token)) {
      std::cerr << "flowctl: cannot read a token from " << o.token_file << "\n";
      return kExitUsage;
    }
  }
  // A client that goes away mid-answer is an error value, not a signal.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t sigs = BlockTerminationSignals();
  int in_fd = 0, out_fd = 1;
  if (o.http.empty() && !DetachStdio(&in_fd, &out_fd)) {
    std::cerr << "flowctl: cannot set up stdio\n";
    return kExitRuntime;
  }

  if (!o.server.empty()) return McpOverServer(o, http_opts, in_fd, out_fd, &sigs);

  engine::EngineOptions eo;
  eo.state_dir = o.state_dir.empty() ? DefaultStateDir() : o.state_dir;
  eo.workers = o.workers;
  eo.owner = "mcp";
  // A daemon that owns the state dir runs its pipelines: act through it
  // rather than opening a second engine that would run them again.
  if (auto owner = store::ReadOwner(eo.state_dir); owner.ok()) {
    if (owner->address.empty()) {
      std::cerr << "flowctl mcp: state dir " << eo.state_dir << " is in use by flowctl "
                << owner->command << " (pid " << owner->pid
                << ") which has no control plane; use another --state-dir\n";
      return kExitRuntime;
    }
    std::cerr << "flowctl mcp: state dir " << eo.state_dir << " is owned by flowctl "
              << owner->command << " (pid " << owner->pid << "); acting through it at "
              << owner->address << std::endl;
    McpOptions through = o;
    through.server = owner->address;
    return McpOverServer(through, http_opts, in_fd, out_fd, &sigs);
  }
  // Agents get the file sandbox: STATE_DIR/data unless --data-root says
  // otherwise (never the current directory: an agent started in a home
  // directory would reach ~/.ssh).
  auto sandbox = DataRootSandbox(o.data_roots, eo.state_dir);
  if (!sandbox.ok()) {
    std::cerr << "flowctl: --data-root: " << sandbox.status().message() << "\n";
    return kExitUsage;
  }
  eo.sandbox = sandbox.value();
  auto eng = engine::Engine::Open(eo);
  if (!eng.ok()) {
    std::cerr << "flowctl: cannot open state in " << eo.state_dir << ": " << eng.status().message()
              << "\n";
    return kExitRuntime;
  }
  ai::ToolRegistry tools;
  ai::RegisterBuiltinTools(tools, eng.value().get());
  ai::mcp::ServerOptions so;
  so.read_only = o.read_only;
  so.version = kVersion;
  ai::mcp::Server server(&tools, eng.value().get(), so);

  Status st = ServeMcp(server, o, http_opts, in_fd, out_fd, &sigs, "state dir " + eo.state_dir);
  // Pipelines keep their desired state: the next start brings them back.
  eng.value()->Shutdown();
  return ExitFor(st);
}

}  // namespace flowctl::cli
