#include "report.h"

#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "flowctl/base/strings.h"

namespace flowctl::cli {

using nlohmann::json;

namespace {

std::string Human(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

}  // namespace

void PrintPlan(const Graph& g, int workers, bool as_json) {
  if (as_json) {
    json nodes = json::array();
    for (const auto& n : g.nodes()) {
      json j = {{"id", n.id()},
                {"type", n.spec->type},
                {"kind", NodeKindName(n.kind())},
                {"inputs", n.spec->inputs},
                {"config", n.config},
                {"on_error", n.spec->has_on_error ? ErrorPolicyName(n.spec->on_error.kind) : "drop"}};
      if (n.dead_letter_target >= 0) j["dead_letter_to"] = g.nodes()[n.dead_letter_target].id();
      if (n.ports.size() > 1 || !n.ports[0].empty()) j["outputs"] = n.ports;
      if (!n.spec->filter.empty()) j["filter"] = n.spec->filter;
      nodes.push_back(j);
    }
    std::cout << json{{"pipeline", g.spec().metadata.name},
                      {"dry_run", true},
                      {"workers", workers},
                      {"nodes", nodes}}
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << "Plan for pipeline '" << g.spec().metadata.name << "' (dry run, nothing runs):\n"
            << g.ToPlanText();
  std::cout << "Would run " << g.nodes().size() << " nodes; apply without --dry-run to start.\n";
}

void PrintProgress(const RunSnapshot& s) {
  uint64_t in = 0, out = 0, errors = 0, dlq = 0;
  for (const auto& n : s.nodes) {
    if (n.kind == "source") in += n.out;
    if (n.kind == "sink") out += n.out;
    errors += n.errors;
    dlq += n.dead_lettered;
  }
  double rate = s.elapsed_s > 0 ? static_cast<double>(in) / s.elapsed_s : 0;
  std::fprintf(stderr, "\r\033[K%s %.1fs  read %s (%s ev/s)  written %s  errors %s  dlq %s",
               s.pipeline.c_str(), s.elapsed_s, Human(in).c_str(),
               Human(static_cast<uint64_t>(rate)).c_str(), Human(out).c_str(),
               Human(errors).c_str(), Human(dlq).c_str());
  std::fflush(stderr);
}

json SnapshotJson(const RunSnapshot& s) {
  json nodes = json::array();
  for (const auto& n : s.nodes) {
    nodes.push_back({{"id", n.id},
                     {"type", n.type},
                     {"kind", n.kind},
                     {"concurrency", n.concurrency},
                     {"in", n.in},
                     {"out", n.out},
                     {"dropped", n.dropped},
                     {"errors", n.errors},
                     {"dead_lettered", n.dead_lettered},
                     {"retries", n.retries},
                     {"batch_latency_us", {{"p50", n.p50_us}, {"p90", n.p90_us}, {"p99", n.p99_us}}},
                     {"queue_depth", n.queue_depth},
                     {"queue_capacity", n.queue_capacity},
                     {"busy_ms", n.busy_ms}});
    if (!n.counters.empty()) {
      json c = json::object();
      for (const auto& [k, v] : n.counters) c[k] = v;
      nodes.back()["counters"] = c;
    }
  }
  json j = {{"pipeline", s.pipeline}, {"state", s.state}, {"elapsed_s", s.elapsed_s},
            {"nodes", nodes}};
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

void PrintSummary(const RunSnapshot& s) {
  std::fprintf(stderr, "pipeline %s: %s in %.2f s\n", s.pipeline.c_str(), s.state.c_str(),
               s.elapsed_s);
  std::fprintf(stderr, "  %-20s %-14s %12s %12s %10s %8s %8s %12s\n", "NODE", "TYPE", "IN", "OUT",
               "DROPPED", "ERRORS", "DLQ", "P99/BATCH");
  for (const auto& n : s.nodes) {
    std::fprintf(stderr, "  %-20s %-14s %12s %12s %10s %8s %8s %10.0fus\n", n.id.c_str(),
                 n.type.c_str(), Human(n.in).c_str(), Human(n.out).c_str(),
                 Human(n.dropped).c_str(), Human(n.errors).c_str(),
                 Human(n.dead_lettered).c_str(), n.p99_us);
  }
  // What the AI nodes did and cost.
  for (const auto& n : s.nodes) {
    if (n.counters.empty()) continue;
    std::string line;
    for (const auto& [k, v] : n.counters) {
      if (v == 0) continue;
      if (k == "ai_cost_micro_usd") {
        char buf[64];
        std::snprintf(buf, sizeof(buf), " cost=$%.6f", static_cast<double>(v) / 1e6);
        line += buf;
      } else {
        line += " " + k + "=" + std::to_string(v);
      }
    }
    if (!line.empty()) std::fprintf(stderr, "  %-20s%s\n", n.id.c_str(), line.c_str());
  }
}

json DescriptorJson(const ComponentDescriptor& d) {
  json j = {{"type", d.type},
            {"kind", NodeKindName(d.kind)},
            {"summary", d.summary},
            {"description", d.description},
            {"keywords", d.keywords},
            {"config_schema", d.config_schema},
            {"example", d.example},
            {"parallel_safe", d.parallel_safe}};
  if (d.output_ports) j["named_outputs"] = true;
  return j;
}

void PrintComponents(const std::vector<const ComponentDescriptor*>& list, bool detailed) {
  if (!detailed) {
    for (const auto* d : list)
      std::printf("%-10s %-16s %s\n", NodeKindName(d->kind), d->type.c_str(), d->summary.c_str());
    return;
  }
  for (const auto* dp : list) {
  const auto& d = *dp;
  std::cout << d.type << " (" << NodeKindName(d.kind) << ")\n\n" << d.description << "\n\nConfig:\n";
  if (d.config_schema.contains("properties")) {
    for (auto it = d.config_schema["properties"].begin();
         it != d.config_schema["properties"].end(); ++it) {
      std::cout << "  " << it.key();
      if (it->contains("type")) std::cout << " (" << (*it)["type"].get<std::string>() << ")";
      if (it->contains("default")) std::cout << " default " << (*it)["default"].dump();
      if (it->contains("description"))
        std::cout << ": " << (*it)["description"].get<std::string>();
      std::cout << "\n";
    }
  }
  std::cout << "\nExample:\n" << d.example << "\n";
  }
}

std::string ReferenceMarkdown(const std::vector<const ComponentDescriptor*>& list) {
  std::ostringstream md;
  md << "# Pipeline reference\n\n"
     << "Generated by `flowctl components --output markdown` from the component registry; "
        "do not edit by hand.\n\n"
     << "## Document\n\n"
     << "```yaml\napiVersion: flowctl/v1      # also v1 and *.obsrvr.com/v1\n"
        "kind: Pipeline\nmetadata:\n  name: my-pipeline     # required\n"
        "  labels: {team: data}\nspec:\n  batch_size: 512         # events per batch (optional)\n"
        "  channel_capacity: 4     # batches queued per node (optional)\n"
        "  sources: []             # nodes without inputs\n"
        "  processors: []          # nodes with inputs\n"
        "  sinks: []               # nodes with inputs (dead-letter sinks need none)\n```\n\n"
     << "Keys may be written snake_case or kebab-case. `${VAR}` and `${VAR:-default}` are "
        "substituted from `--set VAR=value` and the environment.\n\n"
     << "## Templates\n\n"
     << "```yaml\napiVersion: templates.obsrvr.com/v1\nkind: PipelineTemplate\n"
        "metadata:\n  name: fraud-detection-pattern\nspec:\n  parameters:\n"
        "    - name: sensitivity\n      description: \"Fraud detection sensitivity (0-1)\"\n"
        "      type: float             # string, int|integer, float|number, bool|boolean\n"
        "      default: 0.8            # without one, a value must be given\n"
        "      minimum: 0              # optional, int and float; also maximum, enum: [...]\n"
        "      maximum: 1\n      ai-tunable: true\n"
        "  template:                  # a pipeline spec: sources, processors, sinks\n"
        "    sources: [{id: tx, type: generator}]\n"
        "    processors:\n"
        "      - {id: risky, type: filter, inputs: [tx], config: {condition: "
        "\"amount > 5000 * (1 - ${sensitivity})\"}}\n"
        "    sinks: [{id: out, type: stdout, inputs: [risky]}]\n---\n"
        "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata:\n  name: strict-fraud\n"
        "spec:\n  template:\n    name: fraud-detection-pattern\n"
        "    path: fraud.yaml          # optional: another file, relative to this one\n"
        "    parameters: {sensitivity: 0.95}\n```\n\n"
     << "Inside a template, `${NAME}` of a parameter is its value: a scalar that is only the "
        "reference takes the parameter's type, inside longer text it is text; `$${NAME}` "
        "escapes. Values: the default, then the Pipeline's `parameters`, then "
        "`--param NAME=VALUE` on `validate`, `apply` and `graph`. A template that no Pipeline "
        "of its file references runs on its own (`flowctl apply template.yaml --param "
        "sensitivity=0.9`).\n\n"
     << "## Node fields\n\n"
     << "| field | meaning |\n|---|---|\n"
     << "| `id` | unique name; letters, digits, `-`, `_` |\n"
     << "| `type` | a component type below |\n"
     << "| `inputs` | ids this node reads from; `ROUTER.NAME` picks a named output |\n"
     << "| `config` | the component's settings (schema below) |\n"
     << "| `filter` | sinks only: an expression; events where it is false are skipped |\n"
     << "| `concurrency` | parallel instances (default: workers for stateless processors, 1 for sinks) |\n"
     << "| `on_error` | `drop` (default), `fail`, `{retry: {max: 3, backoff: 100ms}, then: drop}`, "
        "`{dead_letter: {to: SINK_ID}}` |\n\n"
     << "## Components\n\n";
  for (const auto* d : list) {
    md << "### `" << d->type << "` (" << NodeKindName(d->kind) << ")\n\n"
       << d->description << "\n\n";
    if (d->config_schema.contains("properties") && !d->config_schema["properties"].empty()) {
      std::vector<std::string> required;
      if (d->config_schema.contains("required"))
        for (const auto& r : d->config_schema["required"]) required.push_back(r.get<std::string>());
      md << "| field | type | default | description |\n|---|---|---|---|\n";
      for (auto it = d->config_schema["properties"].begin();
           it != d->config_schema["properties"].end(); ++it) {
        std::string type = it->contains("type") ? (*it)["type"].get<std::string>() : "any";
        if (it->contains("enum")) {
          std::vector<std::string> e;
          for (const auto& v : (*it)["enum"]) e.push_back(v.get<std::string>());
          type += ": " + Join(e, " \\| ");
        }
        if (it->value("x-expression", false) || it->value("x-expression-map", false))
          type += " (expression)";
        bool req = std::find(required.begin(), required.end(), it.key()) != required.end();
        md << "| `" << it.key() << "`" << (req ? " (required)" : "") << " | " << type << " | "
           << (it->contains("default") ? "`" + (*it)["default"].dump() + "`" : "") << " | "
           << it->value("description", "") << " |\n";
      }
      md << "\n";
    }
    md << "```yaml\n" << d->example << "```\n\n";
  }
  return md.str();
}

}  // namespace flowctl::cli
