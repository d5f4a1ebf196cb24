// Store: version numbering and rollback, NotFound messages, runs and audit
// ordering, persistence across reopen, and concurrent use.
#include "flowctl/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace flowctl::store {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A fresh directory per test, removed afterwards, so file-based tests never
// see each other's databases.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "flowctl-store-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::unique_ptr<Store> MustOpen(const std::string& path) {
  auto store = Store::Open(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::unique_ptr<Store> MustOpenInMemory() {
  auto store = Store::OpenInMemory();
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Runs one SQL statement on the file behind the Store's back and returns the
// first column of its first row as text.
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr)
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MustOpenInMemory();
    ASSERT_NE(store_, nullptr);
  }

  // Puts versions 1..count of name with yaml "v<N>".
  void PutVersions(const std::string& name, int count) {
    for (int i = 1; i <= count; ++i) {
      auto v = store_->PutVersion(name, "v" + std::to_string(i), "cli");
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      ASSERT_EQ(v.value(), i);
    }
  }

  std::vector<int> VersionNumbers(const std::string& name) {
    std::vector<int> out;
    auto versions = store_->ListVersions(name);
    EXPECT_TRUE(versions.ok()) << versions.status().ToString();
    if (versions.ok())
      for (const auto& v : versions.value()) out.push_back(v.version);
    return out;
  }

  void ExpectNotFound(const Status& st, const std::string& message) {
    EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
    EXPECT_EQ(st.message(), message);
  }

  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, VersionsCountFromOneAndLatestIsCurrent) {
  int64_t before = NowMs();
  auto v1 = store_->PutVersion("orders", "a: 1", "cli");
  auto v2 = store_->PutVersion("orders", "a: 2", "agent:ops");
  auto other = store_->PutVersion("billing", "b: 1", "cli");
  int64_t after = NowMs();
  ASSERT_TRUE(v1.ok() && v2.ok() && other.ok());
  EXPECT_EQ(v1.value(), 1);
  EXPECT_EQ(v2.value(), 2);
  EXPECT_EQ(other.value(), 1);  // numbering is per pipeline

  auto current = store_->GetVersion("orders", 0);
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_EQ(current->name, "orders");
  EXPECT_EQ(current->version, 2);
  EXPECT_EQ(current->yaml, "a: 2");
  EXPECT_EQ(current->created_by, "agent:ops");
  EXPECT_GE(current->created_ms, before);
  EXPECT_LE(current->created_ms, after);

  auto first = store_->GetVersion("orders", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->yaml, "a: 1");
  EXPECT_EQ(first->created_by, "cli");

  auto pipeline = store_->GetPipeline("orders");
  ASSERT_TRUE(pipeline.ok());
  EXPECT_EQ(pipeline->current_version, 2);
  EXPECT_EQ(pipeline->desired_state, "running");
  EXPECT_GE(pipeline->updated_ms, before);

  EXPECT_EQ(VersionNumbers("orders"), (std::vector<int>{1, 2}));
}

TEST_F(StoreTest, YamlRoundTripsVerbatim) {
  // Multi-line text, quotes and non-ASCII must come back byte for byte.
  std::string yaml = "name: 'x'\nnodes:\n  - id: \"ü→\"\n\n";
  ASSERT_TRUE(store_->PutVersion("x", yaml, "cli").ok());
  auto v = store_->GetVersion("x", 1);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->yaml, yaml);
}

TEST_F(StoreTest, SetCurrentVersionRollsBackAndRestartsIt) {
  PutVersions("orders", 3);
  ASSERT_TRUE(store_->SetDesiredState("orders", "stopped").ok());

  ASSERT_TRUE(store_->SetCurrentVersion("orders", 1).ok());
  auto pipeline = store_->GetPipeline("orders");
  ASSERT_TRUE(pipeline.ok());
  EXPECT_EQ(pipeline->current_version, 1);
  EXPECT_EQ(pipeline->desired_state, "running");
  auto current = store_->GetVersion("orders", 0);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->version, 1);
  EXPECT_EQ(current->yaml, "v1");

  // A rollback does not free numbers: the next apply is 4, not 2.
  auto next = store_->PutVersion("orders", "v4", "cli");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), 4);
  EXPECT_EQ(VersionNumbers("orders"), (std::vector<int>{1, 2, 3, 4}));
}

