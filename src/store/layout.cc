#include "flowctl/store/layout.h"

#include <filesystem>

namespace flowctl::store {

namespace fs = std::filesystem;

std::string CheckpointRoot(const std::string& state_dir) {
  return (fs::path(state_dir) / "checkpoints").string();
}

Result<bool> MovePipelineDirToLayout(const std::string& state_dir, const std::string& pipeline) {
  // A pipeline named like a top-level entry of the layout never had a dir of
  // its own there that could be told apart from it.
  for (const char* reserved : {"checkpoints", "data", "flowctl.db", "flowctl.lock"})
    if (pipeline == reserved) return false;
  fs::path old_dir = fs::path(state_dir) / pipeline;
  fs::path new_dir = fs::path(CheckpointRoot(state_dir)) / pipeline;
  std::error_code ec;
  if (!fs::is_directory(old_dir, ec) || fs::exists(new_dir, ec)) return false;
  // Only a dir that looks like a run's: checkpoints or decision records.
  bool looks_like_run = fs::is_directory(old_dir / "decisions", ec);
  for (auto it = fs::directory_iterator(old_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    looks_like_run = looks_like_run || it->path().extension() == ".checkpoint";
  if (!looks_like_run) return false;
  fs::create_directories(new_dir.parent_path(), ec);
  if (ec)
    return Status::IoError("cannot create " + new_dir.parent_path().string() + ": " + ec.message());
  fs::rename(old_dir, new_dir, ec);
  if (ec)
    return Status::IoError("cannot move " + old_dir.string() + " to " + new_dir.string() + ": " +
                           ec.message());
  return true;
}

}  // namespace flowctl::store
