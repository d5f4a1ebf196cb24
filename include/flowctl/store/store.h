// Durable state of the daemon in one SQLite file (<state-dir>/flowctl.db):
// pipeline versions (every apply is a new version), the desired state of
// each pipeline, runs with their counters, and the audit log of every
// mutating call. Source checkpoints stay in files beside it (see
// runtime/), written atomically by the runtime.
//
// Contract: a Store is thread-safe (one internal mutex; SQLite in WAL mode).
// Every method returns a Status or Result; nothing throws. Times are Unix
// milliseconds. Versions count from 1 per pipeline name and are never reused.
#ifndef FLOWCTL_STORE_STORE_H_
#define FLOWCTL_STORE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flowctl/base/status.h"

namespace flowctl::store {

struct PipelineVersion {
  std::string name;
  int version = 0;
  std::string yaml;        // the document as applied (after substitution)
  std::string created_by;  // caller identity
  int64_t created_ms = 0;
};

struct PipelineRecord {
  std::string name;
  int current_version = 0;    // the version that runs (or would)
  std::string desired_state;  // "running", "stopped", "completed", "quarantined"
  int64_t updated_ms = 0;
};

struct RunRecord {
  int64_t id = 0;
  std::string pipeline;
  int version = 0;
  std::string status;  // "running", "succeeded", "failed", "cancelled", "interrupted"
  int64_t started_ms = 0;
  int64_t ended_ms = 0;  // 0 while running
  std::string error;
  std::string counters_json;  // last known per-node counters
};

struct AuditRecord {
  int64_t id = 0;
  int64_t time_ms = 0;
  std::string caller;     // who (peer address, token name, "cli", "agent:<name>")
  std::string action;     // e.g. "apply", "stop", "rollback"
  std::string target;     // pipeline name, or ""
  std::string arguments;  // JSON
  std::string result;     // "ok" or the error message
  std::string reasoning;  // why, when an agent gave a reason
};

struct AuditQuery {
  std::string target, caller, action;  // "" = any
  int64_t since_ms = 0;                // records at or after
  int limit = 100;
};

class Store {
 public:
  ~Store();
  // Opens or creates the database and its schema (migrations are versioned
  // with PRAGMA user_version).
  static Result<std::unique_ptr<Store>> Open(const std::string& path);
  // In-memory database, for tests.
  static Result<std::unique_ptr<Store>> OpenInMemory();

  // Stores a new version of the pipeline and makes it current with desired
  // state "running". Returns the new version number.
  Result<int> PutVersion(const std::string& name, const std::string& yaml,
                         const std::string& created_by);
  // version 0 = the current one.
  Result<PipelineVersion> GetVersion(const std::string& name, int version) const;
  Result<std::vector<PipelineVersion>> ListVersions(const std::string& name) const;
  // Makes an existing version current (rollback), desired state "running".
  Status SetCurrentVersion(const std::string& name, int version);
  Status SetDesiredState(const std::string& name, const std::string& state);
  Result<PipelineRecord> GetPipeline(const std::string& name) const;
  Result<std::vector<PipelineRecord>> ListPipelines() const;  // sorted by name
  // Removes the pipeline and its versions; runs and audit records stay.
  Status DeletePipeline(const std::string& name);

  Result<int64_t> StartRun(const std::string& name, int version);
  Status UpdateRun(int64_t run_id, const std::string& counters_json);
  Status FinishRun(int64_t run_id, const std::string& status, const std::string& error,
                   const std::string& counters_json);
  // Runs still marked "running" (left by a crash) become "interrupted".
  Result<int> MarkInterruptedRuns();
  Result<std::vector<RunRecord>> ListRuns(const std::string& name,
                                          int limit) const;  // newest first

  Result<int64_t> Audit(const AuditRecord& record);
  // Newest first; target "" = all.
  Result<std::vector<AuditRecord>> ListAudit(const std::string& target, int limit) const;
  Result<std::vector<AuditRecord>> ListAudit(const AuditQuery& query) const;  // newest first
  // Deletes the records older than before_ms (a governance policy's
  // audit retention); returns how many.
  Result<int> PruneAudit(int64_t before_ms);

 private:
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowctl::store

#endif  // FLOWCTL_STORE_STORE_H_
