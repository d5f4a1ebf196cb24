// Store on SQLite. Every public method takes Impl::mu for its whole duration,
// so the single connection is never used by two threads at once, and work
// that spans statements runs in one transaction so another process (or a
// crash) never sees half of it.
//
// Decisions the header leaves open:
//  - Version numbers: the next version is max(version)+1 for the name. While a
//    pipeline exists its versions are never deleted, so numbers are never
//    reused. DeletePipeline removes the versions too, so a pipeline created
//    again under the same name starts at 1 again; its old runs and audit
//    records still carry the old numbers.
//  - ListRuns with name "" lists the runs of all pipelines, like ListAudit.
//  - A limit <= 0 means no limit.
//  - Audit keeps record.time_ms when the caller set it, otherwise uses now.
//  - StartRun requires the pipeline version to exist; runs and audit rows
//    are not tied to the pipeline by a foreign key, so they outlive it.
#include "flowctl/store/store.h"

#include <chrono>
#include <mutex>
#include <utility>

#include "flowctl/base/clock.h"
#include "sqlite.h"

namespace flowctl::store {
namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

constexpr int kSchemaVersion = 1;

// Runs one transaction together with setting user_version, so a crash never
// leaves a half-created schema that claims to be complete.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE pipelines(
  name TEXT PRIMARY KEY,
  current_version INTEGER NOT NULL,
  desired_state TEXT NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE TABLE versions(
  name TEXT NOT NULL REFERENCES pipelines(name) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  yaml TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(name, version));
CREATE TABLE runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pipeline TEXT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  counters_json TEXT NOT NULL DEFAULT '');
CREATE INDEX runs_by_pipeline ON runs(pipeline, id);
CREATE TABLE audit(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  caller TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  arguments TEXT NOT NULL,
  result TEXT NOT NULL,
  reasoning TEXT NOT NULL);
CREATE INDEX audit_by_target ON audit(target, id);
PRAGMA user_version = 1;
)sql";

// Column lists shared by the SELECTs and the Read* functions below; keep the
// two in the same order.
constexpr char kPipelineColumns[] = "name, current_version, desired_state, updated_ms";
constexpr char kVersionColumns[] = "name, version, yaml, created_by, created_ms";
constexpr char kRunColumns[] =
    "id, pipeline, version, status, started_ms, ended_ms, error, counters_json";
constexpr char kAuditColumns[] =
    "id, time_ms, caller, action, target, arguments, result, reasoning";

// SQLite treats a negative LIMIT as none.
int64_t SqlLimit(int limit) { return limit > 0 ? limit : -1; }

std::string Quoted(const std::string& name) { return "'" + name + "'"; }

Status PipelineNotFound(const std::string& name) {
  return Status::NotFound("pipeline " + Quoted(name) + " not found");
}

PipelineRecord ReadPipeline(const Statement& s) {
  PipelineRecord r;
  r.name = s.ColumnText(0);
  r.current_version = s.ColumnInt(1);
  r.desired_state = s.ColumnText(2);
  r.updated_ms = s.ColumnInt64(3);
  return r;
}

PipelineVersion ReadVersion(const Statement& s) {
  PipelineVersion v;
  v.name = s.ColumnText(0);
  v.version = s.ColumnInt(1);
  v.yaml = s.ColumnText(2);
  v.created_by = s.ColumnText(3);
  v.created_ms = s.ColumnInt64(4);
  return v;
}

RunRecord ReadRun(const Statement& s) {
  RunRecord r;
  r.id = s.ColumnInt64(0);
  r.pipeline = s.ColumnText(1);
  r.version = s.ColumnInt(2);
  r.status = s.ColumnText(3);
  r.started_ms = s.ColumnInt64(4);
  r.ended_ms = s.ColumnInt64(5);
  r.error = s.ColumnText(6);
  r.counters_json = s.ColumnText(7);
  return r;
}

