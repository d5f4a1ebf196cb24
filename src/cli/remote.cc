#include "remote.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "client.h"
#include "data_roots.h"
#include "flowctl/ai/optimize.h"
#include "flowctl/base/clock.h"
#include "flowctl/base/strings.h"
#include "flowctl/control/http.h"
#include "flowctl/control/server.h"
#include "flowctl/engine/engine.h"
#include "flowctl/v1/flowctl.grpc.pb.h"
#include "google/rpc/status.pb.h"
#include "report.h"

namespace flowctl::cli {

using nlohmann::json;

namespace {

std::string ReadFileOr(const std::string& path, bool* ok) {
  std::ifstream in(path);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Prints a failed call: its message, then each detail line. Exit code by kind.
int Fail(const grpc::Status& st, const std::string& addr) {
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::cerr << "flowctl: " << NoServerMessage(addr) << " (" << st.error_message() << ")\n";
    return kExitRuntime;
  }
  v1::ErrorDetails details;
  if (DecodeErrorDetails(st, &details) && details.errors_size() > 0) {
    for (const auto& e : details.errors()) {
      std::cerr << e.file();
      if (e.line()) std::cerr << ":" << e.line() << ":" << e.column();
      std::cerr << ": " << e.severity() << ": ";
      if (!e.node_id().empty()) std::cerr << "node '" << e.node_id() << "': ";
      std::cerr << e.message();
      if (!e.hint().empty()) std::cerr << " (" << e.hint() << ")";
      std::cerr << "\n";
    }
  } else {
    std::cerr << "flowctl: " << st.error_message() << "\n";
  }
  switch (st.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return kExitInvalid;
    case grpc::StatusCode::NOT_FOUND:
      return kExitUsage;
    case grpc::StatusCode::ABORTED:
      return kExitPending;
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitDenied;
    default:
      return kExitRuntime;
  }
}

bool Is64Bit(const google::protobuf::FieldDescriptor* f) {
  using FD = google::protobuf::FieldDescriptor;
  return f->cpp_type() == FD::CPPTYPE_INT64 || f->cpp_type() == FD::CPPTYPE_UINT64;
}

json Number(const json& v) {
  if (!v.is_string()) return v;
  const std::string& s = v.get_ref<const std::string&>();
  if (!s.empty() && s[0] == '-') return json(std::stoll(s));
  return json(std::stoull(s));
}

// Proto3's JSON mapping writes 64-bit integers as strings; our -o json (and
// top's JSON lines) say counts as numbers, the same type as in every other
// flowctl output. The message's descriptor says which fields those are.
void NumbersAsNumbers(const google::protobuf::Message& m, json* j) {
  if (!j->is_object()) return;
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    auto it = j->find(f->name());
    if (it == j->end()) continue;
    if (f->is_map()) {
      const auto* value = f->message_type()->map_value();
      if (Is64Bit(value) && it->is_object())
        for (auto& [k, v] : it->items()) v = Number(v);
    } else if (f->is_repeated()) {
      if (!it->is_array()) continue;
      if (Is64Bit(f)) {
        for (auto& v : *it) v = Number(v);
      } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        for (int k = 0; k < r->FieldSize(m, f) && k < static_cast<int>(it->size()); ++k)
          NumbersAsNumbers(r->GetRepeatedMessage(m, f, k), &(*it)[static_cast<size_t>(k)]);
      }
    } else if (Is64Bit(f)) {
      *it = Number(*it);
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
               r->HasField(m, f)) {
      NumbersAsNumbers(r->GetMessage(m, f), &*it);
    }
  }
}

json ToJson(const google::protobuf::Message& m) {
  std::string text;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &text, o);
  json j = json::parse(text, nullptr, false);
  NumbersAsNumbers(m, &j);
  return j;
}

void EmitYaml(const json& j, int indent, std::ostream& out, bool in_list = false);

void EmitScalar(const json& j, std::ostream& out) {
  if (j.is_string())
    out << json(j.get<std::string>()).dump();  // quoted, escaped
  else
    out << j.dump();
}

