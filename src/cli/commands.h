// The CLI's commands, free of CLI11 so that tests can call them directly.
// Each returns the process exit code (see ExitCode).
#ifndef FLOWCTL_CLI_COMMANDS_H_
#define FLOWCTL_CLI_COMMANDS_H_

#include <signal.h>

#include <string>
#include <utility>
#include <vector>

namespace flowctl::cli {

enum ExitCode {
  kExitOk = 0,
  kExitInvalid = 1,  // the pipeline (or input file) is invalid
  kExitUsage = 2,    // bad command line
  kExitRuntime = 3,  // the run failed
  kExitPending = 4,  // held by the daemon's governance gate for an approval
  kExitDenied = 5,   // the caller may not do this (governance)
};

struct CommonOptions {
  std::vector<std::string> sets;    // --set k=v
  std::vector<std::string> params;  // --param NAME=VALUE (template parameters)
  std::string output = "text";      // text | json (| markdown | yaml where offered)
  bool quiet = false;
};

int Validate(const std::vector<std::string>& files, const CommonOptions& o);

struct ApplyOptions {
  bool dry_run = false;
  int workers = 0;
  std::string state_dir;
  int batch_size = 0;
  // >= 0: host the gRPC control plane on 127.0.0.1:PORT (0 = a free port)
  // for the length of the run, so agents can watch it.
  int control_plane_port = -1;
};
int Apply(const std::string& file, const ApplyOptions& a, const CommonOptions& o);

int Components(const std::string& type, const CommonOptions& o);
int GraphCmd(const std::string& file, const std::string& format, const CommonOptions& o);
int Version(const CommonOptions& o);
// The agent tools in a function-calling format: openai, anthropic, mcp, json.
int AiTools(const std::string& format);

// flowctl ai create: goal -> validated pipeline (the planner).
struct AiCreateOptions {
  std::string goal;
  std::string file;             // -o FILE ("" = YAML on stdout)
  std::string output = "text";  // text | json
  std::string provider;         // "" / embedded | openai | anthropic | ollama
  std::string model;
  std::string name;
  int max_repairs = 3;
  bool apply = false;
  bool dry_run = false;
  bool yes = false;
  int max_latency_ms = 0;
  double max_cost_per_hour = -1;
  int required_throughput = 0;
  std::string state_dir;  // for --apply
  int workers = 0;
};
int AiCreate(const AiCreateOptions& o);

// Prints a decision record found under state_dir (default ~/.flowctl).
int Explain(const std::string& id, const std::string& state_dir, const CommonOptions& o);
std::string DefaultStateDir();

// The embedded vector store behind rag-processor.
struct IndexOptions {
  std::string index;
  std::string dir;  // "" = $FLOWCTL_VECTOR_DIR or ~/.flowctl/vectors
  std::string embedding_model = "embedded";
  int chunk_words = 120;
  int top_k = 5;
};
// Adds files (text: chunked by paragraphs; .jsonl: one {"text", "id"?} a line).
int IndexAdd(const std::vector<std::string>& files, const IndexOptions& o);
int IndexQuery(const std::string& text, const IndexOptions& o, const CommonOptions& common);

// Blocks SIGINT and SIGTERM in the calling thread (and every thread it
// starts later) and returns that set, for sigwait/sigtimedwait: signals are
// then taken synchronously by one thread, never by a worker.
sigset_t BlockTerminationSignals();

// Parses "k=v" pairs; false (with a message on stderr) when one has no '='.
bool ParseSets(const std::vector<std::string>& sets,
               std::vector<std::pair<std::string, std::string>>* out);
// The same for the values of another flag (named in the message).
bool ParsePairs(const std::vector<std::string>& pairs, const std::string& flag,
                std::vector<std::pair<std::string, std::string>>* out);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_COMMANDS_H_