AuditRecord ReadAudit(const Statement& s) {
  AuditRecord r;
  r.id = s.ColumnInt64(0);
  r.time_ms = s.ColumnInt64(1);
  r.caller = s.ColumnText(2);
  r.action = s.ColumnText(3);
  r.target = s.ColumnText(4);
  r.arguments = s.ColumnText(5);
  r.result = s.ColumnText(6);
  r.reasoning = s.ColumnText(7);
  return r;
}

// Steps a bound statement to the end, converting each row with read.
template <typename T, typename Reader>
Result<std::vector<T>> CollectRows(Statement& stmt, Reader read) {
  std::vector<T> rows;
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return rows;
    rows.push_back(read(stmt));
  }
}

// Runs a query expected to return exactly one integer (aggregates, pragmas).
Result<int64_t> QueryInt(Statement& stmt) {
  Result<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status::Internal("query returned no row");
  return stmt.ColumnInt64(0);
}

// --- Opening ---

Status Configure(Database& db) {
  // busy_timeout first: switching to WAL needs a lock another process may hold.
  // synchronous=NORMAL is durable against process crashes in WAL mode and
  // only risks the last commits on power loss, at a fraction of the fsyncs.
  // journal_mode stays "memory" for in-memory databases; that is fine.
  return db.Exec(
      "PRAGMA busy_timeout = 5000;"
      "PRAGMA journal_mode = WAL;"
      "PRAGMA synchronous = NORMAL;"
      "PRAGMA foreign_keys = ON;");
}