void EmitYaml(const json& j, int indent, std::ostream& out, bool in_list) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (j.is_object()) {
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!(first && in_list)) out << pad;
      first = false;
      out << it.key() << ":";
      if ((it->is_object() && !it->empty()) || (it->is_array() && !it->empty())) {
        out << "\n";
        EmitYaml(*it, indent + 2, out);
      } else {
        out << " ";
        if (it->is_object())
          out << "{}";
        else if (it->is_array())
          out << "[]";
        else
          EmitScalar(*it, out);
        out << "\n";
      }
    }
  } else if (j.is_array()) {
    for (const auto& item : j) {
      out << pad << "- ";
      if (item.is_object() && !item.empty())
        EmitYaml(item, indent + 2, out, true);
      else {
        EmitScalar(item, out);
        out << "\n";
      }
    }
  } else {
    out << pad;
    EmitScalar(j, out);
    out << "\n";
  }
}

// json and yaml print the message; table is the caller's job.
bool PrintStructured(const google::protobuf::Message& m, const RemoteOptions& r) {
  if (r.output == "json") {
    std::cout << ToJson(m).dump(2) << "\n";
    return true;
  }
  if (r.output == "yaml") {
    EmitYaml(ToJson(m), 0, std::cout);
    return true;
  }
  return false;
}

std::string Ago(int64_t ms) {
  if (ms == 0) return "-";
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void PrintNodes(const v1::PipelineStatus& s) {
  std::printf("%-20s %-14s %12s %12s %9s %8s %7s %6s %10s\n", "NODE", "TYPE", "IN", "OUT",
              "DROPPED", "ERRORS", "DLQ", "QUEUE", "P99/BATCH");
  for (const auto& n : s.nodes())
    std::printf("%-20s %-14s %12lu %12lu %9lu %8lu %7lu %3lu/%-2lu %8.0fus\n", n.id().c_str(),
                n.type().c_str(), n.in(), n.out(), n.dropped(), n.errors(), n.dead_lettered(),
                n.queue_depth(), n.queue_capacity(), n.p99_us());
  for (const auto& n : s.nodes()) {
    if (n.counters().empty()) continue;
    // Sorted, so the line reads the same every time.
    std::map<std::string, int64_t> sorted(n.counters().begin(), n.counters().end());
    std::string line;
    for (const auto& [k, v] : sorted)
      if (v != 0)
        line += " " + k + "=" +
                (k == "ai_cost_micro_usd" ? "$" + std::to_string(static_cast<double>(v) / 1e6)
                                          : std::to_string(v));
    if (!line.empty()) std::printf("  %s:%s\n", n.id().c_str(), line.c_str());
  }
}

// One unary command: connect, call with a deadline, report a failure; print
// the response as json/yaml, or hand it to table() for the table form.
template <typename Req, typename Resp, typename TableFn>
int UnaryCommand(const RemoteOptions& r, int timeout_s,
                 grpc::Status (v1::PipelineService::Stub::*method)(grpc::ClientContext*, const Req&,
                                                                   Resp*),
                 const Req& req, TableFn table) {
  Client client(r);
  if (!client.Connect()) return kExitRuntime;
  Resp resp;
  grpc::ClientContext ctx;
  client.Prepare(&ctx, timeout_s);
  grpc::Status st = (client.stub().*method)(&ctx, req, &resp);
  if (!st.ok()) return Fail(st, client.address());
  if (!PrintStructured(resp, r)) table(resp);
  return kExitOk;
}

}  // namespace

