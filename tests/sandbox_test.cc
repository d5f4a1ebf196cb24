// The file sandbox: the resolver (symlinks, '..', denied directories,
// relative paths, files that do not exist yet), the schema walk that finds
// every path a config names, the engine's check at validate/apply and the
// runtime's check when a node opens its files.
#include "flowctl/base/sandbox.h"

#include <unistd.h>

#include <filesystem>
#include <set>

#include "flowctl/base/strings.h"
#include "flowctl/component/registry.h"
#include "flowctl/component/schema.h"
#include "flowctl/engine/engine.h"
#include "test_util.h"

namespace flowctl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

std::string Real(const std::string& p) { return fs::canonical(p).string(); }

// A state dir with its default data root, and a second, separate root.
struct Layout {
  TempDir tmp;
  std::string state = tmp.File("state");
  std::string data = tmp.File("state/data");
  std::string other = tmp.File("other");
  Layout() {
    fs::create_directories(data);
    fs::create_directories(other);
    testing::WriteFile(data + "/in.jsonl", "{\"a\":1}\n");
  }
  Sandbox Make(std::vector<std::string> roots) const {
    SandboxOptions o;
    o.roots = std::move(roots);
    o.denied = {state};
    o.exempt = {data};
    auto s = Sandbox::Create(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }
};

TEST(SandboxResolve, RelativePathsLandUnderTheFirstRoot) {
  Layout l;
  Sandbox s = l.Make({l.data, l.other});
  auto r = s.Resolve("in.jsonl", PathAccess::kRead);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value(), Real(l.data) + "/in.jsonl");
}

TEST(SandboxResolve, AFileThatDoesNotExistYetMayBeWrittenUnderARoot) {
  Layout l;
  Sandbox s = l.Make({l.other});
  auto r = s.Resolve(l.other + "/new/dir/out.jsonl", PathAccess::kWrite);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value(), Real(l.other) + "/new/dir/out.jsonl");
  EXPECT_TRUE(s.Resolve(l.other + "/./x.jsonl", PathAccess::kWrite).ok());
}

TEST(SandboxResolve, AbsolutePathsOutsideTheRootsAreRefusedNamingTheRoots) {
  Layout l;
  Sandbox s = l.Make({l.other});
  auto r = s.Resolve("/etc/passwd", PathAccess::kRead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("/etc/passwd"), std::string::npos);
  EXPECT_NE(r.status().message().find(Real(l.other)), std::string::npos) << r.status().message();
}

TEST(SandboxResolve, DotDotThatLeavesARootIsRefused) {
  Layout l;
  Sandbox s = l.Make({l.other});
  EXPECT_FALSE(s.Resolve("../../../../../../etc/passwd", PathAccess::kRead).ok());
  EXPECT_FALSE(s.Resolve(l.other + "/../state/flowctl.db", PathAccess::kWrite).ok());
  // '..' below a directory that does not exist cannot be resolved: refused.
  EXPECT_FALSE(s.Resolve("missing/../../x", PathAccess::kWrite).ok());
  // '..' that stays inside is fine.
  fs::create_directories(l.other + "/a");
  auto r = s.Resolve("a/../x.jsonl", PathAccess::kWrite);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value(), Real(l.other) + "/x.jsonl");
}

TEST(SandboxResolve, ASymlinkOutOfARootIsRefused) {
  Layout l;
  Sandbox s = l.Make({l.other});
  fs::create_symlink("/etc", l.other + "/etc");
  fs::create_symlink("/etc/passwd", l.other + "/passwd");
  EXPECT_FALSE(s.Resolve("etc/passwd", PathAccess::kRead).ok());
  EXPECT_FALSE(s.Resolve("passwd", PathAccess::kRead).ok());
  // A symlink whose target does not exist yet: writing through it would
  // create a file outside the root.
  fs::create_symlink(l.tmp.File("outside.jsonl"), l.other + "/dangling");
  auto r = s.Resolve("dangling", PathAccess::kWrite);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(fs::exists(l.tmp.File("outside.jsonl")));
  // A symlink that stays inside is followed.
  fs::create_symlink(l.other + "/a.jsonl", l.other + "/inside");
  testing::WriteFile(l.other + "/a.jsonl", "");
  auto in = s.Resolve("inside", PathAccess::kRead);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in.value(), Real(l.other) + "/a.jsonl");
}

