#include "flowctl/runtime/metrics.h"

namespace flowctl {

void LatencyHistogram::Record(uint64_t micros) {
  int b = 0;
  while (b < kBuckets - 1 && (uint64_t{1} << b) <= micros) ++b;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(micros, std::memory_order_relaxed);
}

uint64_t LatencyHistogram::Count() const {
  uint64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

std::array<uint64_t, LatencyHistogram::kBuckets> LatencyHistogram::Buckets() const {
  std::array<uint64_t, kBuckets> out{};
  for (int i = 0; i < kBuckets; ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

double LatencyHistogram::Quantile(double p) const {
  auto b = Buckets();
  uint64_t total = 0;
  for (auto v : b) total += v;
  if (total == 0) return 0;
  uint64_t want = static_cast<uint64_t>(p * static_cast<double>(total));
  if (want == 0) want = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += b[i];
    if (seen >= want) return static_cast<double>(uint64_t{1} << i);
  }
  return static_cast<double>(uint64_t{1} << (kBuckets - 1));
}

std::string MessageTemplate(std::string_view m) {
  std::string out;
  out.reserve(m.size());
  for (size_t i = 0; i < m.size();) {
    char c = m[i];
    if (c >= '0' && c <= '9') {
      // A run of digits (with . , x : inside) is one number.
      while (i < m.size() && ((m[i] >= '0' && m[i] <= '9') || m[i] == '.' || m[i] == ',' ||
                              m[i] == 'x' || m[i] == ':'))
        ++i;
      out += 'N';
      continue;
    }
    if (c == '\'' || c == '"') {
      size_t end = m.find(c, i + 1);
      if (end != std::string_view::npos && end - i <= 200) {
        out += c;
        out += "\u2026";
        out += c;
        i = end + 1;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

ErrorCluster* ErrorSampler::FindOrAdd(const std::string& tmpl, std::string_view message,
                                      int64_t now_ms) {
  for (auto& c : clusters_)
    if (c.message_template == tmpl) return &c;
  if (clusters_.size() + 1 >= kMaxClusters) {
    // The last slot gathers whatever does not fit.
    if (clusters_.size() + 1 == kMaxClusters) {
      ErrorCluster other;
      other.message_template = "(other messages)";
      other.example_message = std::string(message);
      other.first_ms = now_ms;
      clusters_.push_back(std::move(other));
    }
    return &clusters_.back();
  }
  ErrorCluster c;
  c.message_template = tmpl;
  c.example_message = std::string(message.substr(0, 1024));
  c.first_ms = now_ms;
  clusters_.push_back(std::move(c));
  return &clusters_.back();
}

std::vector<ErrorCluster> ErrorSampler::Clusters() const {
  std::lock_guard<std::mutex> lk(mu_);
  return clusters_;
}

void SchemaSampler::Record(const std::vector<Event>& events) {
  if (events.empty()) return;
  SchemaProfile batch;  // decoded outside the lock
  for (size_t i = 0; i < events.size(); i += kEvery) batch.Add(events[i].body());
  std::lock_guard<std::mutex> lk(mu_);
  profile_.Merge(batch);
}

SchemaProfile SchemaSampler::Read() const {
  std::lock_guard<std::mutex> lk(mu_);
  return profile_;
}

}  // namespace flowctl
