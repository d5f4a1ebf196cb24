// The command line (CLI11 lives in this one file to keep builds fast).
#include "app.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "ai_debug.h"
#include "ai_optimize.h"
#include "ai_predict.h"
#include "commands.h"
#include "flowctl/data/json.h"
#include "mcp.h"
#include "metrics_cmd.h"
#include "remote.h"
#include "subcommands.h"

namespace flowctl::cli {
namespace {

// JSON-lines log records on stderr for --log-format json.
class JsonStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line = "{\"level\":";
    auto level = spdlog::level::to_string_view(msg.level);
    AppendJsonString(std::string_view(level.data(), level.size()), &line);
    line += ",\"time_ms\":" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 msg.time.time_since_epoch())
                                                 .count());
    line += ",\"msg\":";
    AppendJsonString(std::string_view(msg.payload.data(), msg.payload.size()), &line);
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

void SetupLogging(const std::string& level, const std::string& format) {
  std::shared_ptr<spdlog::logger> logger;
  if (format == "json") {
    logger = std::make_shared<spdlog::logger>("flowctl", std::make_shared<JsonStderrSink>());
  } else {
    logger = std::make_shared<spdlog::logger>("flowctl",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{
      "flowctl: pipelines of sources, processors and sinks, run in-process.\n"
      "Exit codes: 0 success, 1 invalid pipeline, 2 usage error, 3 runtime failure.",
      "flowctl"};
  app.require_subcommand(1);
  // --log-level and --log-format work after the subcommand too.
  app.fallthrough();
  app.set_version_flag("--version", "flowctl 0.1.0");
  std::string log_level = "warn", log_format = "text";
  CommonOptions common;
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--log-format", log_format, "log records on stderr as text or json lines")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  std::string ai_provider;
  app.add_option("--ai-provider", ai_provider,
                 "model provider for every AI node: openai, anthropic, ollama or embedded "
                 "(default: by model name; also $FLOWCTL_AI_PROVIDER)")
      ->check(CLI::IsMember({"openai", "anthropic", "ollama", "embedded"}));

  // TLS to a daemon started with --tls-cert/--tls-key.
  auto add_tls = [](CLI::App* cmd, RemoteOptions* r) {
    cmd->add_option("--tls-ca", r->tls_ca,
                    "PEM certificate(s) to trust: talk TLS to the server (else $FLOWCTL_TLS_CA)");
    cmd->add_flag("--tls", r->tls,
                  "talk TLS to the server, trusting the system roots (also: an https:// address)");
  };
  auto add_output = [&](CLI::App* cmd, std::vector<std::string> allowed) {
    cmd->add_option("-o,--output", common.output, "output format")
        ->check(CLI::IsMember(allowed))
        ->capture_default_str();
  };
  auto add_set = [&](CLI::App* cmd) {
    cmd->add_option("--set", common.sets,
                    "KEY=VALUE: a ${KEY} variable, or NODE.FIELD=VALUE to override config");
    cmd->add_option("--param", common.params,
                    "NAME=VALUE: a PipelineTemplate parameter (repeatable)");
  };

  std::vector<std::string> validate_files;
  auto* validate = app.add_subcommand("validate", "Check pipeline files without running them");
  validate->add_option("files", validate_files, "pipeline YAML files")
      ->required()
      ->check(CLI::ExistingFile);
  add_output(validate, {"text", "json"});
  add_set(validate);
  validate->add_flag("-q,--quiet", common.quiet, "print only problems");

  std::string apply_file;
  ApplyOptions apply_opts;
  auto* apply = app.add_subcommand("apply", "Validate and run a pipeline in the foreground");
  apply->add_option("file", apply_file, "pipeline YAML file")->required()->check(CLI::ExistingFile);
  apply->add_flag("--dry-run", apply_opts.dry_run, "print the plan; run nothing");
  apply->add_option("--workers", apply_opts.workers, "worker threads (default: hardware threads)")
      ->check(CLI::Range(1, 1024));
  apply->add_option("--state-dir", apply_opts.state_dir,
                    "directory for checkpoints; a rerun resumes from them");
  apply->add_option("--batch-size", apply_opts.batch_size, "events per batch")
      ->check(CLI::Range(1, 1 << 20));
  apply
      ->add_option("--control-plane-port", apply_opts.control_plane_port,
                   "host the gRPC control plane on 127.0.0.1:PORT during the run (0 = free port)")
      ->check(CLI::Range(0, 65535));
  add_output(apply, {"text", "json"});
  add_set(apply);
  apply->add_flag("-q,--quiet", common.quiet, "no progress line and no summary");

  std::string comp_type;
  auto* components = app.add_subcommand("components", "List components or describe one");
  components->add_option("type", comp_type, "component type to describe");
  add_output(components, {"text", "json", "markdown"});

  std::string graph_file, graph_format = "dot";
  auto* graph = app.add_subcommand("graph", "Print a pipeline's DAG as Graphviz dot or Mermaid");
  graph->add_option("file", graph_file, "pipeline YAML file")->required()->check(CLI::ExistingFile);
  graph->add_option("--format", graph_format, "dot or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}))
      ->capture_default_str();
  add_set(graph);

  auto* ai =
      app.add_subcommand("ai", "AI agent interface: create pipelines from goals, agent tools");
  ai->require_subcommand(1);
  std::string tools_format = "json";
  auto* ai_tools = ai->add_subcommand("tools", "Print the agent tools with their JSON schemas");
  ai_tools->add_option("--format", tools_format, "openai, anthropic, mcp or json")
      ->check(CLI::IsMember({"openai", "anthropic", "mcp", "json"}))
      ->capture_default_str();

  AiCreateOptions create_opts;
  auto* ai_create = ai->add_subcommand(
      "create", "Turn a goal in plain language into a validated pipeline (YAML + explanation)");
  ai_create->footer(
      "Without a terminal (or with --output json) it prints and exits: YAML on stdout, the\n"
      "explanation on stderr. On a terminal it then offers: explain, suggest optimizations,\n"
      "estimate costs, start, set up monitoring. Exit codes: 0 ok, 1 the goal cannot be turned\n"
      "into a valid pipeline, 2 usage, 3 the model provider failed.");
  ai_create->add_option("goal", create_opts.goal, "what the pipeline should do")->required();
  ai_create->add_option("-f,--file", create_opts.file, "write the YAML to FILE");
  // -o is the output format here as in every other command. It once named
  // the file: a value that is no format is still taken as one, with a note.
  ai_create->add_option("-o,--output", create_opts.output, "text or json")->capture_default_str();
  ai_create
      ->add_option("--provider", create_opts.provider,
                   "who drafts: embedded (default: heuristics, no network), openai, "
                   "anthropic, ollama (keys: OPENAI_API_KEY / ANTHROPIC_API_KEY; base URLs: "
                   "OPENAI_BASE_URL / ANTHROPIC_BASE_URL / OLLAMA_HOST)")
      ->check(CLI::IsMember({"embedded", "openai", "anthropic", "ollama"}));
  ai_create->add_option("--model", create_opts.model, "model of the provider (e.g. gpt-4o-mini)");
  ai_create
      ->add_option("--max-repairs", create_opts.max_repairs,
                   "model path: rounds of feeding validation errors back")
      ->check(CLI::Range(0, 20))
      ->capture_default_str();
  ai_create->add_option("--name", create_opts.name, "pipeline name (default: from the goal)");
  ai_create->add_flag("--apply", create_opts.apply, "start the pipeline in the foreground");
  ai_create->add_flag("--dry-run", create_opts.dry_run, "print the run plan; start nothing");
  ai_create->add_flag("-y,--yes", create_opts.yes, "no questions: no menu, no confirmation");
  ai_create->add_option("--max-latency-ms", create_opts.max_latency_ms, "constraint")
      ->check(CLI::Range(1, 1 << 30));
  ai_create->add_option("--max-cost-per-hour", create_opts.max_cost_per_hour, "constraint, USD")
      ->check(CLI::Range(0.0, 1e9));
  ai_create
      ->add_option("--required-throughput", create_opts.required_throughput,
                   "constraint, events per second")
      ->check(CLI::Range(1, 1 << 30));
  ai_create->add_option("--state-dir", create_opts.state_dir, "with --apply: checkpoints");
  ai_create->add_option("--workers", create_opts.workers, "with --apply: worker threads")
      ->check(CLI::Range(1, 1024));

  std::string explain_id, explain_state;
  auto* explain = app.add_subcommand(
      "explain", "Explain an AI/ML decision: input, model, output, confidence, cost, evidence");
  explain->add_option("id", explain_id, "decision id, as in an event's _ai.decision")->required();
  explain->add_option("--state-dir", explain_state,
                      "state directory of the run (default ~/.flowctl)");
  add_output(explain, {"text", "json"});

  IndexOptions index_opts;
  std::vector<std::string> index_files;
  std::string index_text;
  auto* index =
      app.add_subcommand("index", "Load documents into the vector store rag-processor reads");
  index->require_subcommand(1);
  auto* index_add = index->add_subcommand("add", "Chunk, embed and store files in an index");
  index_add->add_option("files", index_files, "text/markdown files, or .jsonl with a text field")
      ->required()
      ->check(CLI::ExistingFile);
  auto* index_query = index->add_subcommand("query", "The chunks most similar to a text");
  index_query->add_option("text", index_text, "query text")->required();
  index_query->add_option("-k,--top-k", index_opts.top_k, "how many")->capture_default_str();
  add_output(index_query, {"text", "json"});
  for (auto* cmd : {index_add, index_query}) {
    cmd->add_option("--index", index_opts.index, "index name")->required();
    cmd->add_option("--dir", index_opts.dir,
                    "directory of indexes (default $FLOWCTL_VECTOR_DIR or ~/.flowctl/vectors)");
  }
  index_add
      ->add_option("--embedding-model", index_opts.embedding_model,
                   "embedded, an OpenAI model (text-embedding-3-small) or an Ollama one")
      ->capture_default_str();
  index_add->add_option("--chunk-words", index_opts.chunk_words, "words per chunk")
      ->check(CLI::Range(10, 10000))
      ->capture_default_str();
  McpOptions mcp_opts;
  auto* mcp = app.add_subcommand(
      "mcp", "Serve the agent tools, resources and prompts over MCP (stdio or HTTP)");
  mcp->footer(
      "It runs its own engine on --state-dir (do not share that directory with a running\n"
      "`flowctl serve`), or with --server acts on a running `flowctl serve` over gRPC.\n"
      "Logs go to stderr. A client config (Claude Desktop, Cursor):\n"
      "  {\"mcpServers\": {\"flowctl\": {\"command\": \"flowctl\", \"args\": [\"mcp\"]}}}\n"
      "Resources: flowctl://components[/{type}], flowctl://pipelines/{name}[/status].\n"
      "Prompts: create-pipeline (goal), debug-pipeline (pipeline). See docs/ai.md.");
  mcp->add_option("--http", mcp_opts.http,
                  "streamable HTTP on HOST:PORT (endpoint /mcp; port 0 = a free port, printed "
                  "on stderr) instead of stdio");
  mcp->add_flag("--read-only", mcp_opts.read_only,
                "serve only read-only tools: nothing can change a pipeline");
  mcp->add_option("--state-dir", mcp_opts.state_dir, "state directory (default ~/.flowctl)");
  mcp->add_option("--server", mcp_opts.server,
                  "act on a running `flowctl serve` at host:port or unix:PATH instead of an own "
                  "engine (no --state-dir, --workers)");
  mcp->add_option("--data-root", mcp_opts.data_roots,
                  "own engine: directory applied pipelines may read and write (repeatable; "
                  "default STATE_DIR/data)");
  mcp->add_option("--workers", mcp_opts.workers, "worker threads per pipeline")
      ->check(CLI::Range(1, 1024));
  mcp->add_flag("--allow-remote", mcp_opts.allow_remote,
                "with --http: allow a non-loopback address (needs --token-file)");
  mcp->add_option("--token-file", mcp_opts.token_file,
                  "with --server: the daemon's bearer token (else $FLOWCTL_TOKEN); with --http: "
                  "the token every request must send (both: the same one)");
  add_tls(mcp, &mcp_opts.remote_tls);
  mcp->add_option("--allow-origin", mcp_opts.allowed_origins,
                  "with --http: a browser Origin to accept besides loopback ones (repeatable)");
  mcp->add_option("--tls-cert", mcp_opts.tls_cert, "with --http: PEM certificate (with --tls-key)");
  mcp->add_option("--tls-key", mcp_opts.tls_key, "with --http: PEM private key (with --tls-cert)");

  auto* version = app.add_subcommand("version", "Print the version");
  add_output(version, {"text", "json"});

  // Daemon and the operator commands that talk to it.
  ServeOptions serve_opts;
  auto* serve = app.add_subcommand("serve", "Run the control plane (gRPC) and its pipelines");
  serve->add_option("--listen", serve_opts.listen, "host:port or unix:PATH")->capture_default_str();
  serve->add_option("--state-dir", serve_opts.state_dir, "state directory (default ~/.flowctl)");
  serve->add_option("--token-file", serve_opts.token_file,
                    "bearer token callers must send; required beyond loopback");
  serve->add_option("--auth-file", serve_opts.auth_file,
                    "principals: tokens, groups, agent or person (docs/governance.md)");
  serve->add_option("--tls-cert", serve_opts.tls_cert, "PEM certificate (with --tls-key)");
  serve->add_option("--tls-key", serve_opts.tls_key, "PEM private key (with --tls-cert)");
  serve->add_option("--data-root", serve_opts.data_roots,
                    "directory applied pipelines may read and write (repeatable; default "
                    "STATE_DIR/data; the first anchors relative paths)");
  serve->add_option("--workers", serve_opts.workers, "worker threads per pipeline")
      ->check(CLI::Range(1, 1024));
  serve
      ->add_option("--http-listen", serve_opts.http_listen,
                   "HTTP side port for /metrics, /healthz, /readyz (off = none)")
      ->capture_default_str();
  serve->add_option("--max-message-bytes", serve_opts.max_message_bytes, "largest gRPC message")
      ->check(CLI::Range(1024, 1 << 30))
      ->capture_default_str();

  RemoteOptions remote;
  // The history the ai debug/optimize/predict commands read, and where.
  auto add_history = [](CLI::App* cmd, std::string* since, std::string* state_dir) {
    cmd->add_option("--since", *since, "history read: 90s, 15m, 1h, 24h, 7d, 30d")
        ->capture_default_str();
    cmd->add_option("--state-dir", *state_dir,
                    "a foreground run's state dir (through its daemon, if one owns it)");
  };
  auto add_remote = [&](CLI::App* cmd) {
    cmd->add_option("--server", remote.server,
                    "control plane address (default $FLOWCTL_SERVER or 127.0.0.1:8080)");
    cmd->add_option("--token-file", remote.token_file, "file holding the bearer token");
    add_tls(cmd, &remote);
    cmd->add_option("-o,--output", remote.output, "table, json or yaml")
        ->check(CLI::IsMember({"table", "json", "yaml"}))
        ->capture_default_str();
  };
  auto* get = app.add_subcommand("get", "Show pipelines on a server");
  get->require_subcommand(1);
  auto* get_all = get->add_subcommand("pipelines", "List pipelines");
  add_remote(get_all);
  std::string name, reason;
  auto* get_one = get->add_subcommand("pipeline", "Show one pipeline's document and state");
  get_one->add_option("name", name, "pipeline name")->required();
  add_remote(get_one);
  auto* get_monitors = get->add_subcommand(
      "monitors", "List the daemon's AIMonitor documents with their recent alerts");
  add_remote(get_monitors);
  auto* status = app.add_subcommand("status", "Per-node metrics of a pipeline on a server");
  status->add_option("name", name, "pipeline name")->required();
  add_remote(status);
  auto* stop = app.add_subcommand("stop", "Drain and stop a pipeline on a server");
  stop->add_option("name", name, "pipeline name")->required();
  stop->add_option("--reason", reason, "recorded in the audit log");
  add_remote(stop);
  auto* del = app.add_subcommand("delete", "Stop and delete a pipeline and its versions");
  del->add_option("name", name, "pipeline name")->required();
  del->add_option("--reason", reason, "recorded in the audit log");
  add_remote(del);
  int to_version = 0;
  auto* rollback = app.add_subcommand("rollback", "Run an earlier version of a pipeline");
  rollback->add_option("name", name, "pipeline name")->required();
  rollback->add_option("--to-version", to_version, "version (default: the previous one)")
      ->check(CLI::Range(1, 1 << 30));
  rollback->add_option("--reason", reason, "recorded in the audit log");
  add_remote(rollback);
  auto* history = app.add_subcommand("history", "Versions and runs of a pipeline");
  history->add_option("name", name, "pipeline name")->required();
  add_remote(history);
  auto* approvals = app.add_subcommand(
      "approvals", "Actions held by a governance policy: list, show, approve, deny");
  approvals->require_subcommand(1);
  std::string approval_id;
  auto* ap_list = approvals->add_subcommand("list", "Every approval, newest first");
  add_remote(ap_list);
  auto* ap_show = approvals->add_subcommand("show", "One approval, whole");
  ap_show->add_option("id", approval_id, "approval id (apr-N)")->required();
  add_remote(ap_show);
  auto* ap_approve = approvals->add_subcommand(
      "approve", "Approve: the held call runs, as its requester asked it");
  ap_approve->add_option("id", approval_id, "approval id (apr-N)")->required();
  ap_approve->add_option("--reason", reason, "recorded with the decision");
  add_remote(ap_approve);
  auto* ap_deny = approvals->add_subcommand("deny", "Deny: the held call never runs");
  ap_deny->add_option("id", approval_id, "approval id (apr-N)")->required();
  ap_deny->add_option("--reason", reason, "recorded with the decision");
  add_remote(ap_deny);

  auto* audit = app.add_subcommand("audit", "The audit log of mutating calls");
  AuditFilter audit_filter;
  audit->add_option("--target", audit_filter.target, "only this pipeline (or policy, monitor)");
  audit->add_option("--caller", audit_filter.caller, "only this principal");
  audit->add_option("--action", audit_filter.action, "only this action (apply, approve, ...)");
  audit->add_option("--since", audit_filter.since, "only the last 90s, 15m, 1h, 24h, 7d, ...");
  audit->add_option("--limit", audit_filter.limit, "newest N entries")->capture_default_str();
  add_remote(audit);
  AiDebugOptions debug_opts;
  auto* ai_debug = ai->add_subcommand(
      "debug", "Find what is wrong with a pipeline, from its metric history, with fixes");
  ai_debug->footer(
      "Findings: failing nodes with their error groups and example events, malformed input,\n"
      "dead letters, the bottleneck, latency spikes, memory growth, idle sources; each with\n"
      "its time window and evidence. A fix that changes the pipeline is applied as a new\n"
      "version (--apply N or --apply KIND:NODE, the finding's id, which stays the same\n"
      "when another finding comes first; or the question on a terminal); `flowctl\n"
      "rollback` undoes it.\n"
      "Exit codes: 0 analysed (with or without findings), 1 no such pipeline or history,\n"
      "2 usage, 3 the daemon failed.");
  ai_debug->add_option("name", debug_opts.name, "pipeline name")->required();
  add_history(ai_debug, &debug_opts.since, &debug_opts.state_dir);
  ai_debug->add_option("-f,--file", debug_opts.file,
                       "with --state-dir: the document the run ran (for fixes)");
  ai_debug->add_option("--apply", debug_opts.apply,
                       "apply the fix of finding N, or of ID (kind:node, stable between runs)");
  ai_debug->add_option("--show-fix", debug_opts.show_fix,
                       "print the fixed document of finding N or ID");
  ai_debug->add_flag("-y,--yes", debug_opts.yes, "no question on a terminal");
  ai_debug->add_flag("--narrate", debug_opts.narrate,
                     "add an AI Analysis written by a model from the findings (needs its key)");
  ai_debug->add_option("--provider", debug_opts.provider,
                       "with --narrate: openai, anthropic, ollama");
  ai_debug->add_option("--model", debug_opts.model,
                       "with --narrate: the model (default: the provider's small one)");
  add_remote(ai_debug);

  AiOptimizeOptions opt_opts;
  auto* ai_optimize = ai->add_subcommand(
      "optimize", "Suggest changes to a pipeline with their predicted effect, from its history");
  ai_optimize->footer(
      "The model: each stage's measured service rate per worker x its concurrency, over the\n"
      "share of the input that reaches it, bounds the pipeline's throughput; the smallest\n"
      "is the bottleneck. Suggestions (more instances, a dead-letter sink, a cheaper model, a\n"
      "cache) come with before -> after and how they were computed. --apply N makes a new\n"
      "version that keeps its prediction; a later run of this command shows it beside what\n"
      "was measured since. `flowctl rollback` undoes it.\n"
      "Exit codes: 0 analysed, 1 no such pipeline or history, 2 usage, 3 the daemon failed.");
  ai_optimize->add_option("name", opt_opts.name, "pipeline name")->required();
  ai_optimize->add_option("--goal", opt_opts.goal, "latency, throughput, cost or reliability")
      ->check(CLI::IsMember({"latency", "throughput", "cost", "reliability"}));
  add_history(ai_optimize, &opt_opts.since, &opt_opts.state_dir);
  ai_optimize->add_flag("--simulate", opt_opts.simulate,
                        "predicted before/after only; nothing is applied");
  ai_optimize->add_option("-f,--file", opt_opts.file,
                          "with --state-dir: the document the run ran (for changes)");
  ai_optimize->add_option("--apply", opt_opts.apply, "apply suggestion N (daemon)")
      ->check(CLI::Range(1, 1000));
  ai_optimize->add_option("--show", opt_opts.show, "print the changed document of suggestion N")
      ->check(CLI::Range(1, 1000));
  ai_optimize->add_flag("-y,--yes", opt_opts.yes, "no question on a terminal");
  add_remote(ai_optimize);

  AiPredictOptions predict_opts;
  auto* ai_predict = ai->add_subcommand(
      "predict", "Failures a pipeline's trends reach soon, capacity forecasts, anomalies");
  ai_predict->footer(
      "Failures: least-squares trends of each node's input queue (to its capacity), its error\n"
      "share (to 10%) and the process memory (to 90% of the limit), reached within --horizon;\n"
      "score is the trend's r2. Forecasts: Holt linear smoothing of throughput, p99 and error\n"
      "share --forecast ahead, with a 95% interval. Anomalies: robust z-score of the last 5\n"
      "samples against the window. Exit codes: 0 analysed, 1 no such pipeline or history,\n"
      "2 usage, 3 the daemon failed.");
  ai_predict->add_option("name", predict_opts.name, "pipeline name")->required();
  ai_predict->add_option("--horizon", predict_opts.horizon, "failures reached within: 90s .. 30d")
      ->capture_default_str();
  ai_predict->add_option("--forecast", predict_opts.forecast,
                         "capacity forecasts this far ahead, e.g. 7d");
  ai_predict->add_option("--sensitivity", predict_opts.sensitivity, "anomalies: high, medium, low")
      ->check(CLI::IsMember({"high", "medium", "low"}))
      ->capture_default_str();
  add_history(ai_predict, &predict_opts.since, &predict_opts.state_dir);
  add_remote(ai_predict);

  std::string heal_name;
  bool heal_on = false, heal_off = false;
  auto* ai_heal = ai->add_subcommand(
      "heal", "Self-healing of a pipeline on the daemon: status, or turn it on or off");
  ai_heal->footer(
      "A pipeline whose document has `ai-policies` of type self-healing is healed by default;\n"
      "--on heals one without (with the seed's auto-recovery policy), --off stops it. Without\n"
      "either: the policies in effect, open episodes (the symptom, what was tried, a held\n"
      "approval) and what was learned. Each action goes through the governance gate and is\n"
      "audited (`flowctl audit --caller self-healing`). docs/ai.md \"Self-healing\".\n"
      "Exit codes: 0 done, 2 usage or no such pipeline, 3 no daemon, 5 refused.");
  ai_heal->add_option("name", heal_name, "pipeline name")->required();
  auto* heal_on_flag = ai_heal->add_flag("--on", heal_on, "turn self-healing on");
  ai_heal->add_flag("--off", heal_off, "turn self-healing off")->excludes(heal_on_flag);
  add_remote(ai_heal);

  MetricsOptions metrics_opts;
  auto* metrics = app.add_subcommand(
      "metrics", "A pipeline's metric history: per-node rates, latency, queues, busy time");
  metrics->footer(
      "Sampled once a second while a pipeline runs (on the daemon, or a foreground apply with\n"
      "--state-dir), kept at 1 s for an hour, 1 min for a week, 1 h for 90 days.\n"
      "Node '*' holds the pipeline's totals and the process memory.");
  metrics->add_option("name", metrics_opts.name, "pipeline name")->required();
  metrics->add_option("--node", metrics_opts.node, "only this node");
  metrics->add_option("--since", metrics_opts.since, "how far back: 90s, 15m, 1h, 24h, 7d, 30d")
      ->capture_default_str();
  metrics->add_option("--state-dir", metrics_opts.state_dir,
                      "read this state dir (through its daemon, if one owns it)");
  add_remote(metrics);
  int interval_ms = 1000, iterations = 0;
  auto* top = app.add_subcommand("top", "Live per-node rates, queues, p99 and errors");
  top->add_option("name", name, "pipeline name (default: all)");
  top->add_option("--interval-ms", interval_ms, "refresh interval")->capture_default_str();
  top->add_option("--iterations", iterations, "stop after N updates (0 = until Ctrl-C)");
  add_remote(top);
  bool wait = false;
  apply->add_option("--server", remote.server,
                    "submit to this control plane instead of running here (or $FLOWCTL_SERVER)");
  apply->add_option("--token-file", remote.token_file, "file holding the bearer token");
  add_tls(apply, &remote);
  apply->add_flag("--wait", wait, "with --server: follow the run until it ends");
  apply->add_option("--reason", remote.reason, "with --server: why, kept in the audit log");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A mistyped subcommand reads better as one than as "A subcommand is required".
    if (e.get_exit_code() != 0) {
      std::string unknown = UnknownSubcommand(app, argc, argv);
      if (!unknown.empty()) {
        std::cerr << "flowctl: " << unknown << "\n";
        return kExitUsage;
      }
    }
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  SetupLogging(log_level, log_format);
  // Components read the choice where they are built (validate and run).
  if (!ai_provider.empty()) setenv("FLOWCTL_AI_PROVIDER", ai_provider.c_str(), 1);

  if (validate->parsed()) return Validate(validate_files, common);
  if (apply->parsed()) {
    if (!remote.server.empty() || std::getenv("FLOWCTL_SERVER")) {
      if (!common.params.empty()) {
        std::cerr << "flowctl: --param is not sent to a server yet; apply the template here, "
                     "or write the values into a Pipeline's spec.template.parameters\n";
        return kExitUsage;
      }
      remote.output = common.output == "json" ? "json" : "table";
      return RemoteApply(apply_file, apply_opts.dry_run, wait, common, remote);
    }
    return Apply(apply_file, apply_opts, common);
  }
  if (serve->parsed()) return Serve(serve_opts);
  if (get_all->parsed()) return GetPipelines(remote);
  if (get_one->parsed()) return GetPipeline(name, remote);
  if (get_monitors->parsed()) return GetMonitors(remote);
  if (status->parsed()) return StatusCmd(name, remote);
  if (stop->parsed()) return StopCmd(name, reason, remote);
  if (del->parsed()) return DeleteCmd(name, reason, remote);
  if (rollback->parsed()) return RollbackCmd(name, to_version, reason, remote);
  if (history->parsed()) return HistoryCmd(name, remote);
  if (audit->parsed()) return AuditCmd(audit_filter, remote);
  for (auto* sub : {ap_list, ap_show, ap_approve, ap_deny})
    if (sub->parsed()) return ApprovalsCmd(sub->get_name(), approval_id, reason, remote);
  if (metrics->parsed()) return MetricsCmd(metrics_opts, remote);
  if (ai_debug->parsed()) return AiDebug(debug_opts, remote);
  if (ai_optimize->parsed()) return AiOptimize(opt_opts, remote);
  if (ai_predict->parsed()) return AiPredict(predict_opts, remote);
  if (ai_heal->parsed()) return HealCmd(heal_name, heal_on ? "on" : heal_off ? "off" : "", remote);
  if (top->parsed()) {
    remote.output_given = top->get_option("--output")->count() > 0;
    return TopCmd(name, interval_ms, iterations, remote);
  }
  if (components->parsed()) return Components(comp_type, common);
  if (graph->parsed()) return GraphCmd(graph_file, graph_format, common);
  if (version->parsed()) return Version(common);
  if (explain->parsed()) return Explain(explain_id, explain_state, common);
  if (index_add->parsed()) return IndexAdd(index_files, index_opts);
  if (index_query->parsed()) return IndexQuery(index_text, index_opts, common);
  if (ai_tools->parsed()) return AiTools(tools_format);
  if (ai_create->parsed()) {
    if (create_opts.output != "text" && create_opts.output != "json") {
      if (!create_opts.file.empty()) {
        std::cerr << "flowctl ai create: --output must be text or json, not '" << create_opts.output
                  << "'\n";
        return kExitUsage;
      }
      std::cerr << "flowctl ai create: note: -o is the output format (text|json); taking '"
                << create_opts.output << "' as the file, as -f " << create_opts.output
                << " would\n";
      create_opts.file = create_opts.output;
      create_opts.output = "text";
    }
    return AiCreate(create_opts);
  }
  if (mcp->parsed()) return Mcp(mcp_opts);
  return kExitUsage;
}

}  // namespace flowctl::cli