TEST_F(StoreTest, SetDesiredStateRoundTripsAndRejectsUnknownStates) {
  PutVersions("orders", 1);
  ASSERT_TRUE(store_->SetDesiredState("orders", "stopped").ok());
  EXPECT_EQ(store_->GetPipeline("orders")->desired_state, "stopped");

  Status st = store_->SetDesiredState("orders", "paused");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("paused"), std::string::npos) << st.message();
  EXPECT_EQ(store_->GetPipeline("orders")->desired_state, "stopped");
}

TEST_F(StoreTest, UnknownPipelinesAndVersionsAreNotFoundWithAMessage) {
  PutVersions("orders", 3);
  PutVersions("single", 1);

  ExpectNotFound(store_->GetVersion("orders", 7).status(),
                 "pipeline 'orders' has no version 7; versions: 1..3");
  ExpectNotFound(store_->SetCurrentVersion("orders", 7),
                 "pipeline 'orders' has no version 7; versions: 1..3");
  ExpectNotFound(store_->StartRun("orders", 9).status(),
                 "pipeline 'orders' has no version 9; versions: 1..3");
  ExpectNotFound(store_->GetVersion("single", 2).status(),
                 "pipeline 'single' has no version 2; versions: 1");

  const std::string missing = "pipeline 'nope' not found";
  ExpectNotFound(store_->GetVersion("nope", 0).status(), missing);
  ExpectNotFound(store_->GetVersion("nope", 1).status(), missing);
  ExpectNotFound(store_->ListVersions("nope").status(), missing);
  ExpectNotFound(store_->GetPipeline("nope").status(), missing);
  ExpectNotFound(store_->SetCurrentVersion("nope", 1), missing);
  ExpectNotFound(store_->SetDesiredState("nope", "stopped"), missing);
  ExpectNotFound(store_->DeletePipeline("nope"), missing);
  ExpectNotFound(store_->StartRun("nope", 1).status(), missing);

  ExpectNotFound(store_->UpdateRun(999, "{}"), "run 999 not found");
  ExpectNotFound(store_->FinishRun(999, "failed", "x", "{}"), "run 999 not found");

  // A failed rollback leaves the pipeline as it was.
  EXPECT_EQ(store_->GetPipeline("orders")->current_version, 3);
}

TEST_F(StoreTest, RejectsEmptyNamesAndPaths) {
  EXPECT_EQ(store_->PutVersion("", "x", "cli").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Store::Open("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->ListPipelines()->empty());
}

TEST_F(StoreTest, ListPipelinesIsSortedByName) {
  PutVersions("zeta", 1);
  PutVersions("alpha", 3);
  PutVersions("mid", 2);
  ASSERT_TRUE(store_->SetDesiredState("mid", "stopped").ok());

  auto list = store_->ListPipelines();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "alpha");
  EXPECT_EQ((*list)[0].current_version, 3);
  EXPECT_EQ((*list)[1].name, "mid");
  EXPECT_EQ((*list)[1].current_version, 2);
  EXPECT_EQ((*list)[1].desired_state, "stopped");
  EXPECT_EQ((*list)[2].name, "zeta");
  EXPECT_EQ((*list)[2].desired_state, "running");
}

TEST_F(StoreTest, DeletePipelineRemovesVersionsButKeepsRunsAndAudit) {
  PutVersions("orders", 2);
  PutVersions("billing", 1);
  auto run = store_->StartRun("orders", 2);
  ASSERT_TRUE(run.ok());
  AuditRecord record;
  record.caller = "cli";
  record.action = "apply";
  record.target = "orders";
  ASSERT_TRUE(store_->Audit(record).ok());

  ASSERT_TRUE(store_->DeletePipeline("orders").ok());

  EXPECT_EQ(store_->GetPipeline("orders").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetVersion("orders", 1).status().code(), StatusCode::kNotFound);
  auto list = store_->ListPipelines();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "billing");
  EXPECT_EQ(VersionNumbers("billing"), (std::vector<int>{1}));

  auto runs = store_->ListRuns("orders", 0);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].id, run.value());
  EXPECT_EQ(store_->ListAudit("orders", 0)->size(), 1u);

  // The versions are gone, so a new pipeline of that name starts at 1.
  auto again = store_->PutVersion("orders", "new", "cli");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value(), 1);
  EXPECT_EQ(VersionNumbers("orders"), (std::vector<int>{1}));
}