TEST(SandboxResolve, ProcSysDevAndTheStateDirAreNeverReachableEvenUnderARoot) {
  Layout l;
  Sandbox s = l.Make({"/", l.tmp.path()});
  for (const char* p : {"/proc/self/environ", "/sys/kernel", "/dev/null", "/dev/../proc/1/environ"})
    EXPECT_FALSE(s.Resolve(p, PathAccess::kRead).ok()) << p;
  auto db = s.Resolve(l.state + "/flowctl.db", PathAccess::kWrite);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("never reach"), std::string::npos) << db.status().message();
  EXPECT_FALSE(s.Resolve(l.state + "/checkpoints/p/in.checkpoint", PathAccess::kWrite).ok());
  // A symlink into the state dir from inside a root: refused too.
  fs::create_symlink(l.state + "/flowctl.db", l.tmp.File("db-link"));
  EXPECT_FALSE(s.Resolve(l.tmp.File("db-link"), PathAccess::kWrite).ok());
  // The state dir's data/ root stays reachable, and /etc is (the root is /).
  EXPECT_TRUE(s.Resolve(l.data + "/in.jsonl", PathAccess::kRead).ok());
  EXPECT_TRUE(s.Resolve("/etc/hostname", PathAccess::kRead).ok());
}

TEST(SandboxCreate, RefusesRootsThatDoNotExistOrCanNeverBeUsed) {
  Layout l;
  EXPECT_FALSE(Sandbox::Create({{l.tmp.File("nope")}, {}, {}}).ok());
  EXPECT_FALSE(Sandbox::Create({{"/proc"}, {}, {}}).ok());
  EXPECT_FALSE(Sandbox::Create({{l.state}, {l.state}, {}}).ok());
  // No roots: every path is refused.
  auto none = Sandbox::Create({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->Resolve(l.data + "/in.jsonl", PathAccess::kRead).ok());
}

// ---- the schema walk ---------------------------------------------------

const ComponentDescriptor& Find(const Registry& r, const std::string& type, NodeKind k) {
  const auto* d = r.Find(type, k);
  EXPECT_NE(d, nullptr) << type;
  return *d;
}

TEST(SandboxSchema, NestedPathFieldsAreFound) {
  Registry r;
  RegisterBuiltins(r);
  json agent = {{"tools",
                 {{{"name", "q"}, {"type", "sql"}, {"database", "/etc/x.db"}},
                  {{"name", "h"}, {"type", "http"}, {"base_url", "http://x"}}}}};
  auto f = FindPathFields(Find(r, "agent-processor", NodeKind::kProcessor).config_schema, agent);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].pointer, "/tools/0/database");
  EXPECT_EQ(f[0].path, "/etc/x.db");

  json rag = {{"vector_store", {{"index", "kb"}, {"dir", "v"}, {"documents", {"a.md", "/b.md"}}}}};
  auto g = FindPathFields(Find(r, "rag-processor", NodeKind::kProcessor).config_schema, rag);
  std::set<std::string> ptrs;
  for (const auto& x : g) ptrs.insert(x.pointer);
  EXPECT_EQ(ptrs, (std::set<std::string>{"/vector_store/dir", "/vector_store/documents/0",
                                         "/vector_store/documents/1"}));

  const auto& ml = Find(r, "ml-processor", NodeKind::kProcessor).config_schema;
  EXPECT_TRUE(FindPathFields(ml, {{"model", "fraud"}}).empty());  // a name
  EXPECT_EQ(FindPathFields(ml, {{"model", "/etc/passwd"}}).size(), 1u);
  EXPECT_EQ(FindPathFields(ml, {{"model", "m.json"}}).size(), 1u);
}

// Every field of every component whose name says it is a file or directory
// is declared as a path, so the sandbox sees it (a new component that forgets
// the annotation fails here).
void ExpectPathsDeclared(const std::string& where, const json& schema,
                         std::vector<std::string>* bad) {
  if (!schema.is_object()) return;
  if (schema.contains("properties"))
    for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
      static const std::set<std::string> kPathNames = {"path",     "file",      "dir",
                                                       "database", "model_dir", "directory"};
      const json& p = it.value();
      bool declared = p.contains("x-flowctl-path") ||
                      (p.contains("items") && p["items"].contains("x-flowctl-path"));
      if ((kPathNames.count(it.key()) || it.key() == "documents") && !declared)
        bad->push_back(where + "/" + it.key());
      ExpectPathsDeclared(where + "/" + it.key(), p, bad);
    }
  if (schema.contains("items")) ExpectPathsDeclared(where + "[]", schema["items"], bad);
}

TEST(SandboxSchema, EveryComponentDeclaresItsPathFields) {
  Registry r;
  RegisterBuiltins(r);
  std::vector<std::string> bad;
  for (const auto* d : r.List())
    ExpectPathsDeclared(std::string(NodeKindName(d->kind)) + " " + d->type, d->config_schema, &bad);
  EXPECT_TRUE(bad.empty()) << Join(bad, ", ");
}

// ---- the engine and the runtime ---------------------------------------------

std::string FilePipeline(const std::string& in, const std::string& out) {
  return "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n"
         "  sources:\n    - id: in\n      type: file\n      config:\n        path: " +
         in +
         "\n        codec: lines\n  sinks:\n    - id: out\n      type: file\n"
         "      inputs: [in]\n      config:\n        path: " +
         out + "\n";
}

