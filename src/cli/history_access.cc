#include "history_access.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "flowctl/ai/ops.h"
#include "flowctl/base/clock.h"
#include "flowctl/config/loader.h"
#include "flowctl/store/state_lock.h"
#include "remote_engine.h"

namespace flowctl::cli {

Result<HistoryAccess> HistoryAccess::Open(const std::string& state_dir, const RemoteOptions& r) {
  HistoryAccess a;
  RemoteOptions via = r;
  if (!state_dir.empty()) {
    auto owner = store::ReadOwner(state_dir);
    // A foreground apply owns its dir without a control plane: read the file.
    bool daemon = owner.ok() && !owner->address.empty() && owner->command != "apply";
    if (!daemon) {
      std::string path = (std::filesystem::path(state_dir) / "metrics.db").string();
      if (!std::filesystem::exists(path))
        return Status::NotFound("no metric history in " + state_dir +
                                " (runs with --state-dir record one)");
      auto h = store::MetricHistory::Open(path);
      if (!h.ok()) return h.status();
      a.local_ = std::move(h).value();
      return a;
    }
    if (via.server.empty()) via.server = owner->address;
  }
  a.remote_ = RemoteEngineApi(via);
  return a;
}

Result<std::vector<store::MetricPoint>> HistoryAccess::Points(const std::string& name,
                                                              const std::string& node,
                                                              int64_t since_s) {
  if (remote_) return remote_->Metrics(name, node, since_s);
  int64_t now = UnixMs();
  return local_->Query(name, node, now - since_s * 1000, now + 1, now);
}

Result<std::vector<store::ErrorGroup>> HistoryAccess::Errors(const std::string& name,
                                                             const std::string& node,
                                                             int64_t since_s) {
  if (remote_) return remote_->Errors(name, node, since_s);
  return local_->Errors(name, node, UnixMs() - since_s * 1000);
}

Result<ai::OpsInput> HistoryAccess::Gather(const std::string& name, const std::string& since,
                                           const std::string& file) {
  if (remote_) return ai::GatherOpsInput(*remote_, name, since);
  auto span = store::ParseSpan(since);
  if (!span.ok()) return span.status();
  ai::OpsInput in;
  in.name = name;
  in.since = since;
  in.now_ms = UnixMs();
  auto points = Points(name, "", span.value());
  if (!points.ok()) return points.status();
  auto errors = Errors(name, "", span.value());
  if (!errors.ok()) return errors.status();
  in.points = std::move(points).value();
  in.errors = std::move(errors).value();
  auto schemas = local_->Schemas(name, "", in.now_ms - span.value() * 1000);
  if (!schemas.ok()) return schemas.status();
  in.schemas = std::move(schemas).value();
  if (file.empty()) return in;
  std::ifstream f(file);
  if (!f) return Status::Invalid("cannot read " + file);
  std::stringstream ss;
  ss << f.rdbuf();
  in.yaml = ss.str();
  // Changes are made from it: a document that does not load is said so.
  auto loaded = config::LoadString(in.yaml, file, config::LoadOptions{});
  if (!loaded.ok()) {
    std::string msg;
    for (const auto& d : loaded.diagnostics)
      if (d.severity == Diagnostic::Severity::kError)
        msg += (msg.empty() ? "" : "\n") + d.ToString();
    return Status::Invalid(msg);
  }
  return in;
}

int OpsExitCode(const Status& st) {
  return st.code() == StatusCode::kNotFound || st.code() == StatusCode::kInvalidArgument
             ? kExitInvalid
             : kExitRuntime;
}

int ApplyDocument(ai::EngineApi& api, const std::string& yaml, const std::string& label,
                  const std::string& caller, const std::string& reason, bool quiet,
                  const char* cmd) {
  engine::ApplyRequest req;
  req.yaml = yaml;
  req.filename = "<" + std::string(cmd) + " " + label + ">";
  req.caller = caller;
  req.reason = reason;
  req.dry_run = true;
  std::vector<Diagnostic> diags;
  auto preview = api.Apply(req, &diags);
  if (!preview.ok()) {
    std::cerr << "flowctl " << cmd
              << ": the change does not validate: " << preview.status().message() << "\n";
    return kExitInvalid;
  }
  if (!quiet) std::cout << preview->diff;
  req.dry_run = false;
  diags.clear();
  auto applied = api.Apply(req, &diags);
  if (!applied.ok()) {
    std::cerr << "flowctl " << cmd << ": " << applied.status().message() << "\n";
    return kExitRuntime;
  }
  std::cout << "applied " << label << ": " << applied->name << " v" << applied->version << " ("
            << applied->state << "); `flowctl rollback " << applied->name
            << "` returns to the previous version\n";
  return kExitOk;
}

}  // namespace flowctl::cli
