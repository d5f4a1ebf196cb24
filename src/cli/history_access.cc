#include "history_access.h"

#include <filesystem>

#include "flowctl/base/clock.h"
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

}  // namespace flowctl::cli