TEST_F(StoreTest, RunLifecycle) {
  PutVersions("orders", 2);
  PutVersions("billing", 1);
  int64_t before = NowMs();
  auto first = store_->StartRun("orders", 1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();

  auto runs = store_->ListRuns("orders", 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  const RunRecord& started = (*runs)[0];
  EXPECT_EQ(started.id, first.value());
  EXPECT_EQ(started.pipeline, "orders");
  EXPECT_EQ(started.version, 1);
  EXPECT_EQ(started.status, "running");
  EXPECT_GE(started.started_ms, before);
  EXPECT_EQ(started.ended_ms, 0);
  EXPECT_EQ(started.error, "");
  EXPECT_EQ(started.counters_json, "");

  ASSERT_TRUE(store_->UpdateRun(first.value(), R"({"src":{"out":5}})").ok());
  EXPECT_EQ((*store_->ListRuns("orders", 1))[0].counters_json, R"({"src":{"out":5}})");
  EXPECT_EQ((*store_->ListRuns("orders", 1))[0].status, "running");

  ASSERT_TRUE(store_->FinishRun(first.value(), "failed", "sink: disk full",
                                R"({"src":{"out":7}})")
                  .ok());
  auto second = store_->StartRun("orders", 2);
  auto other = store_->StartRun("billing", 1);
  ASSERT_TRUE(second.ok() && other.ok());
  ASSERT_TRUE(store_->FinishRun(second.value(), "succeeded", "", "{}").ok());

  runs = store_->ListRuns("orders", 0);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, second.value());  // newest first
  EXPECT_EQ((*runs)[0].status, "succeeded");
  EXPECT_EQ((*runs)[0].version, 2);
  EXPECT_EQ((*runs)[1].id, first.value());
  EXPECT_EQ((*runs)[1].status, "failed");
  EXPECT_EQ((*runs)[1].error, "sink: disk full");
  EXPECT_EQ((*runs)[1].counters_json, R"({"src":{"out":7}})");
  EXPECT_GE((*runs)[1].ended_ms, (*runs)[1].started_ms);
  EXPECT_GT((*runs)[1].ended_ms, 0);

  auto limited = store_->ListRuns("orders", 1);
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ((*limited)[0].id, second.value());

  auto all = store_->ListRuns("", 0);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, other.value());
  EXPECT_EQ((*all)[0].pipeline, "billing");
}

TEST_F(StoreTest, MarkInterruptedRunsOnlyTouchesRunningOnes) {
  PutVersions("orders", 1);
  auto done = store_->StartRun("orders", 1);
  auto left1 = store_->StartRun("orders", 1);
  auto left2 = store_->StartRun("orders", 1);
  ASSERT_TRUE(done.ok() && left1.ok() && left2.ok());
  ASSERT_TRUE(store_->FinishRun(done.value(), "succeeded", "", "{}").ok());
  int64_t done_ended = (*store_->ListRuns("orders", 0))[2].ended_ms;

  auto marked = store_->MarkInterruptedRuns();
  ASSERT_TRUE(marked.ok()) << marked.status().ToString();
  EXPECT_EQ(marked.value(), 2);

  auto runs = store_->ListRuns("orders", 0);
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].status, "interrupted");
  EXPECT_GT((*runs)[0].ended_ms, 0);
  EXPECT_EQ((*runs)[1].status, "interrupted");
  EXPECT_EQ((*runs)[2].status, "succeeded");
  EXPECT_EQ((*runs)[2].ended_ms, done_ended);

  EXPECT_EQ(store_->MarkInterruptedRuns().value(), 0);
}

