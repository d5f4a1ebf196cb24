// Agent tools (see include/flowctl/ai/agent_tools.h). SQLite and hiredis
// are used here rather than in store/: these are the agent's own clients of
// the user's data, not flowctl's state (docs/architecture.md).
#include "flowctl/ai/agent_tools.h"

#include <hiredis/hiredis.h>
#include <sqlite3.h>

#include <fstream>
#include <list>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "flowctl/ai/http_url.h"
#include "flowctl/base/strings.h"
#include "flowctl/data/json_bounded.h"
#include "internal.h"

namespace flowctl::ai {
namespace {

using nlohmann::json;

// The script's database lives in memory and a query only reads: neither may
// reach another file. ATTACH and VACUUM INTO (both seen as SQLITE_ATTACH)
// would create one.
int DenyAttach(void*, int action, const char*, const char*, const char*, const char*) {
  return action == SQLITE_ATTACH ? SQLITE_DENY : SQLITE_OK;
}
void DenyFiles(sqlite3* db) { sqlite3_set_authorizer(db, DenyAttach, nullptr); }

// Virtual machine steps between looks at the clock: ~1 ms of work.
constexpr int kProgressSteps = 10000;
int StopWhenExpired(void* bounds) { return static_cast<const CallBounds*>(bounds)->Expired(); }

class SqlTool : public AgentTool {
 public:
  SqlTool(ToolDefinition def, std::string db, int max_rows)
      : def_(std::move(def)), db_(std::move(db)), max_rows_(max_rows) {}
  ~SqlTool() override {
    if (script_db_ != nullptr) sqlite3_close(script_db_);
  }
  const ToolDefinition& definition() const override { return def_; }

  // A .sql file is loaded once into an in-memory database (handy for
  // examples and tests); a database file is opened read-only per call.
  // With run_script false (validate) the script is only read, never run:
  // validation has no side effects.
  Status Init(bool run_script) {
    if (!EndsWith(db_, ".sql")) return Status::OK();
    std::ifstream in(db_);
    if (!in) return Status::NotFound("cannot read " + db_);
    if (!run_script) return Status::OK();
    std::stringstream ss;
    ss << in.rdbuf();
    if (sqlite3_open(":memory:", &script_db_) != SQLITE_OK)
      return Status::Internal("cannot open an in-memory database");
    DenyFiles(script_db_);
    char* err = nullptr;
    int rc = sqlite3_exec(script_db_, ss.str().c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "error";
      sqlite3_free(err);
      if (rc == SQLITE_AUTH)
        msg += " (the script builds an in-memory database: ATTACH and VACUUM INTO are refused)";
      return Status::Invalid(db_ + ": " + msg);
    }
    return Status::OK();
  }

  json Run(const json& args, const CallBounds& bounds) override {
    std::string sql = args.value("query", "");
    size_t start = sql.find_first_not_of(" \t\r\n(");
    std::string head = start == std::string::npos ? "" : ToLower(sql.substr(start, 6));
    // sqlite3_stmt_readonly below is the real guard; this gives a clear answer.
    if (!(StartsWith(head, "select") || StartsWith(head, "with")))
      return {{"error", "only SELECT (or WITH ... SELECT) queries are allowed"}};
    std::unique_lock<std::mutex> lk(script_mu_, std::defer_lock);
    sqlite3* db = nullptr;
    if (script_db_ != nullptr) {
      lk.lock();
      db = script_db_;
    } else if (sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      json err = {{"error", std::string("cannot open database: ") + sqlite3_errmsg(db)}};
      sqlite3_close(db);
      return err;
    }
    if (db != script_db_) DenyFiles(db);
    sqlite3_busy_timeout(db, 1000);
    // A query (WITH RECURSIVE can run forever) is interrupted once the
    // event's deadline passes or the run stops.
    sqlite3_progress_handler(db, kProgressSteps, StopWhenExpired, const_cast<CallBounds*>(&bounds));
    sqlite3_stmt* st = nullptr;
    json out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      out = {{"error", sqlite3_errmsg(db)}};
    } else if (!sqlite3_stmt_readonly(st)) {
      out = {{"error", "the statement would write: refused"}};
    } else {
      // Named parameters (:user_id) come from args.params.
      json params = args.value("params", json::object());
      for (int i = 1; i <= sqlite3_bind_parameter_count(st); ++i) {
        const char* n = sqlite3_bind_parameter_name(st, i);
        if (n == nullptr) continue;
        std::string key = n + 1;
        if (!params.contains(key)) continue;
        const json& v = params[key];
        if (v.is_number_integer())
          sqlite3_bind_int64(st, i, v.get<int64_t>());
        else if (v.is_number())
          sqlite3_bind_double(st, i, v.get<double>());
        else if (v.is_string())
          sqlite3_bind_text(st, i, v.get<std::string>().c_str(), -1, SQLITE_TRANSIENT);
        else if (v.is_boolean())
          sqlite3_bind_int(st, i, v.get<bool>() ? 1 : 0);
      }
      json rows = json::array();
      int rc;
      bool truncated = false;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (static_cast<int>(rows.size()) >= max_rows_) {
          truncated = true;
          break;
        }
        json row = json::object();
        for (int c = 0; c < sqlite3_column_count(st); ++c) {
          const char* name = sqlite3_column_name(st, c);
          switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER:
              row[name] = sqlite3_column_int64(st, c);
              break;
            case SQLITE_FLOAT:
              row[name] = sqlite3_column_double(st, c);
              break;
            case SQLITE_NULL:
              row[name] = nullptr;
              break;
            default:
              row[name] = std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c)));
          }
        }
        rows.push_back(std::move(row));
      }
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        out = {{"error", sqlite3_errmsg(db)}};
      else
        out = {{"rows", rows}, {"truncated", truncated}};
    }
    if (bounds.Expired() && out.contains("error"))
      out = {{"error",
              "query stopped: the call's time limit (max_time_ms) passed or the run "
              "stopped"}};
    sqlite3_finalize(st);
    sqlite3_progress_handler(db, 0, nullptr, nullptr);
    if (db != script_db_) sqlite3_close(db);
    return out;
  }

 private:
  ToolDefinition def_;
  std::string db_;
  int max_rows_;
  std::mutex script_mu_;
  sqlite3* script_db_ = nullptr;
};

