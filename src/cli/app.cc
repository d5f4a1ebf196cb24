// The command line (CLI11 lives in this one file to keep builds fast).
#include "app.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <mutex>

#include "commands.h"
#include "flowctl/data/json.h"

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
    logger = std::make_shared<spdlog::logger>(
        "flowctl", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"flowctl: pipelines of sources, processors and sinks, run in-process.\n"
               "Exit codes: 0 success, 1 invalid pipeline, 2 usage error, 3 runtime failure.",
               "flowctl"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "flowctl 0.1.0");
  std::string log_level = "warn", log_format = "text";
  CommonOptions common;
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--log-format", log_format, "log records on stderr as text or json lines")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  auto add_output = [&](CLI::App* cmd, std::vector<std::string> allowed) {
    cmd->add_option("-o,--output", common.output, "output format")
        ->check(CLI::IsMember(allowed))
        ->capture_default_str();
  };
  auto add_set = [&](CLI::App* cmd) {
    cmd->add_option("--set", common.sets,
                    "KEY=VALUE: a ${KEY} variable, or NODE.FIELD=VALUE to override config");
  };

  std::vector<std::string> validate_files;
  auto* validate = app.add_subcommand("validate", "Check pipeline files without running them");
  validate->add_option("files", validate_files, "pipeline YAML files")->required()->check(CLI::ExistingFile);
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

  auto* version = app.add_subcommand("version", "Print the version");
  add_output(version, {"text", "json"});

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  SetupLogging(log_level, log_format);

  if (validate->parsed()) return Validate(validate_files, common);
  if (apply->parsed()) return Apply(apply_file, apply_opts, common);
  if (components->parsed()) return Components(comp_type, common);
  if (graph->parsed()) return GraphCmd(graph_file, graph_format, common);
  if (version->parsed()) return Version(common);
  return kExitUsage;
}

}  // namespace flowctl::cli