int Serve(const ServeOptions& o) {
  std::string state_dir = o.state_dir.empty() ? DefaultStateDir() : o.state_dir;
  control::ServerOptions so;
  if (!o.auth_file.empty()) {
    auto ids = governance::Identities::Load(o.auth_file);
    if (!ids.ok()) {
      std::cerr << "flowctl: --auth-file: " << ids.status().message() << "\n";
      return kExitUsage;
    }
    so.identities = std::make_shared<const governance::Identities>(std::move(ids).value());
  }
  so.listen = o.listen;
  so.tls_cert_file = o.tls_cert;
  so.tls_key_file = o.tls_key;
  so.max_message_bytes = o.max_message_bytes;
  so.monitors_dir = state_dir + "/monitors";
  so.controllers_file = state_dir + "/controllers.json";
  so.healing_file = state_dir + "/healing.json";
  if (!o.token_file.empty()) {
    bool ok = false;
    so.token = Trim(ReadFileOr(o.token_file, &ok));
    if (!ok || so.token.empty()) {
      std::cerr << "flowctl: cannot read a token from " << o.token_file << "\n";
      return kExitUsage;
    }
  }
  if (!control::IsLoopback(so.listen) && so.token.empty()) {
    std::cerr << "flowctl: listening on " << so.listen
              << " (beyond loopback) needs --token-file with a bearer token\n";
    return kExitUsage;
  }
  sigset_t sigs = BlockTerminationSignals();

  engine::EngineOptions eo;
  eo.state_dir = state_dir;
  eo.workers = o.workers;
  eo.owner = "serve";
  auto sandbox = DataRootSandbox(o.data_roots, state_dir);
  if (!sandbox.ok()) {
    std::cerr << "flowctl: --data-root: " << sandbox.status().message() << "\n";
    return kExitUsage;
  }
  eo.sandbox = sandbox.value();
  auto gate = governance::Gate::Open(state_dir + "/governance", so.identities);
  if (!gate.ok()) {
    std::cerr << "flowctl: " << gate.status().message() << "\n";
    return kExitRuntime;
  }
  so.gate = std::shared_ptr<governance::Gate>(std::move(gate).value());
  eo.gate = so.gate;
  // estimated-cost conditions: the model cost at the planner's assumptions.
  eo.estimate_cost_per_h = [](const PipelineSpec& spec) {
    return ai::EstimateModel(spec, ai::PlanAssumptions{}).cost_per_h;
  };
  auto eng = engine::Engine::Open(eo);
  if (!eng.ok()) {
    if (eng.status().code() == StatusCode::kAlreadyExists)
      std::cerr << "flowctl: " << eng.status().message() << "\n";
    else
      std::cerr << "flowctl: cannot open state in " << state_dir << ": " << eng.status().message()
                << "\n";
    return kExitRuntime;
  }
  auto server = control::ControlServer::Start(eng.value().get(), so);
  if (!server.ok()) {
    std::cerr << "flowctl: " << server.status().message() << "\n";
    eng.value()->Shutdown();
    return kExitRuntime;
  }
  eng.value()->SetControlAddress(server.value()->address());
  std::unique_ptr<control::MetricsHttpServer> http;
  if (o.http_listen != "off" && !o.http_listen.empty()) {
    if (!control::IsLoopback(o.http_listen) && so.token.empty()) {
      std::cerr << "flowctl: --http-listen " << o.http_listen
                << " is beyond loopback: metrics would be public; use a loopback address\n";
      return kExitUsage;
    }
    auto h = control::MetricsHttpServer::Start(eng.value().get(), o.http_listen);
    if (!h.ok()) {
      std::cerr << "flowctl: " << h.status().message() << " (use --http-listen HOST:PORT or off)\n";
      return kExitRuntime;
    }
    http = std::move(h).value();
  }
  std::cerr << "flowctl control plane listening on " << server.value()->address() << " (state dir "
            << state_dir << ", data roots " << eo.sandbox->RootsText() << ")" << std::endl;
  if (http) std::cerr << "flowctl metrics on http://" << http->address() << "/metrics" << std::endl;
  int sig = 0;
  sigwait(&sigs, &sig);
  std::cerr << "flowctl: signal " << sig << ": stopping the server, draining pipelines"
            << std::endl;
  if (http) http->Shutdown();
  server.value()->Shutdown();
  eng.value()->Shutdown();
  return kExitOk;
}

