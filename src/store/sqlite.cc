#include "sqlite.h"

#include <utility>

namespace flowctl::store::sqlite {
namespace {

// Keeps messages readable when the failing SQL is the whole schema script.
std::string Abbreviated(const std::string& sql) {
  constexpr size_t kMax = 80;
  std::string one_line = sql;
  for (char& c : one_line)
    if (c == '\n') c = ' ';
  return one_line.size() <= kMax ? one_line : one_line.substr(0, kMax) + "...";
}

}  // namespace

Status ErrorStatus(int rc, sqlite3* db, std::string_view what) {
  // The connection's message names the table or constraint involved; fall
  // back to the generic text when there is no connection (failed open).
  std::string message =
      std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return Status::Unavailable(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

// --- Statement ---

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      sql_(std::move(other.sql_)),
      bind_status_(std::move(other.bind_status_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    sql_ = std::move(other.sql_);
    bind_status_ = std::move(other.bind_status_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::NoteBind(int rc, int index) {
  if (rc != SQLITE_OK && bind_status_.ok())
    bind_status_ = ErrorStatus(
        rc, sqlite3_db_handle(stmt_),
        "binding parameter " + std::to_string(index) + " of '" + Abbreviated(sql_) + "'");
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  return NoteBind(sqlite3_bind_int64(stmt_, index, value), index);
}

Statement& Statement::Bind(int index, double value) {
  return NoteBind(sqlite3_bind_double(stmt_, index, value), index);
}

Statement& Statement::Bind(int index, std::string_view value) {
  // TRANSIENT: SQLite copies, so callers may pass temporaries.
  return NoteBind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
}

Result<bool> Statement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorStatus(rc, sqlite3_db_handle(stmt_), "running '" + Abbreviated(sql_) + "'");
}

Status Statement::Run() {
  Status st;
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) {
      st = row.status();
      break;
    }
    if (!row.value()) break;
  }
  // Ready to bind and run again, whatever happened.
  sqlite3_reset(stmt_);
  bind_status_ = Status::OK();
  return st;
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

int Statement::ColumnInt(int column) const { return sqlite3_column_int(stmt_, column); }

double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  // Text first, then bytes: the order the SQLite docs require for a valid length.
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return std::string();
  int size = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

// --- Database ---

Database::Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

// close_v2 defers the close until any forgotten statement is finalized
// instead of failing with SQLITE_BUSY and leaking the connection.
Database::~Database() { sqlite3_close_v2(db_); }

Result<Database> Database::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  // NOMUTEX: Store serializes every call itself; SQLite's own lock would be
  // a second, redundant one.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // Even a failed open may allocate a handle that carries the message.
  Database db(raw);
  if (rc != SQLITE_OK) return ErrorStatus(rc, raw, "opening database '" + path + "'");
  // Extended codes tell SQLITE_IOERR_* apart in messages and logs.
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status Database::Exec(const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);  // the same text is still available from errmsg
  if (rc != SQLITE_OK) return ErrorStatus(rc, db_, "executing '" + Abbreviated(sql) + "'");
  return Status::OK();
}

Result<Statement> Database::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return ErrorStatus(rc, db_, "preparing '" + Abbreviated(sql) + "'");
  }
  return Statement(stmt, sql);
}

// --- Transaction ---

Transaction::Transaction(Database& db) : db_(db) {
  // IMMEDIATE takes the write lock up front, so a second process fails at
  // BEGIN (after busy_timeout) rather than midway through our writes.
  begin_status_ = db_.Exec("BEGIN IMMEDIATE");
  open_ = begin_status_.ok();
}

Transaction::~Transaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  if (!open_)
    return begin_status_.ok() ? Status::Internal("transaction already finished") : begin_status_;
  Status st = db_.Exec("COMMIT");
  // A failed COMMIT leaves the transaction open; the destructor rolls back.
  if (st.ok()) open_ = false;
  return st;
}

}  // namespace flowctl::store::sqlite
