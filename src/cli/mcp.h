// `flowctl mcp`: the MCP server on stdio or streamable HTTP, over its own
// engine (the MCP protocol itself is in src/ai/mcp).
#ifndef FLOWCTL_CLI_MCP_H_
#define FLOWCTL_CLI_MCP_H_

#include <string>
#include <vector>

#include "remote.h"

namespace flowctl::cli {

struct McpOptions {
  std::string http;        // "" = stdio; else HOST:PORT
  bool read_only = false;  // leave the write tools out
  std::string state_dir;   // "" = ~/.flowctl
  std::string server;      // a running daemon (not built yet)
  bool allow_remote = false;
  std::string token_file;
  std::string tls_cert;  // HTTPS for --http (with tls_key), as `flowctl serve`
  std::string tls_key;
  std::vector<std::string> allowed_origins;
  int workers = 0;
  // Own engine only: where applied pipelines may read and write; empty =
  // STATE_DIR/data.
  std::vector<std::string> data_roots;
  RemoteOptions remote_tls;  // with --server: tls_ca / tls only
};

int Mcp(const McpOptions& o);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_MCP_H_