Result<int64_t> SchemaVersion(Database& db) {
  Result<Statement> stmt = db.Prepare("PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  return QueryInt(stmt.value());
}

Status CreateSchema(Database& db) {
  Transaction tx(db);
  FLOWCTL_RETURN_IF_ERROR(tx.status());
  // Re-check under the write lock: another process may have just created it.
  Result<int64_t> version = SchemaVersion(db);
  if (!version.ok()) return version.status();
  if (version.value() != 0) return Status::OK();
  FLOWCTL_RETURN_IF_ERROR(db.Exec(kSchemaV1));
  return tx.Commit();
}

// Future schema changes go here as "if (version < N) apply migration N".
Status Migrate(Database& db, const std::string& path) {
  Result<int64_t> version = SchemaVersion(db);
  if (!version.ok()) return version.status();
  if (version.value() > kSchemaVersion)
    return Status(StatusCode::kFailedPrecondition,
                  "database '" + path + "' has schema version " + std::to_string(version.value()) +
                      ", newer than this flowctl supports (" + std::to_string(kSchemaVersion) +
                      "); upgrade flowctl");
  if (version.value() == 0) return CreateSchema(db);
  return Status::OK();
}

Result<Database> OpenDatabase(const std::string& path) {
  if (path.empty()) return Status::Invalid("store path must not be empty");
  Result<Database> db = Database::Open(path);
  if (!db.ok()) return db.status();
  FLOWCTL_RETURN_IF_ERROR(Configure(db.value()));
  FLOWCTL_RETURN_IF_ERROR(Migrate(db.value(), path));
  return db;
}

// --- Pipelines and versions ---

Result<PipelineRecord> LoadPipeline(Database& db, const std::string& name) {
  Result<Statement> stmt =
      db.Prepare(std::string("SELECT ") + kPipelineColumns + " FROM pipelines WHERE name = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, name);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return PipelineNotFound(name);
  return ReadPipeline(stmt.value());
}

// The NotFound for a missing version lists the versions that do exist, so
// the caller can correct the request without another round trip.
Status VersionNotFound(Database& db, const std::string& name, int version) {
  Result<Statement> stmt =
      db.Prepare("SELECT MIN(version), MAX(version) FROM versions WHERE name = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, name);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  std::string message = "pipeline " + Quoted(name) + " has no version " + std::to_string(version);
  int64_t low = stmt->ColumnInt64(0);
  int64_t high = stmt->ColumnInt64(1);
  if (high == 0) return Status::NotFound(message + "; it has no versions");
  std::string range =
      low == high ? std::to_string(low) : std::to_string(low) + ".." + std::to_string(high);
  return Status::NotFound(message + "; versions: " + range);
}

// NotFound names the pipeline when it is missing, else the version.
Status MissingVersionStatus(Database& db, const std::string& name, int version) {
  Result<PipelineRecord> pipeline = LoadPipeline(db, name);
  if (!pipeline.ok()) return pipeline.status();
  return VersionNotFound(db, name, version);
}

Result<PipelineVersion> LoadVersion(Database& db, const std::string& name, int version) {
  Result<Statement> stmt = db.Prepare(std::string("SELECT ") + kVersionColumns +
                                      " FROM versions WHERE name = ? AND version = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, name).Bind(2, version);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return MissingVersionStatus(db, name, version);
  return ReadVersion(stmt.value());
}

Status RequireVersion(Database& db, const std::string& name, int version) {
  Result<Statement> stmt = db.Prepare("SELECT 1 FROM versions WHERE name = ? AND version = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, name).Bind(2, version);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return MissingVersionStatus(db, name, version);
  return Status::OK();
}

Result<int> NextVersion(Database& db, const std::string& name) {
  Result<Statement> stmt =
      db.Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE name = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, name);
  Result<int64_t> next = QueryInt(stmt.value());
  if (!next.ok()) return next.status();
  return static_cast<int>(next.value());
}

// Creates the pipeline row or points it at version; either way it should run.
Status UpsertCurrentVersion(Database& db, const std::string& name, int version, int64_t now) {
  Result<Statement> stmt = db.Prepare(
      "INSERT INTO pipelines(name, current_version, desired_state, updated_ms)"
      " VALUES(?, ?, 'running', ?)"
      " ON CONFLICT(name) DO UPDATE SET current_version = excluded.current_version,"
      " desired_state = 'running', updated_ms = excluded.updated_ms");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, name).Bind(2, version).Bind(3, now).Run();
}

Status InsertVersion(Database& db, const PipelineVersion& v) {
  Result<Statement> stmt = db.Prepare(
      "INSERT INTO versions(name, version, yaml, created_by, created_ms) VALUES(?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, v.name)
      .Bind(2, v.version)
      .Bind(3, v.yaml)
      .Bind(4, v.created_by)
      .Bind(5, v.created_ms)
      .Run();
}

// Runs a prepared single-row UPDATE/DELETE; no row touched means the target
// does not exist.
Status RunOnExisting(Database& db, Statement& stmt, const Status& not_found) {
  FLOWCTL_RETURN_IF_ERROR(stmt.Run());
  return db.Changes() > 0 ? Status::OK() : not_found;
}

// --- Runs ---

Status RunNotFound(int64_t run_id) {
  return Status::NotFound("run " + std::to_string(run_id) + " not found");
}

}  // namespace

class Store::Impl {
 public:
  explicit Impl(Database database) : db(std::move(database)) {}

  std::mutex mu;
  Database db;
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  Result<Database> db = OpenDatabase(path);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Store>(new Store(std::make_unique<Impl>(std::move(db).value())));
}

Result<std::unique_ptr<Store>> Store::OpenInMemory() { return Open(":memory:"); }

Result<int> Store::PutVersion(const std::string& name, const std::string& yaml,
                              const std::string& created_by) {
  if (name.empty()) return Status::Invalid("pipeline name must not be empty");
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  Transaction tx(db);
  FLOWCTL_RETURN_IF_ERROR(tx.status());
  Result<int> next = NextVersion(db, name);
  if (!next.ok()) return next.status();
  PipelineVersion v{name, next.value(), yaml, created_by, UnixMs()};
  // The pipeline row goes first: versions.name is a foreign key to it.
  FLOWCTL_RETURN_IF_ERROR(UpsertCurrentVersion(db, name, v.version, v.created_ms));
  FLOWCTL_RETURN_IF_ERROR(InsertVersion(db, v));
  FLOWCTL_RETURN_IF_ERROR(tx.Commit());
  return v.version;
}

Result<PipelineVersion> Store::GetVersion(const std::string& name, int version) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  if (version == 0) {
    Result<PipelineRecord> pipeline = LoadPipeline(db, name);
    if (!pipeline.ok()) return pipeline.status();
    version = pipeline->current_version;
  }
  return LoadVersion(db, name, version);
}

Result<std::vector<PipelineVersion>> Store::ListVersions(const std::string& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  // Distinguishes "no such pipeline" from an empty list (which cannot occur).
  Result<PipelineRecord> pipeline = LoadPipeline(db, name);
  if (!pipeline.ok()) return pipeline.status();
  Result<Statement> stmt = db.Prepare(std::string("SELECT ") + kVersionColumns +
                                      " FROM versions WHERE name = ? ORDER BY version");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, name);
  return CollectRows<PipelineVersion>(stmt.value(), ReadVersion);
}

Status Store::SetCurrentVersion(const std::string& name, int version) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  Transaction tx(db);
  FLOWCTL_RETURN_IF_ERROR(tx.status());
  FLOWCTL_RETURN_IF_ERROR(RequireVersion(db, name, version));
  Result<Statement> stmt = db.Prepare(
      "UPDATE pipelines SET current_version = ?, desired_state = 'running', updated_ms = ?"
      " WHERE name = ?");
  if (!stmt.ok()) return stmt.status();
  FLOWCTL_RETURN_IF_ERROR(stmt->Bind(1, version).Bind(2, UnixMs()).Bind(3, name).Run());
  return tx.Commit();
}