struct SandboxedEngine {
  Layout l;
  std::unique_ptr<engine::Engine> eng;
  SandboxedEngine() {
    engine::EngineOptions eo;
    eo.state_dir = l.state;
    eo.sandbox = std::make_shared<Sandbox>(l.Make({l.data}));
    auto e = engine::Engine::Open(eo);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    eng = std::move(e).value();
  }
  bool WaitDone(const std::string& name) {
    for (int i = 0; i < 200; ++i) {
      auto p = eng->Get(name);
      if (p.ok() && p->state != "running") return p->state == "succeeded";
      ::usleep(20000);
    }
    return false;
  }
};

TEST(SandboxEngine, ApplyOfAFileOutsideTheRootsIsRefusedAtItsLine) {
  SandboxedEngine s;
  engine::ApplyRequest req;
  req.yaml = FilePipeline("/etc/passwd", "out.jsonl");
  req.filename = "leak.yaml";
  std::vector<Diagnostic> diags;
  auto r = s.eng->Apply(req, &diags);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  ASSERT_FALSE(diags.empty());
  const Diagnostic& d = diags[0];
  EXPECT_EQ(d.mark.file, "leak.yaml");
  EXPECT_EQ(d.mark.line, 9);  // the path: line of the source
  EXPECT_GT(d.mark.column, 0);
  EXPECT_EQ(d.node_id, "in");
  EXPECT_NE(d.message.find("/etc/passwd"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find(Real(s.l.data)), std::string::npos) << d.message;
  EXPECT_FALSE(fs::exists(s.l.data + "/out.jsonl"));
  // Nothing was stored: the pipeline does not exist.
  EXPECT_FALSE(s.eng->Get("p").ok());
  // Validate (MCP validate_pipeline, gRPC Validate) says the same.
  auto v = s.eng->Validate(req.yaml, "leak.yaml", {});
  EXPECT_FALSE(v.valid);
  EXPECT_NE(testing::DiagText(v.diagnostics).find("/etc/passwd"), std::string::npos);
}

TEST(SandboxEngine, WritingTheStoreOrDotDotIsRefused) {
  SandboxedEngine s;
  for (const std::string& out :
       {s.l.state + "/flowctl.db", std::string("../flowctl.db"), std::string("../../x.jsonl")}) {
    engine::ApplyRequest req;
    req.yaml = FilePipeline("in.jsonl", out);
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(s.eng->Apply(req, &diags).ok()) << out;
  }
  // The store is intact: the engine still reads it.
  EXPECT_TRUE(s.eng->Versions("p").status().code() == StatusCode::kNotFound);
  EXPECT_GT(fs::file_size(s.l.state + "/flowctl.db"), 0u);
}

TEST(SandboxEngine, APipelineInsideTheRootRunsWithRelativePaths) {
  SandboxedEngine s;
  engine::ApplyRequest req;
  req.yaml = FilePipeline("in.jsonl", "out/result.jsonl");
  fs::create_directories(s.l.data + "/out");
  std::vector<Diagnostic> diags;
  auto r = s.eng->Apply(req, &diags);
  ASSERT_TRUE(r.ok()) << r.status().ToString() << testing::DiagText(diags);
  ASSERT_TRUE(s.WaitDone("p"));
  EXPECT_EQ(testing::ReadLines(s.l.data + "/out/result.jsonl").size(), 1u);
}

TEST(SandboxEngine, APersonsOwnApplyKeepsFullAccess) {
  SandboxedEngine s;
  engine::ApplyRequest req;
  req.yaml = FilePipeline("/etc/hostname", s.l.tmp.File("mine.jsonl"));
  req.sandbox = false;
  std::vector<Diagnostic> diags;
  auto r = s.eng->Apply(req, &diags);
  ASSERT_TRUE(r.ok()) << r.status().ToString() << testing::DiagText(diags);
  ASSERT_TRUE(s.WaitDone("p"));
  EXPECT_TRUE(fs::exists(s.l.tmp.File("mine.jsonl")));
}

TEST(SandboxRuntime, ASymlinkSwappedInAfterValidateIsRefusedAtOpen) {
  Layout l;
  Registry reg;
  RegisterBuiltins(reg);
  // Valid when checked: in.jsonl is a file inside the root.
  auto b = testing::BuildFromYaml(FilePipeline(l.data + "/swap.jsonl", l.data + "/o.jsonl"), reg);
  ASSERT_TRUE(b.ok());
  fs::create_symlink("/etc/passwd", l.data + "/swap.jsonl");
  RuntimeOptions opts;
  opts.sandbox = std::make_shared<Sandbox>(l.Make({l.data}));
  auto run = Run::Create(*b.graph, opts);
  Status st = run.ok() ? run.value()->Start() : run.status();
  if (st.ok()) st = run.value()->Wait();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/etc/passwd"), std::string::npos) << st.ToString();
  EXPECT_TRUE(testing::ReadFile(l.data + "/o.jsonl").empty());
}

}  // namespace
}  // namespace flowctl