TEST_F(StoreTest, AuditIsNewestFirstWithTargetFilterAndLimit) {
  std::vector<int64_t> ids;
  const char* targets[] = {"a", "b", "a", "", "a"};
  for (int i = 0; i < 5; ++i) {
    AuditRecord r;
    r.time_ms = i == 0 ? 0 : 1000 + i;  // 0 = let the store stamp it
    r.caller = "caller" + std::to_string(i);
    r.action = "action" + std::to_string(i);
    r.target = targets[i];
    r.arguments = R"({"i":)" + std::to_string(i) + "}";
    r.result = i == 1 ? "NOT_FOUND: pipeline 'b' not found" : "ok";
    r.reasoning = i == 2 ? "error rate above 5%" : "";
    auto id = store_->Audit(r);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ids.push_back(id.value());
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 5u);

  auto all = store_->ListAudit("", 0);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const AuditRecord& r = (*all)[4 - i];
    EXPECT_EQ(r.id, ids[i]);
    EXPECT_EQ(r.action, "action" + std::to_string(i));
    EXPECT_EQ(r.target, targets[i]);
  }
  const AuditRecord& stamped = (*all)[4];
  EXPECT_GT(stamped.time_ms, 1000000);  // now, not 0
  const AuditRecord& full = (*all)[2];
  EXPECT_EQ(full.time_ms, 1002);
  EXPECT_EQ(full.caller, "caller2");
  EXPECT_EQ(full.arguments, R"({"i":2})");
  EXPECT_EQ(full.result, "ok");
  EXPECT_EQ(full.reasoning, "error rate above 5%");
  EXPECT_EQ((*all)[3].result, "NOT_FOUND: pipeline 'b' not found");

  auto a = store_->ListAudit("a", 0);
  ASSERT_EQ(a->size(), 3u);
  EXPECT_EQ((*a)[0].id, ids[4]);
  EXPECT_EQ((*a)[1].id, ids[2]);
  EXPECT_EQ((*a)[2].id, ids[0]);

  auto a_limited = store_->ListAudit("a", 2);
  ASSERT_EQ(a_limited->size(), 2u);
  EXPECT_EQ((*a_limited)[0].id, ids[4]);
  EXPECT_EQ((*a_limited)[1].id, ids[2]);

  auto newest = store_->ListAudit("", 1);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].id, ids[4]);

  EXPECT_TRUE(store_->ListAudit("nobody", 10)->empty());
}