int ApplyWithControlPlane(const std::string& file, const ApplyOptions& a, const CommonOptions& c) {
  bool ok = false;
  std::string yaml = ReadFileOr(file, &ok);
  if (!ok) {
    std::cerr << "flowctl: cannot read " << file << "\n";
    return kExitUsage;
  }
  engine::ApplyRequest req;
  req.yaml = yaml;
  req.filename = file;
  req.use_env = true;
  req.caller = "cli";
  // A person's own document keeps full access to the files.
  req.sandbox = false;
  std::vector<std::pair<std::string, std::string>> sets;
  if (!ParseSets(c.sets, &sets)) return kExitUsage;
  for (auto& [k, v] : sets) {
    if (k.find('.') == std::string::npos)
      req.vars[k] = v;
    else
      req.sets.emplace_back(k, v);
  }
  if (!ParsePairs(c.params, "--param", &req.params)) return kExitUsage;
  sigset_t sigs = BlockTerminationSignals();

  engine::EngineOptions eo;
  eo.state_dir = a.state_dir;
  eo.workers = a.workers;
  eo.recover = false;
  eo.owner = "apply";
  // Other documents arrive over the control plane (loopback clients): a
  // sandbox without roots, so they may name no file at all.
  auto no_files = Sandbox::Create({});
  if (no_files.ok()) eo.sandbox = std::make_shared<Sandbox>(std::move(no_files).value());
  auto eng = engine::Engine::Open(eo);
  if (!eng.ok()) {
    std::cerr << "flowctl: " << eng.status().message() << "\n";
    return kExitRuntime;
  }
  control::ServerOptions so;
  so.listen = "127.0.0.1:" + std::to_string(a.control_plane_port);
  auto server = control::ControlServer::Start(eng.value().get(), so);
  if (!server.ok()) {
    std::cerr << "flowctl: " << server.status().message() << "\n";
    return kExitRuntime;
  }
  eng.value()->SetControlAddress(server.value()->address());
  std::cerr << "flowctl control plane listening on " << server.value()->address() << " for this run"
            << std::endl;
  std::vector<Diagnostic> diags;
  auto applied = eng.value()->Apply(req, &diags);
  for (const auto& d : diags) std::cerr << d.ToString() << "\n";
  if (!applied.ok()) {
    server.value()->Shutdown();
    bool invalid = applied.status().code() == StatusCode::kInvalidArgument;
    if (!invalid) std::cerr << "flowctl: " << applied.status().message() << "\n";
    return invalid ? kExitInvalid : kExitRuntime;
  }
  const std::string name = applied->name;
  std::thread stopper;
  int signals = 0;
  engine::PipelineInfo info;
  while (true) {
    auto got = eng.value()->Get(name);
    if (got.ok()) info = got.value();
    if (!got.ok() || info.state != "running") break;
    struct timespec ts {
      0, 50 * 1000 * 1000
    };
    int sig = sigtimedwait(&sigs, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM) {
      if (++signals == 1) {
        std::cerr << "flowctl: signal " << sig << ": draining (again to exit at once)" << std::endl;
        stopper = std::thread([&] { (void)eng.value()->Stop(name, "cli", "signal"); });
      } else {
        std::cerr << "flowctl: second signal: exiting without draining" << std::endl;
        std::_Exit(kExitRuntime);
      }
    }
  }
  if (stopper.joinable()) stopper.join();
  server.value()->Shutdown();
  auto final_info = eng.value()->Get(name);
  if (final_info.ok()) info = final_info.value();
  eng.value()->Shutdown();
  const RunSnapshot& snap = info.snapshot;
  if (c.output == "json")
    std::cout << SnapshotJson(snap).dump(2) << "\n";
  else if (!c.quiet)
    PrintSummary(snap);
  if (snap.state == "failed") {
    std::cerr << "flowctl: pipeline '" << name << "' failed: " << snap.error << "\n";
    return kExitRuntime;
  }
  return kExitOk;
}

