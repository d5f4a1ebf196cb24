#include "flowctl/store/metric_history.h"

#include <cctype>
#include <map>
#include <mutex>

#include "schema_epochs.h"
#include "sqlite.h"

namespace flowctl::store {

namespace {

// Folding p50 by mean is an approximation (a mean of medians); p99 and the
// queue depth fold by max so a spike inside an hour stays visible.
constexpr std::array<MetricInfo, kMetricCount> kMetrics = {{
    {"in_per_s", "events/s", Fold::kMean},
    {"out_per_s", "events/s", Fold::kMean},
    {"errors_per_s", "events/s", Fold::kMean},
    {"dropped_per_s", "events/s", Fold::kMean},
    {"dead_lettered_per_s", "events/s", Fold::kMean},
    {"retries_per_s", "events/s", Fold::kMean},
    {"p50_us", "us per batch", Fold::kMean},
    {"p99_us", "us per batch", Fold::kMax},
    {"queue_depth", "events", Fold::kMax},
    {"busy", "fraction", Fold::kMean},
    {"rss_mb", "MB", Fold::kMax},
    {"ai_calls_per_s", "calls/s", Fold::kMean},
    {"ai_tokens_per_s", "tokens/s", Fold::kMean},
    {"ai_cost_usd_per_h", "USD/h", Fold::kMean},
    {"ai_cache_hits_per_s", "hits/s", Fold::kMean},
    {"interval_s", "s", Fold::kSum},
}};

std::string Columns(const char* prefix = "") {
  std::string out;
  for (const auto& m : kMetrics) out += std::string(out.empty() ? "" : ", ") + prefix + m.name;
  return out;
}

}  // namespace

const std::array<MetricInfo, kMetricCount>& Metrics() { return kMetrics; }

std::vector<Tier> DefaultTiers() { return {{1, 3600}, {60, 7 * 86400}, {3600, 90 * 86400}}; }

struct MetricHistory::Impl {
  mutable std::mutex mu;
  sqlite::Database db;
  std::vector<Tier> tiers;
  std::vector<int64_t> folded_until;  // per tier: buckets before this are folded
  int64_t last_prune_ms = 0;
  sqlite::Statement insert;  // prepared once: Add runs every second
  schema_epochs::Recorder schemas;

  Status PrepareInsert() {
    std::string params;
    for (int i = 0; i < kMetricCount; ++i) params += ", ?" + std::to_string(i + 5);
    auto st = db.Prepare("INSERT OR REPLACE INTO samples(pipeline, node, res, ts, " + Columns() +
                         ") VALUES (?1, ?2, ?3, ?4" + params + ")");
    if (!st.ok()) return st.status();
    insert = std::move(st).value();
    return Status::OK();
  }

