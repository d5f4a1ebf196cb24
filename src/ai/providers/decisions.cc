// Decision records (see include/flowctl/ai/decisions.h).
#include "flowctl/ai/decisions.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "flowctl/data/json.h"
#include "flowctl/data/json_bounded.h"

namespace flowctl::ai {
namespace fs = std::filesystem;

namespace {

constexpr size_t kBlockRecords = 512;

std::string Base36(uint64_t v) {
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  do {
    s.insert(s.begin(), digits[v % 36]);
    v /= 36;
  } while (v > 0);
  return s;
}

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

}  // namespace

DecisionLog::DecisionLog(std::string dir, std::string pipeline, std::string node,
                         size_t max_records)
    : dir_(std::move(dir)),
      pipeline_(std::move(pipeline)),
      node_(std::move(node)),
      max_records_(max_records == 0 ? 1 : max_records) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  run_tag_ = Base36(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()));
  if (!dir_.empty()) {
    std::error_code ec;
    fs::create_directories(fs::path(dir_) / "decisions", ec);
    if (!ec) {
      path_ = (fs::path(dir_) / "decisions" / (node_ + ".jsonl")).string();
      prev_path_ = (fs::path(dir_) / "decisions" / (node_ + ".1.jsonl")).string();
      on_disk_ = CountLines(path_);
    }
  }
}

DecisionLog::~DecisionLog() { Flush(); }

std::string DecisionLog::NextId() {
  if (path_.empty()) return std::string();
  return node_ + "." + run_tag_ + "." + std::to_string(seq_.fetch_add(1) + 1);
}

void DecisionLog::Record(const std::string& id, const std::string& component,
                         const std::string& model, const std::string& provider,
                         const std::string& input_json, const std::string& output_json,
                         double confidence, int64_t latency_us, double cost_usd,
                         const std::string& evidence_json) {
  if (path_.empty()) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::string line;
  line.reserve(128 + input_json.size() + output_json.size());
  line += "{\"id\":";
  AppendJsonString(id, &line);
  line += ",\"ts_ms\":" + std::to_string(ms) + ",\"pipeline\":";
  AppendJsonString(pipeline_, &line);
  line += ",\"node\":";
  AppendJsonString(node_, &line);
  line += ",\"component\":";
  AppendJsonString(component, &line);
  line += ",\"model\":";
  AppendJsonString(model, &line);
  line += ",\"provider\":";
  AppendJsonString(provider, &line);
  line += ",\"input\":" + input_json + ",\"output\":" + output_json;
  if (!evidence_json.empty()) line += ",\"evidence\":" + evidence_json;
  char nums[160];
  std::snprintf(nums, sizeof(nums), ",\"confidence\":%.3f,\"latency_us\":%lld,\"cost_usd\":%.8f}\n",
                confidence, static_cast<long long>(latency_us), cost_usd);
  line += nums;
  std::lock_guard<std::mutex> lk(mu_);
  buffer_ += line;
  if (++buffered_ >= kBlockRecords) FlushLocked();
}

void DecisionLog::Flush() {
  std::lock_guard<std::mutex> lk(mu_);
  FlushLocked();
}

void DecisionLog::FlushLocked() {
  if (path_.empty() || buffered_ == 0) return;
  if (on_disk_ + buffered_ > max_records_ && on_disk_ > 0) {
    std::error_code ec;
    fs::rename(path_, prev_path_, ec);
    on_disk_ = 0;
  }
  if (FILE* f = std::fopen(path_.c_str(), "ab")) {
    std::fwrite(buffer_.data(), 1, buffer_.size(), f);
    std::fclose(f);
    on_disk_ += buffered_;
  }
  buffer_.clear();
  buffered_ = 0;
}

Result<nlohmann::json> FindDecision(const std::string& state_dir, const std::string& id) {
  size_t dot = id.find('.');
  if (dot == std::string::npos || dot == 0)
    return Status::Invalid("'" + id +
                           "' is not a decision id (NODE.RUN.SEQ, e.g. sentiment.m3x1k2.42)");
  std::string node = id.substr(0, dot);
  std::error_code ec;
  if (!fs::is_directory(state_dir, ec))
    return Status::NotFound("no state directory at " + state_dir);
  std::string needle = "{\"id\":\"" + id + "\"";
  for (auto it = fs::recursive_directory_iterator(state_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    if (p.parent_path().filename() != "decisions") continue;
    std::string name = p.filename().string();
    if (name != node + ".jsonl" && name != node + ".1.jsonl") continue;
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line))
      if (line.compare(0, needle.size(), needle) == 0) {
        auto j = ParseJsonBoundedOrDiscarded(line, FileJsonLimits());
        if (j.is_discarded()) return Status(StatusCode::kDataLoss, "decision record is corrupt");
        return j;
      }
  }
  return Status::NotFound("no decision '" + id + "' under " + state_dir +
                          " (records are kept bounded: it may have rotated out)");
}

}  // namespace flowctl::ai