int RemoteApply(const std::string& file, bool dry_run, bool wait, const CommonOptions& c,
                const RemoteOptions& r) {
  bool ok = false;
  std::string yaml = ReadFileOr(file, &ok);
  if (!ok) {
    std::cerr << "flowctl: cannot read " << file << "\n";
    return kExitUsage;
  }
  Client client(r);
  if (!client.Connect()) return kExitRuntime;
  v1::ApplyRequest req;
  req.set_yaml(yaml);
  req.set_filename(file);
  req.set_dry_run(dry_run);
  req.set_reason(r.reason);
  for (const auto& s : c.sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos) {
      std::cerr << "flowctl: --set expects KEY=VALUE, got '" << s << "'\n";
      return kExitUsage;
    }
    std::string key = s.substr(0, eq);
    if (key.find('.') == std::string::npos)
      (*req.mutable_vars())[key] = s.substr(eq + 1);
    else
      req.add_sets(s);
  }
  // The daemon does not see the caller's environment: send the ${VAR}s
  // the file uses from it.
  for (size_t pos = yaml.find("${"); pos != std::string::npos; pos = yaml.find("${", pos + 2)) {
    size_t end = yaml.find_first_of(":}", pos + 2);
    if (end == std::string::npos) break;
    std::string name = yaml.substr(pos + 2, end - pos - 2);
    if (const char* v = std::getenv(name.c_str()))
      if (!req.vars().count(name)) (*req.mutable_vars())[name] = v;
  }
  v1::ApplyResponse resp;
  grpc::ClientContext ctx;
  client.Prepare(&ctx, 120);
  grpc::Status st = client.stub().Apply(&ctx, req, &resp);
  if (!st.ok()) return Fail(st, client.address());
  if (PrintStructured(resp, r)) {
  } else if (dry_run) {
    std::cout << "Plan for pipeline '" << resp.name() << "' (would be version " << resp.version()
              << "):\n"
              << resp.plan();
    std::cout << (resp.diff().empty() ? "No change.\n" : resp.diff());
  } else {
    std::cout << "pipeline '" << resp.name() << "' version " << resp.version()
              << (resp.unchanged() ? " unchanged" : " applied") << " (" << resp.state() << ")\n";
  }
  if (!wait || dry_run) return kExitOk;
  // Follow the run until it ends.
  v1::WatchRequest wreq;
  wreq.set_name(resp.name());
  wreq.set_interval_ms(500);
  grpc::ClientContext wctx;
  client.Prepare(&wctx, 24 * 3600);
  auto reader = client.stub().Watch(&wctx, wreq);
  v1::PipelineStatus status;
  std::string last_state;
  while (reader->Read(&status)) last_state = status.state();
  st = reader->Finish();
  if (!st.ok()) return Fail(st, client.address());
  std::cerr << "pipeline '" << resp.name() << "' " << last_state << "\n";
  if (r.output == "table") PrintNodes(status);
  return last_state == "failed" ? kExitRuntime : kExitOk;
}

int GetPipelines(const RemoteOptions& r) {
  return UnaryCommand(
      r, 30, &v1::PipelineService::Stub::List, v1::ListPipelinesRequest(),
      [&](const v1::ListPipelinesResponse& resp) {
        std::printf("%-28s %7s %-12s %-9s %10s %12s %12s %8s\n", "NAME", "VERSION", "STATE",
                    "DESIRED", "UPTIME", "READ", "WRITTEN", "ERRORS");
        for (const auto& p : resp.pipelines())
          std::printf("%-28s %7d %-12s %-9s %9.1fs %12lu %12lu %8lu\n", p.name().c_str(),
                      p.version(), p.state().c_str(), p.desired_state().c_str(), p.uptime_s(),
                      p.events_in(), p.events_out(), p.errors());
        if (resp.pipelines_size() == 0)
          std::printf("(no pipelines: apply one with `flowctl apply FILE --server ADDR`)\n");
      });
}