TEST(StoreFileTest, StatePersistsAcrossReopen) {
  ScratchDir dir;
  const std::string path = dir.File("flowctl.db");
  int64_t running_run = 0;
  int64_t finished_run = 0;
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(store->PutVersion("orders", "v1", "cli").value(), 1);
    ASSERT_EQ(store->PutVersion("orders", "v2", "token:ci").value(), 2);
    ASSERT_EQ(store->PutVersion("billing", "b1", "cli").value(), 1);
    ASSERT_TRUE(store->SetCurrentVersion("orders", 1).ok());
    ASSERT_TRUE(store->SetDesiredState("billing", "stopped").ok());
    finished_run = store->StartRun("orders", 2).value();
    ASSERT_TRUE(store->FinishRun(finished_run, "cancelled", "", R"({"n":1})").ok());
    running_run = store->StartRun("orders", 1).value();  // as if the daemon crashed
    AuditRecord r;
    r.caller = "cli";
    r.action = "rollback";
    r.target = "orders";
    r.reasoning = "v2 broke parsing";
    ASSERT_TRUE(store->Audit(r).ok());
  }
  // The pragmas reached the file, and the schema is versioned.
  EXPECT_EQ(RawQuery(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), "1");

  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  auto orders = store->GetPipeline("orders");
  ASSERT_TRUE(orders.ok()) << orders.status().ToString();
  EXPECT_EQ(orders->current_version, 1);
  EXPECT_EQ(orders->desired_state, "running");
  EXPECT_EQ(store->GetPipeline("billing")->desired_state, "stopped");
  auto v2 = store->GetVersion("orders", 2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->yaml, "v2");
  EXPECT_EQ(v2->created_by, "token:ci");
  EXPECT_EQ(store->GetVersion("orders", 0)->yaml, "v1");

  EXPECT_EQ(store->MarkInterruptedRuns().value(), 1);
  auto runs = store->ListRuns("orders", 0);
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, running_run);
  EXPECT_EQ((*runs)[0].status, "interrupted");
  EXPECT_EQ((*runs)[1].id, finished_run);
  EXPECT_EQ((*runs)[1].status, "cancelled");
  EXPECT_EQ((*runs)[1].counters_json, R"({"n":1})");

  auto audit = store->ListAudit("orders", 0);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].action, "rollback");
  EXPECT_EQ((*audit)[0].reasoning, "v2 broke parsing");

  // Numbering continues from what is on disk.
  EXPECT_EQ(store->PutVersion("orders", "v3", "cli").value(), 3);
}

TEST(StoreFileTest, RefusesASchemaNewerThanItKnows) {
  ScratchDir dir;
  const std::string path = dir.File("flowctl.db");
  ASSERT_NE(MustOpen(path), nullptr);
  RawQuery(path, "PRAGMA user_version = 2");
  ASSERT_EQ(RawQuery(path, "PRAGMA user_version"), "2");

  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version 2"), std::string::npos)
      << store.status().message();
}

TEST(StoreFileTest, OpenInAMissingDirectoryIsUnavailable) {
  ScratchDir dir;
  const std::string path = dir.File("no/such/dir/flowctl.db");
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
}

TEST(StoreFileTest, ConcurrentWritersKeepCountsConsistent) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  ScratchDir dir;
  auto store = MustOpen(dir.File("flowctl.db"));
  ASSERT_NE(store, nullptr);

  std::vector<std::vector<int>> versions(kThreads);
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string who = "thread-" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        auto v = store->PutVersion("shared", who + " #" + std::to_string(i), who);
        if (v.ok()) versions[t].push_back(v.value());
        else ++failures[t];
        AuditRecord r;
        r.caller = who;
        r.action = "apply";
        r.target = who;
        if (!store->Audit(r).ok()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(std::accumulate(failures.begin(), failures.end(), 0), 0);
  // Every PutVersion got its own number, and together they are 1..400.
  std::vector<int> all;
  for (const auto& v : versions) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));  // a thread's own calls are ordered
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int> expected(kThreads * kPerThread);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(all, expected);

  auto stored = store->ListVersions("shared");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), expected.size());
  std::vector<int> per_creator(kThreads, 0);
  for (const auto& v : stored.value()) {
    // The yaml and the creator were written together, never mixed up.
    EXPECT_EQ(v.yaml.rfind(v.created_by + " #", 0), 0u) << v.yaml << " by " << v.created_by;
    ++per_creator[std::stoi(v.created_by.substr(7))];
  }
  EXPECT_EQ(per_creator, std::vector<int>(kThreads, kPerThread));
  EXPECT_EQ(store->GetPipeline("shared")->current_version, kThreads * kPerThread);

  auto audit = store->ListAudit("", 0);
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<int64_t> ids;
  for (const auto& r : audit.value()) ids.insert(r.id);
  EXPECT_EQ(ids.size(), audit->size());
  EXPECT_EQ(store->ListAudit("thread-3", 0)->size(), static_cast<size_t>(kPerThread));
}

}  // namespace
}  // namespace flowctl::store