class CacheTool : public AgentTool {
 public:
  CacheTool(ToolDefinition def, size_t max) : def_(std::move(def)), max_(max) {}
  const ToolDefinition& definition() const override { return def_; }
  json Run(const json& args, const CallBounds&) override {
    std::string op = args.value("op", "get");
    std::string key = args.value("key", "");
    if (key.empty()) return {{"error", "key is required"}};
    std::lock_guard<std::mutex> lk(mu_);
    if (op == "get") {
      auto it = map_.find(key);
      if (it == map_.end()) return {{"found", false}};
      lru_.splice(lru_.begin(), lru_, it->second);
      return {{"found", true}, {"value", it->second->second}};
    }
    if (op != "set") return {{"error", "op must be get or set"}};
    json value = args.contains("value") ? args["value"] : json();
    auto it = map_.find(key);
    if (it != map_.end()) {
      it->second->second = value;
      lru_.splice(lru_.begin(), lru_, it->second);
    } else {
      lru_.emplace_front(key, value);
      map_[key] = lru_.begin();
      if (lru_.size() > max_) {
        map_.erase(lru_.back().first);
        lru_.pop_back();
      }
    }
    return {{"ok", true}};
  }

 private:
  ToolDefinition def_;
  size_t max_;
  std::mutex mu_;
  std::list<std::pair<std::string, json>> lru_;
  std::unordered_map<std::string, std::list<std::pair<std::string, json>>::iterator> map_;
};

class RedisTool : public AgentTool {
 public:
  RedisTool(ToolDefinition def, std::string address, int ttl)
      : def_(std::move(def)), address_(std::move(address)), ttl_(ttl) {}
  ~RedisTool() override {
    if (ctx_ != nullptr) redisFree(ctx_);
  }
  const ToolDefinition& definition() const override { return def_; }
  json Run(const json& args, const CallBounds&) override {
    std::string op = args.value("op", "get");
    std::string key = args.value("key", "");
    if (key.empty()) return {{"error", "key is required"}};
    std::lock_guard<std::mutex> lk(mu_);
    if (ctx_ == nullptr || ctx_->err) {
      if (ctx_ != nullptr) redisFree(ctx_);
      struct timeval tv = {1, 0};
      if (StartsWith(address_, "unix:")) {
        ctx_ = redisConnectUnixWithTimeout(address_.substr(5).c_str(), tv);
      } else {
        size_t colon = address_.rfind(':');
        std::string host = address_.substr(0, colon);
        int port = colon == std::string::npos ? 6379 : std::atoi(address_.c_str() + colon + 1);
        ctx_ = redisConnectWithTimeout(host.c_str(), port, tv);
      }
      if (ctx_ == nullptr || ctx_->err) {
        std::string e = ctx_ != nullptr ? ctx_->errstr : "out of memory";
        return {{"error", "cannot reach redis at " + address_ + ": " + e}};
      }
    }
    redisReply* r = nullptr;
    if (op == "get") {
      r = static_cast<redisReply*>(redisCommand(ctx_, "GET %b", key.data(), key.size()));
    } else if (op == "set") {
      std::string v = args.contains("value")
                          ? (args["value"].is_string() ? args["value"].get<std::string>()
                                                       : args["value"].dump())
                          : "";
      r = ttl_ > 0 ? static_cast<redisReply*>(redisCommand(ctx_, "SET %b %b EX %d", key.data(),
                                                           key.size(), v.data(), v.size(), ttl_))
                   : static_cast<redisReply*>(redisCommand(ctx_, "SET %b %b", key.data(),
                                                           key.size(), v.data(), v.size()));
    } else {
      return {{"error", "op must be get or set"}};
    }
    if (r == nullptr) return {{"error", std::string("redis: ") + ctx_->errstr}};
    json out;
    if (r->type == REDIS_REPLY_ERROR)
      out = {{"error", std::string(r->str, r->len)}};
    else if (op == "set")
      out = {{"ok", true}};
    else if (r->type == REDIS_REPLY_NIL)
      out = {{"found", false}};
    else {
      std::string s(r->str, r->len);
      json parsed = ParseJsonBoundedOrDiscarded(s);
      out = {{"found", true}, {"value", parsed.is_discarded() ? json(s) : parsed}};
    }
    freeReplyObject(r);
    return out;
  }