Status Store::SetDesiredState(const std::string& name, const std::string& state) {
  // Anything else would be persisted and then misread by recovery.
  // "completed": a bounded pipeline that finished; recovery leaves it alone.
  // "quarantined": it kept crashing the process; recovery leaves it alone.
  if (state != "running" && state != "stopped" && state != "completed" && state != "quarantined")
    return Status::Invalid(
        "desired state must be \"running\", \"stopped\", \"completed\" or \"quarantined\", "
        "not \"" +
        state + "\"");
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  Result<Statement> stmt =
      db.Prepare("UPDATE pipelines SET desired_state = ?, updated_ms = ? WHERE name = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, state).Bind(2, UnixMs()).Bind(3, name);
  return RunOnExisting(db, stmt.value(), PipelineNotFound(name));
}

Result<PipelineRecord> Store::GetPipeline(const std::string& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return LoadPipeline(impl_->db, name);
}

Result<std::vector<PipelineRecord>> Store::ListPipelines() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Result<Statement> stmt = impl_->db.Prepare(std::string("SELECT ") + kPipelineColumns +
                                             " FROM pipelines ORDER BY name");
  if (!stmt.ok()) return stmt.status();
  return CollectRows<PipelineRecord>(stmt.value(), ReadPipeline);
}

Status Store::DeletePipeline(const std::string& name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  Transaction tx(db);
  FLOWCTL_RETURN_IF_ERROR(tx.status());
  // Explicit, although the foreign key cascades: numbering restarts only if
  // the versions are really gone, whatever the foreign_keys setting.
  Result<Statement> versions = db.Prepare("DELETE FROM versions WHERE name = ?");
  if (!versions.ok()) return versions.status();
  FLOWCTL_RETURN_IF_ERROR(versions->Bind(1, name).Run());
  Result<Statement> pipeline = db.Prepare("DELETE FROM pipelines WHERE name = ?");
  if (!pipeline.ok()) return pipeline.status();
  pipeline->Bind(1, name);
  FLOWCTL_RETURN_IF_ERROR(RunOnExisting(db, pipeline.value(), PipelineNotFound(name)));
  return tx.Commit();
}

Result<int64_t> Store::StartRun(const std::string& name, int version) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  FLOWCTL_RETURN_IF_ERROR(RequireVersion(db, name, version));
  Result<Statement> stmt = db.Prepare(
      "INSERT INTO runs(pipeline, version, status, started_ms) VALUES(?, ?, 'running', ?)");
  if (!stmt.ok()) return stmt.status();
  FLOWCTL_RETURN_IF_ERROR(stmt->Bind(1, name).Bind(2, version).Bind(3, UnixMs()).Run());
  return db.LastInsertRowId();
}

