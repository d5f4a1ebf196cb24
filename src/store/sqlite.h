// Thin RAII wrapper over the SQLite C API, private to the store.
//
// Contract: Database owns one sqlite3 connection, Statement one prepared
// statement; both close on destruction and are move-only. Neither is
// thread-safe: the caller (Store) serializes all use with its own mutex, so
// the connection is opened with SQLITE_OPEN_NOMUTEX. Every SQLite failure
// becomes a Status carrying sqlite3_errmsg and what was being done.
#ifndef FLOWCTL_SRC_STORE_SQLITE_H_
#define FLOWCTL_SRC_STORE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "flowctl/base/status.h"

namespace flowctl::store::sqlite {

// Maps an SQLite result code to a Status: contention and I/O problems are
// Unavailable (worth retrying or fixing the disk), the rest Internal.
Status ErrorStatus(int rc, sqlite3* db, std::string_view what);

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQL. A bind failure is kept and reported
  // by the next Step/Run, so a row of binds needs no error check each.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }

  // true = a row is available through the column getters, false = done.
  Result<bool> Step();
  // Steps to completion, for statements that return no rows; then resets,
  // so a prepared statement can be bound and run again (bindings stay until
  // rebound).
  Status Run();

  // Columns are 0-based, as in the C API. NULL reads as 0 or "".
  int64_t ColumnInt64(int column) const;
  int ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, std::string sql) : stmt_(stmt), sql_(std::move(sql)) {}
  Statement& NoteBind(int rc, int index);

  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;  // for error messages
  Status bind_status_;
};

class Database {
 public:
  Database() = default;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Opens (creating if needed) the database at path; ":memory:" works too.
  static Result<Database> Open(const std::string& path);

  // Runs one or more statements that return no rows we need.
  Status Exec(const std::string& sql);
  Result<Statement> Prepare(const std::string& sql);

  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless Commit()
// succeeded, so an early return on error never leaves half a change.
class Transaction {
 public:
  explicit Transaction(Database& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // The status of BEGIN; check it before doing any work.
  const Status& status() const { return begin_status_; }
  Status Commit();

 private:
  Database& db_;
  Status begin_status_;
  bool open_ = false;
};

}  // namespace flowctl::store::sqlite

#endif  // FLOWCTL_SRC_STORE_SQLITE_H_