 private:
  ToolDefinition def_;
  std::string address_;
  int ttl_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;
};

const json kCacheArgs = {{"type", "object"},
                         {"properties",
                          {{"op", {{"type", "string"}, {"enum", {"get", "set"}}}},
                           {"key", {{"type", "string"}}},
                           {"value", {{"description", "for set: any JSON value"}}}}},
                         {"required", {"op", "key"}}};

}  // namespace

namespace internal {
std::unique_ptr<AgentTool> MakeHttpGetTool(ToolDefinition def, std::string base_url, int timeout_ms,
                                           size_t max_bytes);
}  // namespace internal

namespace {

Result<std::unique_ptr<AgentTool>> Build(const json& c, bool start) {
  std::string name = c.value("name", "");
  std::string type = c.value("type", "");
  if (name.empty()) return Status::Invalid("a tool needs a name");
  ToolDefinition def;
  def.name = name;
  // Tool names for the model: letters, digits, _ and - only.
  for (char& ch : def.name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-')) ch = '_';
  if (type == "sql") {
    std::string db = c.value("database", "");
    if (db.empty())
      return Status(StatusCode::kFailedPrecondition, "tool " + name + ": sql needs database: PATH");
    def.description = c.value("description", "Read-only SQL (SQLite dialect) against " + db +
                                                 ". SELECT only; at most " +
                                                 std::to_string(c.value("max_rows", 100)) +
                                                 " rows. Named parameters :x come from params.");
    def.parameters = {
        {"type", "object"},
        {"properties",
         {{"query", {{"type", "string"}}},
          {"params", {{"type", "object"}, {"description", "values of :name parameters"}}}}},
        {"required", {"query"}}};
    auto tool = std::make_unique<SqlTool>(def, db, c.value("max_rows", 100));
    Status st = tool->Init(start);
    if (!st.ok()) return Status(st.code(), "tool " + name + ": " + st.message());
    return std::unique_ptr<AgentTool>(std::move(tool));
  }
  if (type == "http") {
    std::string base = c.value("base_url", "");
    if (base.empty())
      return Status(StatusCode::kFailedPrecondition, "tool " + name + ": http needs base_url");
    auto url = ParseHttpUrl(base);
    if (!url.ok()) return Status::Invalid("tool " + name + ": base_url " + url.status().message());
    def.description = c.value("description", "HTTP GET of a path under " + base +
                                                 " (the only origin allowed); returns status and "
                                                 "body (JSON when it parses).");
    def.parameters = {
        {"type", "object"},
        {"properties", {{"path", {{"type", "string"}, {"description", "e.g. /users/42"}}}}},
        {"required", {"path"}}};
    return internal::MakeHttpGetTool(def, base, c.value("timeout_ms", 5000),
                                     c.value("max_bytes", size_t{4096}));
  }
  if (type == "cache") {
    def.description = c.value("description", "A key-value cache shared by this node's events.");
    def.parameters = kCacheArgs;
    return std::unique_ptr<AgentTool>(new CacheTool(def, c.value("max_entries", size_t{10000})));
  }
  if (type == "redis") {
    std::string addr = c.value("address", "");
    if (addr.empty())
      return Status(StatusCode::kFailedPrecondition,
                    "tool " + name +
                        ": redis needs address: HOST:PORT or unix:PATH (or use "
                        "type: cache for an in-process cache)");
    def.description = c.value("description", "GET/SET keys in Redis at " + addr + ".");
    def.parameters = kCacheArgs;
    return std::unique_ptr<AgentTool>(new RedisTool(def, addr, c.value("ttl_s", 0)));
  }
  return Status::Invalid("tool " + name + ": type must be sql, http, cache or redis, not '" + type +
                         "'");
}

}  // namespace

Result<std::unique_ptr<AgentTool>> MakeAgentTool(const json& c) { return Build(c, true); }

Status CheckAgentTool(const json& c) { return Build(c, false).status(); }

}  // namespace flowctl::ai