Status Store::UpdateRun(int64_t run_id, const std::string& counters_json) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  Result<Statement> stmt = db.Prepare("UPDATE runs SET counters_json = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, counters_json).Bind(2, run_id);
  return RunOnExisting(db, stmt.value(), RunNotFound(run_id));
}

Status Store::FinishRun(int64_t run_id, const std::string& status, const std::string& error,
                        const std::string& counters_json) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  Result<Statement> stmt = db.Prepare(
      "UPDATE runs SET status = ?, error = ?, counters_json = ?, ended_ms = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, status).Bind(2, error).Bind(3, counters_json).Bind(4, UnixMs()).Bind(5, run_id);
  return RunOnExisting(db, stmt.value(), RunNotFound(run_id));
}

Result<int> Store::MarkInterruptedRuns() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  Result<Statement> stmt =
      db.Prepare("UPDATE runs SET status = 'interrupted', ended_ms = ? WHERE status = 'running'");
  if (!stmt.ok()) return stmt.status();
  FLOWCTL_RETURN_IF_ERROR(stmt->Bind(1, UnixMs()).Run());
  return db.Changes();
}

Result<std::vector<RunRecord>> Store::ListRuns(const std::string& name, int limit) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // Two statements rather than "name = '' OR pipeline = name", which would
  // keep SQLite from using the (pipeline, id) index.
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs" +
                    (name.empty() ? " WHERE ?1 = ''" : " WHERE pipeline = ?1") +
                    " ORDER BY id DESC LIMIT ?2";
  Result<Statement> stmt = impl_->db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, name).Bind(2, SqlLimit(limit));
  return CollectRows<RunRecord>(stmt.value(), ReadRun);
}

Result<int64_t> Store::Audit(const AuditRecord& record) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Database& db = impl_->db;
  Result<Statement> stmt = db.Prepare(
      "INSERT INTO audit(time_ms, caller, action, target, arguments, result, reasoning)"
      " VALUES(?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  FLOWCTL_RETURN_IF_ERROR(stmt->Bind(1, record.time_ms != 0 ? record.time_ms : UnixMs())
                              .Bind(2, record.caller)
                              .Bind(3, record.action)
                              .Bind(4, record.target)
                              .Bind(5, record.arguments)
                              .Bind(6, record.result)
                              .Bind(7, record.reasoning)
                              .Run());
  return db.LastInsertRowId();
}

Result<std::vector<AuditRecord>> Store::ListAudit(const std::string& target, int limit) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // See ListRuns for why there are two statements.
  std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit" +
                    (target.empty() ? " WHERE ?1 = ''" : " WHERE target = ?1") +
                    " ORDER BY id DESC LIMIT ?2";
  Result<Statement> stmt = impl_->db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, target).Bind(2, SqlLimit(limit));
  return CollectRows<AuditRecord>(stmt.value(), ReadAudit);
}

Result<std::vector<AuditRecord>> Store::ListAudit(const AuditQuery& q) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // Each filter is a constant condition when unset, so one statement serves.
  std::string sql = std::string("SELECT ") + kAuditColumns +
                    " FROM audit WHERE (?1 = '' OR target = ?1) AND (?2 = '' OR caller = ?2)"
                    " AND (?3 = '' OR action = ?3) AND time_ms >= ?4 ORDER BY id DESC LIMIT ?5";
  Result<Statement> stmt = impl_->db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, q.target)
      .Bind(2, q.caller)
      .Bind(3, q.action)
      .Bind(4, q.since_ms)
      .Bind(5, SqlLimit(q.limit));
  return CollectRows<AuditRecord>(stmt.value(), ReadAudit);
}

Result<int> Store::PruneAudit(int64_t before_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Result<Statement> stmt = impl_->db.Prepare("DELETE FROM audit WHERE time_ms < ?");
  if (!stmt.ok()) return stmt.status();
  FLOWCTL_RETURN_IF_ERROR(stmt->Bind(1, before_ms).Run());
  return impl_->db.Changes();
}

}  // namespace flowctl::store