int GetMonitors(const RemoteOptions& r) {
  return UnaryCommand(
      r, 30, &v1::PipelineService::Stub::ListMonitors, v1::ListMonitorsRequest(),
      [&](const v1::ListMonitorsResponse& resp) {
        for (const auto& m : resp.monitors()) {
          std::printf("%s v%d: every %lld s, watching %d pipeline(s)", m.name().c_str(),
                      m.version(), static_cast<long long>(m.interval_s()), m.watching_size());
          for (const auto& t : m.targets()) std::printf(" %s", t.c_str());
          std::printf("\n");
          for (const auto& a : m.algorithms()) std::printf("  %s\n", a.c_str());
          for (const auto& a : m.alerts())
            std::printf("  alert %s: %s (%s, score %.2f)\n", a.pipeline().c_str(),
                        a.title().c_str(), a.kind().c_str(), a.score());
        }
        if (resp.monitors_size() == 0)
          std::printf(
              "(no monitors: apply a kind: AIMonitor document with `flowctl apply FILE "
              "--server ADDR`)\n");
      });
}

int GetPipeline(const std::string& name, const RemoteOptions& r) {
  v1::GetPipelineRequest req;
  req.set_name(name);
  return UnaryCommand(
      r, 30, &v1::PipelineService::Stub::Get, req, [](const v1::PipelineDetail& resp) {
        std::cout << "# " << resp.summary().name() << " v" << resp.summary().version() << " ("
                  << resp.summary().state() << ")\n"
                  << resp.yaml();
      });
}

int StatusCmd(const std::string& name, const RemoteOptions& r) {
  v1::GetMetricsRequest req;
  req.set_name(name);
  return UnaryCommand(r, 30, &v1::PipelineService::Stub::GetMetrics, req,
                      [](const v1::PipelineStatus& resp) {
                        std::printf("pipeline %s v%d: %s, %.1f s\n", resp.name().c_str(),
                                    resp.version(), resp.state().c_str(), resp.elapsed_s());
                        if (!resp.error().empty()) std::printf("error: %s\n", resp.error().c_str());
                        PrintNodes(resp);
                      });
}

// Stop, delete and rollback drain a run first: they get a long deadline.
constexpr int kDrainDeadlineS = 300;

int StopCmd(const std::string& name, const std::string& reason, const RemoteOptions& r) {
  v1::StopRequest req;
  req.set_name(name);
  req.set_reason(reason);
  return UnaryCommand(
      r, kDrainDeadlineS, &v1::PipelineService::Stub::Stop, req,
      [&](const v1::StopResponse&) { std::cout << "pipeline '" << name << "' stopped\n"; });
}

int DeleteCmd(const std::string& name, const std::string& reason, const RemoteOptions& r) {
  v1::DeleteRequest req;
  req.set_name(name);
  req.set_reason(reason);
  return UnaryCommand(
      r, kDrainDeadlineS, &v1::PipelineService::Stub::Delete, req,
      [&](const v1::DeleteResponse&) { std::cout << "pipeline '" << name << "' deleted\n"; });
}

int RollbackCmd(const std::string& name, int to_version, const std::string& reason,
                const RemoteOptions& r) {
  v1::RollbackRequest req;
  req.set_name(name);
  req.set_to_version(to_version);
  req.set_reason(reason);
  return UnaryCommand(r, kDrainDeadlineS, &v1::PipelineService::Stub::Rollback, req,
                      [&](const v1::RollbackResponse& resp) {
                        std::cout << resp.diff() << "pipeline '" << name
                                  << "' rolled back to version " << resp.version() << "\n";
                      });
}

int HistoryCmd(const std::string& name, const RemoteOptions& r) {
  v1::HistoryRequest req;
  req.set_name(name);
  return UnaryCommand(
      r, 30, &v1::PipelineService::Stub::History, req, [](const v1::HistoryResponse& resp) {
        std::printf("%-8s %-22s %-24s %s\n", "VERSION", "CREATED", "BY", "");
        for (const auto& v : resp.versions())
          std::printf("%-8d %-22s %-24s %s\n", v.version(), Ago(v.created_ms()).c_str(),
                      v.created_by().c_str(), v.current() ? "current" : "");
        std::printf("\n%-6s %-8s %-12s %-22s %-22s %s\n", "RUN", "VERSION", "STATUS", "STARTED",
                    "ENDED", "ERROR");
        for (const auto& run : resp.runs())
          std::printf("%-6ld %-8d %-12s %-22s %-22s %s\n", run.id(), run.version(),
                      run.status().c_str(), Ago(run.started_ms()).c_str(),
                      Ago(run.ended_ms()).c_str(), run.error().c_str());
      });
}

