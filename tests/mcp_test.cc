// The MCP core without a transport: JSON-RPC errors, version negotiation,
// tools through the registry (structured output, isError), read-only mode,
// resources and prompts.
#include "flowctl/ai/mcp.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace flowctl {
namespace {

using nlohmann::json;
namespace mcp = ai::mcp;

const char* kDoc =
    "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  sources:\n"
    "    - {id: gen, type: generator, config: {count: 0, rate: 100, shape: counter}}\n"
    "  sinks:\n    - {id: out, type: \"null\", inputs: [gen]}\n";

class McpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions eo;
    eo.workers = 1;  // in-memory store
    auto e = engine::Engine::Open(eo);
    ASSERT_TRUE(e.ok());
    engine_ = std::move(e).value();
    ai::RegisterBuiltinTools(tools_, engine_.get());
  }
  void TearDown() override { engine_->Shutdown(); }

  std::unique_ptr<mcp::Server> MakeServer(bool read_only) {
    mcp::ServerOptions so;
    so.read_only = read_only;
    return std::make_unique<mcp::Server>(&tools_, engine_.get(), so);
  }
  json Request(const mcp::Server& s, mcp::Session* session, const std::string& method,
               json params = json::object()) {
    return s.Handle({{"jsonrpc", "2.0"}, {"id", ++id_}, {"method", method}, {"params", params}},
                    session);
  }
  void Init(const mcp::Server& s, mcp::Session* session) {
    json r = Request(s, session, "initialize",
                     {{"protocolVersion", "2025-11-25"},
                      {"capabilities", json::object()},
                      {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    s.Handle({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, session);
  }
  json Call(const mcp::Server& s, mcp::Session* session, const std::string& tool, json args) {
    json r = Request(s, session, "tools/call", {{"name", tool}, {"arguments", args}});
    EXPECT_TRUE(r.contains("result")) << r.dump();
    return r.value("result", json::object());
  }
  void ApplyDoc() {
    engine::ApplyRequest req;
    req.yaml = kDoc;
    std::vector<Diagnostic> diags;
    ASSERT_TRUE(engine_->Apply(req, &diags).ok());
  }
  static int ErrorCode(const json& r) { return r.at("error").at("code").get<int>(); }

  std::unique_ptr<engine::Engine> engine_;
  ai::ToolRegistry tools_;
  int id_ = 0;
};

TEST_F(McpTest, JsonRpcErrors) {
  auto s = MakeServer(false);
  mcp::Session session;
  EXPECT_NE(s->HandleText("{not json", &session).find("-32700"), std::string::npos);
  EXPECT_EQ(ErrorCode(s->Handle(json::array({1, 2}), &session)), mcp::kInvalidRequest);
  EXPECT_EQ(ErrorCode(s->Handle("hello", &session)), mcp::kInvalidRequest);
  EXPECT_EQ(ErrorCode(s->Handle({{"jsonrpc", "1.0"}, {"id", 1}, {"method", "ping"}}, &session)),
            mcp::kInvalidRequest);
  EXPECT_EQ(
      ErrorCode(s->Handle({{"jsonrpc", "2.0"}, {"id", nullptr}, {"method", "ping"}}, &session)),
      mcp::kInvalidRequest);
  EXPECT_EQ(ErrorCode(s->Handle({{"jsonrpc", "2.0"}, {"id", 1}, {"method", 7}}, &session)),
            mcp::kInvalidRequest);
  // Before initialize only ping works.
  EXPECT_TRUE(Request(*s, &session, "ping").contains("result"));
  EXPECT_EQ(ErrorCode(Request(*s, &session, "tools/list")), mcp::kInvalidRequest);
  EXPECT_EQ(ErrorCode(Request(*s, &session, "initialize", {{"capabilities", json::object()}})),
            mcp::kInvalidParams);
  Init(*s, &session);
  EXPECT_EQ(ErrorCode(Request(*s, &session, "no/such/method")), mcp::kMethodNotFound);
  EXPECT_EQ(ErrorCode(s->Handle({{"jsonrpc", "2.0"}, {"id", 9}, {"method", "ping"}, {"params", 3}},
                                &session)),
            mcp::kInvalidParams);
  EXPECT_EQ(ErrorCode(Request(*s, &session, "initialize", {{"protocolVersion", "2025-11-25"}})),
            mcp::kInvalidRequest);  // only once per session
  // Notifications and client responses get no answer.
  EXPECT_TRUE(
      s->Handle({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}}, &session).is_null());
  EXPECT_TRUE(
      s->Handle({{"jsonrpc", "2.0"}, {"id", 5}, {"result", json::object()}}, &session).is_null());
  EXPECT_EQ(s->HandleText(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", &session),
            "");
  json r = Request(*s, &session, "ping");
  EXPECT_EQ(r["id"], id_);
  EXPECT_EQ(r["result"], json::object());
}

// Issue 9 B: a 200 KB message nested 100k levels crashed the server through
// nlohmann::json's recursive copy. It is a -32700 naming the limit, and the
// session goes on.
// Found by fuzz_mcp: a byte that is not UTF-8 inside a string makes the
// parse error quote it, and answering with that message threw in
// nlohmann::json::dump, ending the process.
TEST_F(McpTest, InvalidUtf8IsAParseErrorNotACrash) {
  auto s = MakeServer(false);
  mcp::Session session;
  Init(*s, &session);
  std::string text = "{\"jsonrpc\":\"2.0\xdd\",\"id\":1,\"method\":\"ping\"}";
  std::string answer = s->HandleText(text, &session);
  json r = json::parse(answer);  // valid JSON, so valid UTF-8
  EXPECT_EQ(ErrorCode(r), mcp::kParseError) << answer;
}

TEST_F(McpTest, DeepJsonIsAParseErrorNotACrash) {
  auto s = MakeServer(false);
  mcp::Session session;
  Init(*s, &session);
  for (const std::string& deep :
       {std::string(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x",)"
                    R"("arguments":{"a":)") +
            std::string(100000, '[') + std::string(100000, ']') + "}}}",
        std::string(100000, '{')}) {
    json r = json::parse(s->HandleText(deep, &session));
    EXPECT_EQ(ErrorCode(r), mcp::kParseError) << r.dump();
    EXPECT_TRUE(r["id"].is_null());
    EXPECT_NE(r["error"]["message"].get<std::string>().find("nested deeper than 512 levels"),
              std::string::npos)
        << r.dump();
  }
  EXPECT_EQ(
      json::parse(s->HandleText(R"({"jsonrpc":"2.0","id":8,"method":"ping"})", &session)).at("id"),
      8);
}

TEST_F(McpTest, InitializeNegotiatesTheVersion) {
  auto s = MakeServer(false);
  for (const auto& [asked, answered] :
       std::vector<std::pair<std::string, std::string>>{{"2025-11-25", "2025-11-25"},
                                                        {"2025-06-18", "2025-06-18"},
                                                        {"2024-11-05", "2024-11-05"},
                                                        {"1999-01-01", "2025-11-25"}}) {
    mcp::Session session;
    json r = Request(*s, &session, "initialize",
                     {{"protocolVersion", asked}, {"capabilities", json::object()}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["result"]["protocolVersion"], answered);
    EXPECT_EQ(session.protocol_version, answered);
    EXPECT_EQ(r["result"]["serverInfo"]["name"], "flowctl");
    for (const char* cap : {"tools", "resources", "prompts"})
      EXPECT_TRUE(r["result"]["capabilities"].contains(cap)) << cap;
  }
  // Old sessions may batch; requests answer, notifications do not.
  mcp::Session old;
  Request(*s, &old, "initialize", {{"protocolVersion", "2025-03-26"}});
  json batch = s->Handle(json::array({{{"jsonrpc", "2.0"}, {"id", "a"}, {"method", "ping"}},
                                      {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                                      {{"jsonrpc", "2.0"}, {"id", "b"}, {"method", "tools/list"}}}),
                         &old);
  ASSERT_TRUE(batch.is_array()) << batch.dump();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0]["id"], "a");
  EXPECT_TRUE(batch[1]["result"].contains("tools"));
}

TEST_F(McpTest, ToolsGoThroughTheRegistry) {
  auto s = MakeServer(false);
  mcp::Session session;
  Init(*s, &session);
  json list = Request(*s, &session, "tools/list")["result"]["tools"];
  ASSERT_EQ(list.size(), tools_.List().size());
  for (const auto& t : list) {
    EXPECT_TRUE(t.contains("inputSchema") && t.contains("outputSchema")) << t.dump();
    EXPECT_EQ(t["outputSchema"]["type"], "object");
  }

  json v = Call(*s, &session, "validate_pipeline", {{"yaml", kDoc}});
  EXPECT_EQ(v["isError"], false);
  EXPECT_EQ(v["structuredContent"]["valid"], true);
  EXPECT_EQ(json::parse(v["content"][0]["text"].get<std::string>()), v["structuredContent"]);

  // Bad arguments are tool errors a model can fix, naming the field.
  json bad = Call(*s, &session, "analyze_pipeline_performance",
                  {{"pipeline_id", "t"}, {"time_range", "2h"}});
  EXPECT_EQ(bad["isError"], true);
  EXPECT_FALSE(bad.contains("structuredContent"));
  std::string text = bad["content"][0]["text"];
  EXPECT_NE(text.find("time_range"), std::string::npos) << text;
  EXPECT_NE(text.find("1h, 24h, 7d, 30d"), std::string::npos) << text;
  EXPECT_EQ(Call(*s, &session, "validate_pipeline", {{"yaml", 3}})["isError"], true);
  EXPECT_EQ(Call(*s, &session, "validate_pipeline", json::array())["isError"], true);

  json create = Call(*s, &session, "create_pipeline",
                     {{"name", "x"}, {"goal", "copy orders.jsonl to copy.jsonl"}});
  EXPECT_EQ(create["isError"], false) << create.dump();
  EXPECT_NE(create["structuredContent"]["yaml"].get<std::string>().find("copy.jsonl"),
            std::string::npos);

  // preview -> token -> apply.
  json applied_without =
      Call(*s, &session, "apply_pipeline", {{"yaml", kDoc}, {"plan_token", "x"}});
  EXPECT_EQ(applied_without["isError"], true);
  json preview = Call(*s, &session, "preview_apply", {{"yaml", kDoc}});
  ASSERT_EQ(preview["isError"], false) << preview.dump();
  std::string token = preview["structuredContent"]["plan_token"];
  json applied = Call(*s, &session, "apply_pipeline", {{"yaml", kDoc}, {"plan_token", token}});
  ASSERT_EQ(applied["isError"], false) << applied.dump();
  EXPECT_EQ(applied["structuredContent"]["state"], "running");

  EXPECT_EQ(ErrorCode(Request(*s, &session, "tools/call", {{"name", "nope"}})),
            mcp::kInvalidParams);
  EXPECT_EQ(ErrorCode(Request(*s, &session, "tools/call", json::object())), mcp::kInvalidParams);
}

TEST_F(McpTest, ReadOnlyLeavesWriteToolsOut) {
  auto s = MakeServer(true);
  mcp::Session session;
  Init(*s, &session);
  json list = Request(*s, &session, "tools/list")["result"]["tools"];
  std::set<std::string> names;
  for (const auto& t : list) {
    names.insert(t["name"]);
    EXPECT_EQ(t["annotations"]["readOnlyHint"], true) << t["name"];
  }
  EXPECT_TRUE(names.count("validate_pipeline") && names.count("preview_apply"));
  for (const char* hidden :
       {"apply_pipeline", "stop_pipeline", "rollback_pipeline", "create_pipeline"}) {
    EXPECT_FALSE(names.count(hidden)) << hidden;
    json r = Request(*s, &session, "tools/call",
                     {{"name", hidden}, {"arguments", {{"name", "t"}, {"reason", "r"}}}});
    EXPECT_EQ(ErrorCode(r), mcp::kInvalidParams) << r.dump();
  }
}

TEST_F(McpTest, Resources) {
  auto s = MakeServer(false);
  mcp::Session session;
  Init(*s, &session);
  ApplyDoc();

  std::set<std::string> uris;
  json resources = Request(*s, &session, "resources/list")["result"]["resources"];
  for (const auto& r : resources) uris.insert(r["uri"]);
  EXPECT_EQ(uris, (std::set<std::string>{"flowctl://components", "flowctl://pipelines/t",
                                         "flowctl://pipelines/t/status",
                                         "flowctl://pipelines/t/metrics"}));
  json templates = Request(*s, &session, "resources/templates/list")["result"]["resourceTemplates"];
  EXPECT_EQ(templates.size(), 4u);

  auto read = [&](const std::string& uri) {
    json r = Request(*s, &session, "resources/read", {{"uri", uri}});
    EXPECT_TRUE(r.contains("result")) << r.dump();
    return r["result"]["contents"][0];
  };
  json catalog = json::parse(read("flowctl://components")["text"].get<std::string>());
  EXPECT_GT(catalog["components"].size(), 5u);
  json filter = json::parse(read("flowctl://components/filter")["text"].get<std::string>());
  EXPECT_EQ(filter["type"], "filter");
  EXPECT_TRUE(filter.contains("config_schema"));
  json spec = read("flowctl://pipelines/t");
  EXPECT_EQ(spec["mimeType"], "application/yaml");
  EXPECT_NE(spec["text"].get<std::string>().find("generator"), std::string::npos);
  json status = json::parse(read("flowctl://pipelines/t/status")["text"].get<std::string>());
  EXPECT_EQ(status["name"], "t");
  EXPECT_EQ(status["nodes"].size(), 2u);
  EXPECT_TRUE(status.contains("throughput_eps"));
  // The metric history: per-node series once the supervisor has sampled
  // twice (a second apart).
  json metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = json::parse(read("flowctl://pipelines/t/metrics")["text"].get<std::string>());
    if (metrics["nodes"].size() == 3u) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(metrics["nodes"].size(), 3u) << metrics.dump();  // 2 nodes and the totals
  for (const auto& n : metrics["nodes"]) {
    EXPECT_EQ(n["resolution_s"], 1);
    EXPECT_EQ(n["metrics"]["in_per_s"].size(), n["ts_ms"].size());
  }

  for (const char* missing :
       {"flowctl://pipelines/nope", "flowctl://pipelines/nope/status",
        "flowctl://pipelines/nope/metrics", "flowctl://components/nope", "file:///etc/passwd"}) {
    json r = Request(*s, &session, "resources/read", {{"uri", missing}});
    EXPECT_EQ(ErrorCode(r), mcp::kResourceNotFound) << missing;
    EXPECT_EQ(r["error"]["data"]["uri"], missing);
  }
  EXPECT_EQ(ErrorCode(Request(*s, &session, "resources/read")), mcp::kInvalidParams);
}

TEST_F(McpTest, Prompts) {
  auto s = MakeServer(false);
  mcp::Session session;
  Init(*s, &session);
  json list = Request(*s, &session, "prompts/list")["result"]["prompts"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["name"], "create-pipeline");
  EXPECT_EQ(list[0]["arguments"][0]["name"], "goal");
  EXPECT_EQ(list[1]["arguments"][0]["name"], "pipeline");

  json create = Request(*s, &session, "prompts/get",
                        {{"name", "create-pipeline"}, {"arguments", {{"goal", "keep errors"}}}});
  std::string text = create["result"]["messages"][0]["content"]["text"];
  for (const char* tool : {"keep errors", "validate_pipeline", "preview_apply", "apply_pipeline"})
    EXPECT_NE(text.find(tool), std::string::npos) << tool;

  EXPECT_EQ(ErrorCode(Request(*s, &session, "prompts/get", {{"name", "create-pipeline"}})),
            mcp::kInvalidParams);
  EXPECT_EQ(ErrorCode(Request(*s, &session, "prompts/get",
                              {{"name", "debug-pipeline"}, {"arguments", {{"pipeline", "t"}}}})),
            mcp::kInvalidParams);  // no such pipeline yet
  ApplyDoc();
  json debug = Request(*s, &session, "prompts/get",
                       {{"name", "debug-pipeline"}, {"arguments", {{"pipeline", "t"}}}});
  json messages = debug["result"]["messages"];
  ASSERT_EQ(messages.size(), 2u) << debug.dump();
  EXPECT_NE(messages[0]["content"]["text"].get<std::string>().find("get_audit_log"),
            std::string::npos);
  EXPECT_EQ(messages[1]["content"]["type"], "resource");
  EXPECT_EQ(messages[1]["content"]["resource"]["uri"], "flowctl://pipelines/t/status");
  EXPECT_EQ(ErrorCode(Request(*s, &session, "prompts/get", {{"name", "nope"}})),
            mcp::kInvalidParams);
}

json Meta(const std::string& version = "2026-07-28") {
  return {{"io.modelcontextprotocol/protocolVersion", version},
          {"io.modelcontextprotocol/clientCapabilities", json::object()},
          {"io.modelcontextprotocol/clientInfo", {{"name", "test"}, {"version", "1"}}}};
}

// 2026-07-28: the version in each request's _meta, no initialize, every
// result says resultType, list and read results say how long to cache.
TEST_F(McpTest, StatelessRequestsNeedNoInitialize) {
  auto s = MakeServer(false);
  mcp::Session session;  // never initialized
  json discover = Request(*s, &session, "server/discover", {{"_meta", Meta()}});
  ASSERT_TRUE(discover.contains("result")) << discover.dump();
  json d = discover["result"];
  EXPECT_EQ(d["resultType"], "complete");
  EXPECT_EQ(d["supportedVersions"][0], "2026-07-28");
  EXPECT_NE(std::find(d["supportedVersions"].begin(), d["supportedVersions"].end(), "2025-11-25"),
            d["supportedVersions"].end());
  EXPECT_EQ(d["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "flowctl");
  EXPECT_TRUE(d["capabilities"].contains("tools") && d["capabilities"].contains("resources"));
  EXPECT_EQ(d["ttlMs"], 0);
  EXPECT_EQ(d["cacheScope"], "private");

  json tools = Request(*s, &session, "tools/list", {{"_meta", Meta()}});
  ASSERT_TRUE(tools.contains("result")) << tools.dump();
  EXPECT_EQ(tools["result"]["resultType"], "complete");
  EXPECT_EQ(tools["result"]["cacheScope"], "private");
  EXPECT_TRUE(tools["result"]["ttlMs"].is_number_integer());
  // Deterministic order: the registry's, on every call.
  std::vector<std::string> names;
  for (const auto& t : tools["result"]["tools"]) names.push_back(t["name"]);
  std::vector<std::string> want;
  for (const auto* t : tools_.List()) want.push_back(t->name);
  EXPECT_EQ(names, want);
  EXPECT_EQ(Request(*s, &session, "tools/list", {{"_meta", Meta()}})["result"]["tools"],
            tools["result"]["tools"]);

  json call =
      Request(*s, &session, "tools/call",
              {{"_meta", Meta()}, {"name", "validate_pipeline"}, {"arguments", {{"yaml", kDoc}}}});
  ASSERT_TRUE(call.contains("result")) << call.dump();
  EXPECT_EQ(call["result"]["resultType"], "complete");
  EXPECT_EQ(call["result"]["structuredContent"]["valid"], true);
  EXPECT_FALSE(call["result"].contains("ttlMs"));  // a call is not a cacheable result

  ApplyDoc();
  json read = Request(*s, &session, "resources/read",
                      {{"_meta", Meta()}, {"uri", "flowctl://pipelines/t"}});
  ASSERT_TRUE(read.contains("result")) << read.dump();
  EXPECT_EQ(read["result"]["resultType"], "complete");
  EXPECT_TRUE(read["result"].contains("ttlMs") && read["result"].contains("cacheScope"));
  // A missing resource is -32602 in this revision (-32002 before).
  json missing = Request(*s, &session, "resources/read",
                         {{"_meta", Meta()}, {"uri", "flowctl://pipelines/nope"}});
  EXPECT_EQ(ErrorCode(missing), mcp::kInvalidParams) << missing.dump();
  EXPECT_EQ(missing["error"]["data"]["uri"], "flowctl://pipelines/nope");
  for (const char* m : {"resources/list", "resources/templates/list", "prompts/list"}) {
    json r = Request(*s, &session, m, {{"_meta", Meta()}});
    EXPECT_EQ(r["result"]["resultType"], "complete") << m << r.dump();
    EXPECT_EQ(r["result"]["cacheScope"], "private") << m;
  }
  json prompt = Request(
      *s, &session, "prompts/get",
      {{"_meta", Meta()}, {"name", "create-pipeline"}, {"arguments", {{"goal", "keep errors"}}}});
  EXPECT_EQ(prompt["result"]["resultType"], "complete") << prompt.dump();
  // Session-only methods are gone from this revision.
  EXPECT_EQ(ErrorCode(Request(*s, &session, "ping", {{"_meta", Meta()}})), mcp::kMethodNotFound);
  EXPECT_TRUE(session.protocol_version.empty());
}

TEST_F(McpTest, UnsupportedStatelessVersionListsTheSupportedOnes) {
  auto s = MakeServer(false);
  mcp::Session session;
  for (const json& asked : {json("2099-01-01"), json(20260728)}) {
    json meta = Meta();
    meta["io.modelcontextprotocol/protocolVersion"] = asked;
    json r = Request(*s, &session, "tools/list", {{"_meta", meta}});
    EXPECT_EQ(ErrorCode(r), mcp::kUnsupportedProtocolVersion) << r.dump();
    EXPECT_EQ(r["error"]["data"]["requested"], asked);
    EXPECT_EQ(r["error"]["data"]["supported"], json(mcp::SupportedProtocolVersions()));
    EXPECT_EQ(r["id"], id_);
  }
  json caps = Meta();
  caps["io.modelcontextprotocol/clientCapabilities"] = "all";
  EXPECT_EQ(ErrorCode(Request(*s, &session, "tools/list", {{"_meta", caps}})), mcp::kInvalidParams);
  // A session-era version in _meta is a session-era request: initialize first.
  EXPECT_EQ(ErrorCode(Request(*s, &session, "tools/list", {{"_meta", Meta("2025-11-25")}})),
            mcp::kInvalidRequest);
  // And initialize always starts the session era, whatever its _meta says.
  json init =
      Request(*s, &session, "initialize", {{"_meta", Meta()}, {"protocolVersion", "2025-11-25"}});
  EXPECT_EQ(init["result"]["protocolVersion"], "2025-11-25") << init.dump();
  EXPECT_FALSE(init["result"].contains("resultType"));
  // Both eras on one connection: a session request keeps the old shapes.
  json legacy = Request(*s, &session, "tools/list");
  EXPECT_FALSE(legacy["result"].contains("resultType"));
  json modern = Request(*s, &session, "tools/list", {{"_meta", Meta()}});
  EXPECT_EQ(modern["result"]["resultType"], "complete");
}

TEST_F(McpTest, StdioIsOneMessagePerLine) {
  auto s = MakeServer(false);
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  std::string input =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})"
      "\n\n"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
      "\r\n{bad\n"
      R"({"jsonrpc":"2.0","id":2,"method":"ping"})";  // the last line has no newline
  ASSERT_EQ(write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  close(in[1]);
  Status st = mcp::ServeStdio(*s, in[0], out[1], nullptr);
  EXPECT_TRUE(st.ok()) << st.ToString();
  close(out[1]);
  std::string output;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;)
    output.append(buf, static_cast<size_t>(n));
  close(in[0]);
  close(out[0]);
  std::vector<json> replies;
  size_t start = 0;
  for (size_t nl; (nl = output.find('\n', start)) != std::string::npos; start = nl + 1)
    replies.push_back(json::parse(output.substr(start, nl - start)));
  ASSERT_EQ(replies.size(), 3u) << output;
  EXPECT_EQ(replies[0]["result"]["protocolVersion"], "2025-11-25");
  EXPECT_EQ(replies[1]["error"]["code"], mcp::kParseError);
  EXPECT_EQ(replies[2]["id"], 2);
}

}  // namespace
}  // namespace flowctl
