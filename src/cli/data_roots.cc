#include "data_roots.h"

#include <filesystem>

namespace flowctl::cli {

namespace fs = std::filesystem;

Result<std::shared_ptr<const Sandbox>> DataRootSandbox(const std::vector<std::string>& roots,
                                                       const std::string& state_dir) {
  std::string data = (fs::path(state_dir) / "data").string();
  SandboxOptions so;
  so.roots = roots;
  if (so.roots.empty()) {
    std::error_code ec;
    fs::create_directories(data, ec);
    if (ec) return Status::IoError("cannot create the data root " + data + ": " + ec.message());
    so.roots.push_back(data);
  }
  // The store, checkpoints and decision records: a pipeline that could write
  // them could rewrite its own history or truncate flowctl.db.
  so.denied.push_back(state_dir);
  so.exempt.push_back(data);
  auto s = Sandbox::Create(so);
  if (!s.ok()) return s.status();
  return std::shared_ptr<const Sandbox>(std::make_shared<Sandbox>(std::move(s).value()));
}

}  // namespace flowctl::cli