int AuditCmd(const AuditFilter& f, const RemoteOptions& r) {
  v1::AuditRequest req;
  req.set_target(f.target);
  req.set_limit(f.limit);
  req.set_caller(f.caller);
  req.set_action(f.action);
  if (!f.since.empty()) {
    auto s = ParseSpan(f.since);
    if (!s.ok()) {
      std::cerr << "flowctl: --since: " << s.status().message() << "\n";
      return kExitUsage;
    }
    req.set_since_s(s.value());
  }
  return UnaryCommand(
      r, 30, &v1::PipelineService::Stub::Audit, req, [](const v1::AuditResponse& resp) {
        std::printf("%-22s %-24s %-10s %-20s %s\n", "TIME", "CALLER", "ACTION", "TARGET", "RESULT");
        for (const auto& e : resp.entries())
          std::printf("%-22s %-24s %-10s %-20s %s\n", Ago(e.time_ms()).c_str(), e.caller().c_str(),
                      e.action().c_str(), e.target().c_str(), e.result().c_str());
      });
}

int ApprovalsCmd(const std::string& verb, const std::string& id, const std::string& reason,
                 const RemoteOptions& r) {
  auto print = [](const v1::Approval& a, bool whole) {
    std::printf("%-8s %-9s %-27s %-18s %-12s %s\n", a.id().c_str(), a.state().c_str(),
                a.action().c_str(), a.pipeline().c_str(), a.requested_by().c_str(),
                Ago(a.created_ms()).c_str());
    if (!whole) return;
    std::string approvers;
    for (const auto& g : a.approvers()) approvers += (approvers.empty() ? "" : ", ") + g;
    std::printf("  why:        %s (policy %s)\n  approvers:  %s%s\n", a.why().c_str(),
                a.policy().c_str(), approvers.c_str(),
                a.human_confirmation() ? " (a person must confirm)" : "");
    if (!a.reason().empty()) std::printf("  reason:     %s\n", a.reason().c_str());
    if (a.state() == "pending")
      std::printf("  expires:    in %llds\n",
                  static_cast<long long>((a.expires_ms() - UnixMs()) / 1000));
    if (!a.decided_by().empty())
      std::printf("  decided by: %s%s%s\n", a.decided_by().c_str(),
                  a.decision_reason().empty() ? "" : ": ", a.decision_reason().c_str());
    if (!a.result().empty()) std::printf("  result:     %s\n", a.result().c_str());
  };
  auto header = [] {
    std::printf("%-8s %-9s %-27s %-18s %-12s %s\n", "ID", "STATE", "ACTION", "TARGET",
                "REQUESTED BY", "AGE");
  };
  if (verb == "list" || verb == "show") {
    v1::ListApprovalsRequest req;
    req.set_id(id);
    return UnaryCommand(r, 30, &v1::PipelineService::Stub::ListApprovals, req,
                        [&](const v1::ListApprovalsResponse& resp) {
                          header();
                          for (const auto& a : resp.approvals()) print(a, verb == "show");
                          if (resp.approvals().empty()) std::printf("(no approvals)\n");
                        });
  }
  v1::DecideApprovalRequest req;
  req.set_id(id);
  req.set_approve(verb == "approve");
  req.set_reason(reason);
  // Approving runs the held call, which may drain a run first.
  return UnaryCommand(r, kDrainDeadlineS, &v1::PipelineService::Stub::DecideApproval, req,
                      [&](const v1::Approval& a) {
                        header();
                        print(a, true);
                      });
}