  Status Init() {
    std::string cols;
    for (const auto& m : kMetrics) cols += std::string(", ") + m.name + " REAL NOT NULL DEFAULT 0";
    FLOWCTL_RETURN_IF_ERROR(db.Exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS samples(pipeline TEXT NOT NULL, node TEXT NOT NULL,"
        " res INTEGER NOT NULL, ts INTEGER NOT NULL" +
        cols +
        ", PRIMARY KEY(pipeline, res, node, ts)) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS samples_age ON samples(res, ts);"
        "CREATE TABLE IF NOT EXISTS folds(res INTEGER PRIMARY KEY, until_ms INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS errors(pipeline TEXT NOT NULL, node TEXT NOT NULL,"
        " template TEXT NOT NULL, message TEXT NOT NULL, count INTEGER NOT NULL,"
        " first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, examples TEXT NOT NULL,"
        " PRIMARY KEY(pipeline, node, template)) WITHOUT ROWID;" +
        std::string(schema_epochs::CreateSql())));
    folded_until.assign(tiers.size(), 0);
    auto st = db.Prepare("SELECT res, until_ms FROM folds");
    if (!st.ok()) return st.status();
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!row.value()) break;
      for (size_t k = 0; k < tiers.size(); ++k)
        if (tiers[k].resolution_s == st->ColumnInt(0)) folded_until[k] = st->ColumnInt64(1);
    }
    return Status::OK();
  }

  // Statements prepared once (Add runs every second; a month of history
  // replayed in a test runs them tens of thousands of times).
  std::vector<sqlite::Statement> fold;  // per tier (index 0 unused)
  sqlite::Statement mark_folded, prune;

  Status PrepareMaintenance() {
    std::string aggs;
    for (const auto& m : kMetrics)
      aggs += std::string(", ") +
              (m.fold == Fold::kMax   ? "MAX("
               : m.fold == Fold::kSum ? "SUM("
                                      : "AVG(") +
              m.name + ")";
    fold.resize(tiers.size());
    for (size_t k = 1; k < tiers.size(); ++k) {
      std::string w = std::to_string(int64_t{tiers[k].resolution_s} * 1000);
      auto st = db.Prepare("INSERT OR REPLACE INTO samples(pipeline, node, res, ts, " + Columns() +
                           ") SELECT pipeline, node, ?1, ts / " + w + " * " + w + " AS b" + aggs +
                           " FROM samples WHERE res = ?2 AND ts >= ?3 AND ts < ?4"
                           " GROUP BY pipeline, node, b");
      if (!st.ok()) return st.status();
      fold[k] = std::move(st).value();
    }
    auto up = db.Prepare("INSERT OR REPLACE INTO folds(res, until_ms) VALUES (?1, ?2)");
    if (!up.ok()) return up.status();
    mark_folded = std::move(up).value();
    auto pr = db.Prepare("DELETE FROM samples WHERE res = ?1 AND ts < ?2");
    if (!pr.ok()) return pr.status();
    prune = std::move(pr).value();
    return Status::OK();
  }

  // Folds the closed buckets of each coarser tier from the tier below.
  Status Fold(int64_t now_ms) {
    for (size_t k = 1; k < tiers.size(); ++k) {
      int64_t width = int64_t{tiers[k].resolution_s} * 1000;
      int64_t boundary = now_ms / width * width;
      if (boundary <= folded_until[k]) continue;
      fold[k]
          .Bind(1, tiers[k].resolution_s)
          .Bind(2, tiers[k - 1].resolution_s)
          .Bind(3, folded_until[k])
          .Bind(4, boundary);
      FLOWCTL_RETURN_IF_ERROR(fold[k].Run());
      mark_folded.Bind(1, tiers[k].resolution_s).Bind(2, boundary);
      FLOWCTL_RETURN_IF_ERROR(mark_folded.Run());
      folded_until[k] = boundary;
    }
    return Status::OK();
  }

  Status Prune(int64_t now_ms) {
    if (now_ms - last_prune_ms < 60000 && last_prune_ms != 0) return Status::OK();
    last_prune_ms = now_ms;
    for (const auto& t : tiers) {
      prune.Bind(1, t.resolution_s).Bind(2, now_ms - t.retention_s * 1000);
      FLOWCTL_RETURN_IF_ERROR(prune.Run());
    }
    auto old = db.Prepare("DELETE FROM errors WHERE last_ms < ?1");
    if (!old.ok()) return old.status();
    old->Bind(1, now_ms - tiers.back().retention_s * 1000);
    FLOWCTL_RETURN_IF_ERROR(old->Run());
    return schema_epochs::Prune(db, now_ms - tiers.back().retention_s * 1000);
  }
};