int HealCmd(const std::string& name, const std::string& turn, const RemoteOptions& r) {
  namespace pb = ::ai::obsrvr::flowctl;
  pb::AutoHealingConfig req;
  req.set_pipeline_id(name);
  req.set_enabled(turn == "on");
  req.set_status_only(turn.empty());
  Client client(r);
  if (!client.Connect()) return kExitRuntime;
  grpc::ClientContext ctx;
  client.Prepare(&ctx, 30);
  pb::AutoHealingStatus s;
  grpc::Status st = client.agents().EnableAutoHealing(&ctx, req, &s);
  if (!st.ok()) return Fail(st, client.address());
  if (r.output == "json") {
    // The whole state (policies, episodes, learnings), not the summary.
    auto j = nlohmann::json::parse(s.details_json(), nullptr, false);
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!PrintStructured(s, r)) {
    std::printf("%s\n", s.message().c_str());
  }
  return kExitOk;
}

int TopCmd(const std::string& name, int interval_ms, int iterations, const RemoteOptions& r) {
  Client client(r);
  if (!client.Connect()) return kExitRuntime;
  v1::WatchRequest req;
  req.set_name(name);
  req.set_interval_ms(interval_ms);
  grpc::ClientContext ctx;
  client.Prepare(&ctx, 24 * 3600);
  auto reader = client.stub().Watch(&ctx, req);
  // A table on a terminal redraws in place; a table asked for with -o on a
  // pipe prints one frame per update; otherwise JSON lines for machines.
  bool terminal = ::isatty(1);
  bool table = r.output == "table" && (terminal || r.output_given);
  v1::PipelineStatus s;
  std::map<std::string, std::pair<uint64_t, int64_t>> last;  // node -> (in, time)
  // Every pipeline's latest status: one update redraws all of them, not
  // just the pipeline it was about.
  std::map<std::string, v1::PipelineStatus> latest;
  std::map<std::string, double> rates;  // node -> events/s; absent until two samples
  int seen = 0;
  while (reader->Read(&s)) {
    for (const auto& n : s.nodes()) {
      std::string key = s.name() + "/" + n.id();
      auto it = last.find(key);
      if (it != last.end() && s.time_ms() > it->second.second && n.in() >= it->second.first)
        rates[key] = static_cast<double>(n.in() - it->second.first) * 1000.0 /
                     static_cast<double>(s.time_ms() - it->second.second);
      last[key] = {n.in(), s.time_ms()};
    }
    if (!table) {
      json j = ToJson(s);
      for (auto& n : j["nodes"]) {
        auto it = rates.find(s.name() + "/" + n["id"].get<std::string>());
        n["rate_eps"] = it == rates.end() ? json(nullptr) : json(it->second);
      }
      std::cout << j.dump() << std::endl;
    } else {
      latest[s.name()] = s;
      if (terminal) std::printf("\033[H\033[J");
      for (const auto& [pname, p] : latest) {
        std::printf("%s v%d  %s  %.1fs\n", p.name().c_str(), p.version(), p.state().c_str(),
                    p.elapsed_s());
        std::printf("%-20s %-14s %12s %10s %7s %8s %10s\n", "NODE", "TYPE", "IN", "RATE/s", "QUEUE",
                    "ERRORS", "P99/BATCH");
        for (const auto& n : p.nodes()) {
          auto it = rates.find(pname + "/" + n.id());
          char rate[32];
          if (it == rates.end())
            std::snprintf(rate, sizeof rate, "%12s", "—");  // 3 bytes, 1 column
          else
            std::snprintf(rate, sizeof rate, "%10.0f", it->second);
          std::printf("%-20s %-14s %12lu %s %3lu/%-3lu %8lu %8.0fus\n", n.id().c_str(),
                      n.type().c_str(), n.in(), rate, n.queue_depth(), n.queue_capacity(),
                      n.errors(), n.p99_us());
        }
        std::printf("\n");
      }
      std::fflush(stdout);
    }
    if (iterations > 0 && ++seen >= iterations) {
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status st = reader->Finish();
  if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) return Fail(st, client.address());
  return kExitOk;
}

}  // namespace flowctl::cli