MetricHistory::MetricHistory(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetricHistory::~MetricHistory() = default;

Result<std::unique_ptr<MetricHistory>> MetricHistory::Open(const std::string& path,
                                                           std::vector<Tier> tiers) {
  if (tiers.empty()) return Status::Invalid("metric history needs at least one tier");
  auto impl = std::make_unique<Impl>();
  auto db = sqlite::Database::Open(path);
  if (!db.ok()) return db.status();
  impl->db = std::move(db).value();
  impl->tiers = std::move(tiers);
  FLOWCTL_RETURN_IF_ERROR(impl->Init());
  FLOWCTL_RETURN_IF_ERROR(impl->PrepareInsert());
  FLOWCTL_RETURN_IF_ERROR(impl->PrepareMaintenance());
  return std::unique_ptr<MetricHistory>(new MetricHistory(std::move(impl)));
}

const std::vector<Tier>& MetricHistory::tiers() const { return impl_->tiers; }

Status MetricHistory::Add(const std::string& pipeline, const std::vector<MetricPoint>& points,
                          int64_t now_ms) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  sqlite::Transaction tx(impl_->db);
  FLOWCTL_RETURN_IF_ERROR(tx.status());
  sqlite::Statement* st = &impl_->insert;
  for (const auto& p : points) {
    st->Bind(1, pipeline).Bind(2, p.node).Bind(3, impl_->tiers[0].resolution_s).Bind(4, p.ts_ms);
    for (int i = 0; i < kMetricCount; ++i) st->Bind(i + 5, p.v[static_cast<size_t>(i)]);
    FLOWCTL_RETURN_IF_ERROR(st->Run());
  }
  FLOWCTL_RETURN_IF_ERROR(impl_->Fold(now_ms));
  FLOWCTL_RETURN_IF_ERROR(impl_->Prune(now_ms));
  return tx.Commit();
}

Result<std::vector<MetricPoint>> MetricHistory::Query(const std::string& pipeline,
                                                      const std::string& node, int64_t since_ms,
                                                      int64_t until_ms, int64_t now_ms) const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  const auto& tiers = impl_->tiers;
  size_t k = 0;
  while (k + 1 < tiers.size() && since_ms < now_ms - tiers[k].retention_s * 1000) ++k;
  auto st = impl_->db.Prepare("SELECT node, ts, " + Columns() +
                              " FROM samples WHERE pipeline = ?1 AND res = ?2 AND ts >= ?3 AND "
                              "ts < ?4 AND (?5 = '' OR node = ?5) ORDER BY node, ts");
  if (!st.ok()) return st.status();
  st->Bind(1, pipeline)
      .Bind(2, tiers[k].resolution_s)
      .Bind(3, since_ms)
      .Bind(4, until_ms)
      .Bind(5, node);
  std::vector<MetricPoint> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    MetricPoint p;
    p.node = st->ColumnText(0);
    p.ts_ms = st->ColumnInt64(1);
    p.resolution_s = tiers[k].resolution_s;
    for (int i = 0; i < kMetricCount; ++i) p.v[static_cast<size_t>(i)] = st->ColumnDouble(i + 2);
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

// Examples are single-line JSON or text (the sampler keeps them so); one per
// line in the column.
std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += '\n';
    for (char c : s) out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace

Status MetricHistory::AddErrors(const std::string& pipeline,
                                const std::vector<ErrorGroup>& groups) {
  if (groups.empty()) return Status::OK();
  std::lock_guard<std::mutex> lk(impl_->mu);
  sqlite::Transaction tx(impl_->db);
  FLOWCTL_RETURN_IF_ERROR(tx.status());
  auto read = impl_->db.Prepare(
      "SELECT examples FROM errors WHERE pipeline = ?1 AND node = ?2 AND template = ?3");
  if (!read.ok()) return read.status();
  auto up = impl_->db.Prepare(
      "INSERT INTO errors(pipeline, node, template, message, count, first_ms, last_ms, examples)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(pipeline, node, template) DO UPDATE"
      " SET count = count + excluded.count, first_ms = MIN(first_ms, excluded.first_ms),"
      " last_ms = MAX(last_ms, excluded.last_ms), examples = excluded.examples");
  if (!up.ok()) return up.status();
  std::vector<std::string> nodes;
  for (const auto& g : groups) {
    read->Bind(1, pipeline).Bind(2, g.node).Bind(3, g.message_template);
    auto row = read->Step();
    if (!row.ok()) return row.status();
    std::vector<std::string> examples =
        row.value() ? SplitLines(read->ColumnText(0)) : std::vector<std::string>{};
    FLOWCTL_RETURN_IF_ERROR(read->Run());  // finish and reset
    for (const auto& e : g.examples)
      if (examples.size() < 3) examples.push_back(e);
    up->Bind(1, pipeline)
        .Bind(2, g.node)
        .Bind(3, g.message_template)
        .Bind(4, g.example_message)
        .Bind(5, g.count)
        .Bind(6, g.first_ms)
        .Bind(7, g.last_ms)
        .Bind(8, JoinLines(examples));
    FLOWCTL_RETURN_IF_ERROR(up->Run());
    nodes.push_back(g.node);
  }
  // The most recent groups of each node stay.
  auto cap = impl_->db.Prepare(
      "DELETE FROM errors WHERE pipeline = ?1 AND node = ?2 AND template NOT IN (SELECT template "
      "FROM errors WHERE pipeline = ?1 AND node = ?2 ORDER BY last_ms DESC LIMIT ?3)");
  if (!cap.ok()) return cap.status();
  for (const auto& n : nodes) {
    cap->Bind(1, pipeline).Bind(2, n).Bind(3, int64_t{kMaxErrorGroups});
    FLOWCTL_RETURN_IF_ERROR(cap->Run());
  }
  return tx.Commit();
}

Result<std::vector<ErrorGroup>> MetricHistory::Errors(const std::string& pipeline,
                                                      const std::string& node,
                                                      int64_t since_ms) const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto st = impl_->db.Prepare(
      "SELECT node, template, message, count, first_ms, last_ms, examples FROM errors"
      " WHERE pipeline = ?1 AND (?2 = '' OR node = ?2) AND last_ms >= ?3"
      " ORDER BY count DESC, node, template");
  if (!st.ok()) return st.status();
  st->Bind(1, pipeline).Bind(2, node).Bind(3, since_ms);
  std::vector<ErrorGroup> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    ErrorGroup g;
    g.node = st->ColumnText(0);
    g.message_template = st->ColumnText(1);
    g.example_message = st->ColumnText(2);
    g.count = st->ColumnInt64(3);
    g.first_ms = st->ColumnInt64(4);
    g.last_ms = st->ColumnInt64(5);
    g.examples = SplitLines(st->ColumnText(6));
    out.push_back(std::move(g));
  }
  return out;
}

Status MetricHistory::AddSchema(const std::string& pipeline, const std::string& node,
                                const SchemaProfile& profile, int64_t from_ms, int64_t now_ms,
                                bool final) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->schemas.Add(impl_->db, pipeline, node, profile, from_ms, now_ms, final);
}

Result<std::vector<SchemaEpoch>> MetricHistory::Schemas(const std::string& pipeline,
                                                        const std::string& node,
                                                        int64_t since_ms) const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return schema_epochs::Query(impl_->db, pipeline, node, since_ms);
}

Result<std::vector<std::string>> MetricHistory::Pipelines() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto st = impl_->db.Prepare("SELECT DISTINCT pipeline FROM samples ORDER BY pipeline");
  if (!st.ok()) return st.status();
  std::vector<std::string> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    out.push_back(st->ColumnText(0));
  }
  return out;
}

Result<std::vector<std::pair<int, int64_t>>> MetricHistory::RowCounts() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto st = impl_->db.Prepare("SELECT res, COUNT(*) FROM samples GROUP BY res ORDER BY res");
  if (!st.ok()) return st.status();
  std::vector<std::pair<int, int64_t>> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    out.emplace_back(st->ColumnInt(0), st->ColumnInt64(1));
  }
  return out;
}

}  // namespace flowctl::store
