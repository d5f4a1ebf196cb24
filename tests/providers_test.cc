// Provider wire formats against a local HTTP server that answers exactly as
// OpenAI, Anthropic and Ollama do; the model client's retries, circuit
// breaker and cache; and a pipeline whose model answers badly (DLQ).
#include <httplib.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "flowctl/ai/agent_tools.h"
#include "flowctl/ai/client.h"
#include "flowctl/ai/embedded.h"
#include "flowctl/ai/http_url.h"
#include "flowctl/ai/provider.h"
#include "test_util.h"

namespace flowctl {
namespace {

using nlohmann::json;

// A fake model server: each test installs the handler; requests are kept.
class FakeModelServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  FakeModelServer() {
    auto route = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lk(mu_);
        requests_.push_back({req.path, req.body, req.headers});
      }
      hits_++;
      Handler h;
      {
        std::lock_guard<std::mutex> lk(mu_);
        h = handler_;
      }
      h(req, res);
    };
    server_.Post(".*", route);
    server_.Get(".*", route);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeModelServer() {
    server_.stop();
    thread_.join();
  }
  void Set(Handler h) {
    std::lock_guard<std::mutex> lk(mu_);
    handler_ = std::move(h);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int hits() const { return hits_.load(); }
  struct Seen {
    std::string path, body;
    httplib::Headers headers;
  };
  Seen last() {
    std::lock_guard<std::mutex> lk(mu_);
    return requests_.back();
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  Handler handler_ = [](const httplib::Request&, httplib::Response& res) { res.status = 500; };
  std::vector<Seen> requests_;
  std::atomic<int> hits_{0};
};

ai::EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) {
    auto it = vars.find(k);
    return it == vars.end() ? std::string() : it->second;
  };
}

std::unique_ptr<ai::Provider> Make(const std::string& name, const std::string& url) {
  ai::ProviderOptions o;
  o.name = name;
  o.base_url = url;
  o.api_key = "test-key";
  o.timeout_ms = 5000;
  auto p = ai::MakeProvider(o, Env({}));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(p).value();
}

ai::CompletionRequest SchemaRequest(const std::string& model) {
  ai::CompletionRequest r;
  r.model = model;
  r.system = "be brief";
  r.messages.push_back({"user", "classify: my card was charged twice", "", json()});
  r.output_schema = {{"type", "object"},
                     {"properties", {{"category", {{"type", "string"}}}}},
                     {"required", {"category"}}};
  r.max_tokens = 64;
  return r;
}

const json kWeatherTool = {
    {"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}};

TEST(OpenAIWire, SchemaConstrainedOutput) {
  FakeModelServer s;
  s.Set([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024",
      "choices":[{"index":0,"message":{"role":"assistant","content":"{\"category\":\"billing\"}"},
      "finish_reason":"stop"}],"usage":{"prompt_tokens":21,"completion_tokens":6,"total_tokens":27}})",
                    "application/json");
  });
  auto p = Make("openai", s.url() + "/v1");
  auto r = p->Complete(SchemaRequest("gpt-4o-mini"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value().structured["category"], "billing");
  EXPECT_EQ(r.value().usage.input_tokens, 21);
  EXPECT_EQ(r.value().usage.output_tokens, 6);
  EXPECT_EQ(r.value().model, "gpt-4o-mini-2024");
  auto seen = s.last();
  EXPECT_EQ(seen.path, "/v1/chat/completions");
  EXPECT_EQ(seen.headers.find("Authorization")->second, "Bearer test-key");
  json body = json::parse(seen.body);
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][1]["content"], "classify: my card was charged twice");
  EXPECT_EQ(body["response_format"]["type"], "json_schema");
  EXPECT_EQ(body["response_format"]["json_schema"]["schema"]["required"][0], "category");
  EXPECT_EQ(body["max_tokens"], 64);
}

TEST(OpenAIWire, ToolCallsWithStringArguments) {
  FakeModelServer s;
  s.Set([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"choices":[{"index":0,"message":{"role":"assistant","content":null,
      "tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather",
      "arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],
      "usage":{"prompt_tokens":5,"completion_tokens":3}})",
                    "application/json");
  });
  auto p = Make("openai", s.url() + "/v1");
  ai::CompletionRequest req;
  req.model = "gpt-4o";
  req.messages.push_back({"user", "weather in Paris?", "", json()});
  req.tools.push_back({"get_weather", "Current weather", kWeatherTool});
  auto r = p->Complete(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r.value().tool_calls.size(), 1u);
  EXPECT_EQ(r.value().tool_calls[0].id, "call_abc");
  EXPECT_EQ(r.value().tool_calls[0].arguments["city"], "Paris");
  EXPECT_EQ(r.value().stop_reason, "tool_calls");
  json body = json::parse(s.last().body);
  EXPECT_EQ(body["tools"][0]["type"], "function");
  EXPECT_EQ(body["tools"][0]["function"]["parameters"], kWeatherTool);
  // A tool result goes back as role tool with the call's id.
  req.messages.push_back(
      {"assistant", "", "",
       json::array(
           {{{"id", "call_abc"}, {"name", "get_weather"}, {"arguments", {{"city", "Paris"}}}}})});
  req.messages.push_back({"tool", "{\"temp_c\":18}", "call_abc", json()});
  ASSERT_TRUE(p->Complete(req).ok());
  body = json::parse(s.last().body);
  EXPECT_EQ(body["messages"][1]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}");
  EXPECT_EQ(body["messages"][2]["role"], "tool");
  EXPECT_EQ(body["messages"][2]["tool_call_id"], "call_abc");
}

TEST(OpenAIWire, ArgumentsThatAreNotJsonAreAnError) {
  FakeModelServer s;
  s.Set([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"c1",
      "type":"function","function":{"name":"f","arguments":"{city: Paris"}}]}}]})",
                    "application/json");
  });
  auto p = Make("openai", s.url() + "/v1");
  ai::CompletionRequest req;
  req.model = "gpt-4o";
  req.messages.push_back({"user", "x", "", json()});
  auto r = p->Complete(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not a JSON object"), std::string::npos);
}

TEST(OpenAIWire, Embeddings) {
  FakeModelServer s;
  s.Set([](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.0,1.0]},
      {"object":"embedding","index":0,"embedding":[1.0,0.0]}],"model":"text-embedding-3-small",
      "usage":{"prompt_tokens":4,"total_tokens":4}})",
        "application/json");
  });
  auto p = Make("openai", s.url() + "/v1");
  auto r = p->Embed("text-embedding-3-small", {"a", "b"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value()[0], (std::vector<float>{1.0f, 0.0f}));
  EXPECT_EQ(r.value()[1], (std::vector<float>{0.0f, 1.0f}));
  EXPECT_EQ(s.last().path, "/v1/embeddings");
}

TEST(AnthropicWire, SchemaOutputThroughAForcedTool) {
  FakeModelServer s;
  s.Set([](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"id":"msg_01","type":"message","role":"assistant","model":"claude-3-haiku-20240307",
      "content":[{"type":"tool_use","id":"toolu_01","name":"structured_output",
      "input":{"category":"billing"}}],"stop_reason":"tool_use",
      "usage":{"input_tokens":30,"output_tokens":12}})",
        "application/json");
  });
  auto p = Make("anthropic", s.url());
  auto r = p->Complete(SchemaRequest("claude-3-haiku"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value().structured["category"], "billing");
  EXPECT_EQ(r.value().usage.input_tokens, 30);
  auto seen = s.last();
  EXPECT_EQ(seen.path, "/v1/messages");
  EXPECT_EQ(seen.headers.find("x-api-key")->second, "test-key");
  EXPECT_EQ(seen.headers.find("anthropic-version")->second, "2023-06-01");
  json body = json::parse(seen.body);
  EXPECT_EQ(body["max_tokens"], 64);
  EXPECT_EQ(body["system"], "be brief");
  EXPECT_EQ(body["messages"][0]["role"], "user");
  EXPECT_EQ(body["tools"][0]["name"], "structured_output");
  EXPECT_EQ(body["tools"][0]["input_schema"]["required"][0], "category");
  EXPECT_EQ(body["tool_choice"]["type"], "tool");
}

TEST(AnthropicWire, ToolUseBlocksAndResults) {
  FakeModelServer s;
  s.Set([](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"id":"msg_02","type":"message","role":"assistant","model":"claude-3-5-sonnet",
      "content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_9",
      "name":"get_weather","input":{"city":"Oslo"}}],"stop_reason":"tool_use",
      "usage":{"input_tokens":10,"output_tokens":8}})",
        "application/json");
  });
  auto p = Make("anthropic", s.url());
  ai::CompletionRequest req;
  req.model = "claude-3-5-sonnet";
  req.messages.push_back({"user", "weather in Oslo?", "", json()});
  req.tools.push_back({"get_weather", "Current weather", kWeatherTool});
  auto r = p->Complete(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value().text, "Let me check.");
  ASSERT_EQ(r.value().tool_calls.size(), 1u);
  EXPECT_EQ(r.value().tool_calls[0].arguments["city"], "Oslo");
  json body = json::parse(s.last().body);
  EXPECT_EQ(body["tools"][0]["input_schema"], kWeatherTool);
  EXPECT_FALSE(body.contains("tool_choice"));
  req.messages.push_back(
      {"assistant", "Let me check.", "",
       json::array(
           {{{"id", "toolu_9"}, {"name", "get_weather"}, {"arguments", {{"city", "Oslo"}}}}})});
  req.messages.push_back({"tool", "{\"temp_c\":3}", "toolu_9", json()});
  ASSERT_TRUE(p->Complete(req).ok());
  body = json::parse(s.last().body);
  EXPECT_EQ(body["messages"][1]["content"][1]["type"], "tool_use");
  EXPECT_EQ(body["messages"][1]["content"][1]["input"]["city"], "Oslo");
  EXPECT_EQ(body["messages"][2]["role"], "user");
  EXPECT_EQ(body["messages"][2]["content"][0]["type"], "tool_result");
  EXPECT_EQ(body["messages"][2]["content"][0]["tool_use_id"], "toolu_9");
}

TEST(AnthropicWire, NoEmbeddingsApi) {
  auto p = Make("anthropic", "http://127.0.0.1:1");
  auto r = p->Embed("x", {"a"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
}

TEST(OllamaWire, FormatSchemaAndToolCalls) {
  FakeModelServer s;
  s.Set([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"model":"llama3.1:8b","created_at":"2024-07-22T20:33:28Z",
      "message":{"role":"assistant","content":"{\"category\": \"billing\"}"},
      "done_reason":"stop","done":true,"prompt_eval_count":26,"eval_count":9})",
                    "application/json");
  });
  auto p = Make("ollama", s.url());
  auto r = p->Complete(SchemaRequest("llama3.1:8b"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value().structured["category"], "billing");
  EXPECT_EQ(r.value().usage.input_tokens, 26);
  EXPECT_EQ(r.value().usage.output_tokens, 9);
  auto seen = s.last();
  EXPECT_EQ(seen.path, "/api/chat");
  json body = json::parse(seen.body);
  EXPECT_EQ(body["stream"], false);
  EXPECT_EQ(body["format"]["required"][0], "category");
  EXPECT_EQ(body["options"]["num_predict"], 64);
  EXPECT_EQ(body["messages"][0]["role"], "system");

  s.Set([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"model":"llama3.1:8b","message":{"role":"assistant","content":"",
      "tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Rome"}}}]},"done":true})",
                    "application/json");
  });
  ai::CompletionRequest req;
  req.model = "llama3.1:8b";
  req.messages.push_back({"user", "weather?", "", json()});
  req.tools.push_back({"get_weather", "Current weather", kWeatherTool});
  r = p->Complete(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r.value().tool_calls.size(), 1u);
  EXPECT_EQ(r.value().tool_calls[0].arguments["city"], "Rome");
  EXPECT_EQ(json::parse(s.last().body)["tools"][0]["function"]["name"], "get_weather");
}

TEST(ModelClient, RetriesA429ThenSucceeds) {
  FakeModelServer s;
  std::atomic<int> n{0};
  s.Set([&](const httplib::Request&, httplib::Response& res) {
    if (n++ == 0) {
      res.status = 429;
      res.set_content(R"({"error":{"message":"Rate limit reached","type":"requests"}})",
                      "application/json");
      return;
    }
    res.set_content(
        R"({"choices":[{"message":{"role":"assistant","content":"{\"category\":\"x\"}"}}],
      "usage":{"prompt_tokens":1000000,"completion_tokens":0}})",
        "application/json");
  });
  std::atomic<int64_t> calls{0}, retries{0}, cost{0}, in_tokens{0};
  ai::ClientCounters cc;
  cc.calls = &calls;
  cc.retries = &retries;
  cc.cost_micro_usd = &cost;
  cc.input_tokens = &in_tokens;
  ai::ClientOptions o;
  o.backoff_ms = 10;
  o.pricing = ai::DefaultPricing("openai", "gpt-4o-mini");
  ai::ModelClient client(Make("openai", s.url() + "/v1"), o, cc);
  double usd = 0;
  auto r = client.Complete(SchemaRequest("gpt-4o-mini"), &usd);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(s.hits(), 2);
  EXPECT_EQ(retries.load(), 1);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(in_tokens.load(), 1000000);
  EXPECT_NEAR(usd, 0.15, 1e-9);  // gpt-4o-mini: $0.15 per million input tokens
  EXPECT_EQ(cost.load(), 150000);
  // The same request again comes from the cache: no call, no cost.
  bool hit = false;
  ASSERT_TRUE(client.Complete(SchemaRequest("gpt-4o-mini"), &usd, &hit).ok());
  EXPECT_TRUE(hit);
  EXPECT_EQ(usd, 0);
  EXPECT_EQ(s.hits(), 2);
}

TEST(ModelClient, BadRequestIsNotRetried) {
  FakeModelServer s;
  s.Set([](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"error":{"message":"bad schema"}})", "application/json");
  });
  ai::ClientOptions o;
  o.backoff_ms = 1;
  ai::ModelClient client(Make("openai", s.url() + "/v1"), o, {});
  auto r = client.Complete(SchemaRequest("gpt-4o"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.hits(), 1);
}

TEST(ModelClient, CircuitOpensAfterRepeated500sAndRecovers) {
  FakeModelServer s;
  std::atomic<bool> healthy{false};
  s.Set([&](const httplib::Request&, httplib::Response& res) {
    if (!healthy) {
      res.status = 500;
      res.set_content(R"({"error":{"message":"internal"}})", "application/json");
      return;
    }
    res.set_content(
        R"({"choices":[{"message":{"role":"assistant","content":"{\"category\":\"ok\"}"}}]})",
        "application/json");
  });
  std::atomic<int64_t> rejected{0}, failures{0};
  ai::ClientCounters cc;
  cc.breaker_rejected = &rejected;
  cc.failures = &failures;
  ai::ClientOptions o;
  o.max_retries = 1;
  o.backoff_ms = 1;
  o.breaker_failures = 3;
  o.breaker_cooldown_ms = 200;
  o.cache_entries = 0;
  ai::ModelClient client(Make("openai", s.url() + "/v1"), o, cc);
  for (int i = 0; i < 3; ++i) {
    auto r = client.Complete(SchemaRequest("gpt-4o"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("HTTP 500"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(s.hits(), 6);  // 3 calls x (1 + 1 retry)
  EXPECT_EQ(client.breaker_state(), ai::ModelClient::BreakerState::kOpen);
  auto r = client.Complete(SchemaRequest("gpt-4o"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("circuit open"), std::string::npos);
  EXPECT_EQ(s.hits(), 6);  // failed fast: the server was not asked
  EXPECT_EQ(rejected.load(), 1);
  // After the cooldown one call tries; success closes the circuit.
  healthy = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  ASSERT_TRUE(client.Complete(SchemaRequest("gpt-4o")).ok());
  EXPECT_EQ(client.breaker_state(), ai::ModelClient::BreakerState::kClosed);
}

TEST(ProviderChoice, ModelNamesKeysAndOverrides) {
  auto none = Env({});
  auto c = ai::ChooseProvider("gpt-4", "", "", none);
  EXPECT_EQ(c.provider, "openai");
  EXPECT_FALSE(c.usable.ok());
  EXPECT_NE(c.usable.message().find("OPENAI_API_KEY is not set"), std::string::npos);
  c = ai::ChooseProvider("claude-3-haiku", "", "", Env({{"ANTHROPIC_API_KEY", "k"}}));
  EXPECT_EQ(c.provider, "anthropic");
  EXPECT_TRUE(c.usable.ok());
  EXPECT_NE(c.reason.find("ANTHROPIC_API_KEY is set"), std::string::npos);
  EXPECT_EQ(ai::ChooseProvider("llama3:8b", "", "", none).provider, "ollama");
  EXPECT_EQ(ai::ChooseProvider("embedded", "", "", none).provider, "embedded");
  EXPECT_EQ(ai::ChooseProvider("my-model", "ollama", "", none).provider, "ollama");
  EXPECT_EQ(ai::ChooseProvider("gpt-4", "", "embedded", none).provider, "embedded");
  EXPECT_FALSE(ai::ChooseProvider("fraud-detector-v2", "", "", none).usable.ok());
}

TEST(Embedded, SentimentNegationAndUrgency) {
  auto pos = ai::embedded::Analyze("I love it, great support", nullptr, 4);
  EXPECT_GT(pos.sentiment.score, 0.3);
  EXPECT_STREQ(pos.sentiment.label, "positive");
  auto neg = ai::embedded::Analyze("This is not good at all", nullptr, 4);
  EXPECT_LT(neg.sentiment.score, 0);
  auto urgent =
      ai::embedded::Analyze("URGENT: production is DOWN, fix it immediately!!", nullptr, 4);
  EXPECT_EQ(urgent.priority.level, 3u);
  EXPECT_TRUE(urgent.priority.urgent);
  auto calm = ai::embedded::Analyze("Do you have an office in Berlin?", nullptr, 4);
  EXPECT_EQ(calm.priority.level, 0u);
  EXPECT_FALSE(calm.priority.urgent);
  ai::embedded::Classifier c({{"billing", {}}, {"technical", {}}, {"other", {}}});
  EXPECT_EQ(
      c.name(ai::embedded::Analyze("I was charged twice, refund please", &c, 0).category.index),
      "billing");
  EXPECT_EQ(c.name(ai::embedded::Analyze("the app crashes with an error", &c, 0).category.index),
            "technical");
  auto fallback = ai::embedded::Analyze("hello there", &c, 0);
  EXPECT_EQ(c.name(fallback.category.index), "other");
  EXPECT_FALSE(fallback.category.matched);
  auto x =
      ai::embedded::Extract("mail bob@example.com about order #12345, $19.99 at https://x.io/a");
  EXPECT_EQ(x.emails, std::vector<std::string>{"bob@example.com"});
  EXPECT_EQ(x.order_ids, std::vector<std::string>{"12345"});
  EXPECT_EQ(x.amounts, std::vector<std::string>{"$19.99"});
  EXPECT_EQ(x.urls, std::vector<std::string>{"https://x.io/a"});
  auto a = ai::embedded::Embed("refund my payment");
  auto b = ai::embedded::Embed("payment refund please");
  auto d = ai::embedded::Embed("the weather in Oslo");
  EXPECT_GT(ai::embedded::Cosine(a, b), ai::embedded::Cosine(a, d));
}

TEST(Embedded, FillerMapsSchemaFieldsAndRejectsUnknownRequiredOnes) {
  json schema = {{"type", "object"},
                 {"properties",
                  {{"category", {{"type", "string"}}},
                   {"sentiment", {{"type", "number"}, {"minimum", -1}, {"maximum", 1}}},
                   {"priority", {{"enum", {"low", "medium", "high", "critical"}}}},
                   {"actions", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
  auto f = ai::embedded::Filler::Make({"classify-and-enrich"}, schema,
                                      {{"billing", {}}, {"general", {}}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  std::vector<Member> out;
  double conf = 0;
  f.value().Fill("I was overcharged, this is unacceptable, refund me now", &out, &conf);
  ASSERT_EQ(out.size(), 4u);
  Value obj(out);
  ASSERT_TRUE(obj.Find("category") && obj.Find("category")->is_string());
  EXPECT_EQ(obj.Find("category")->as_string(), "billing");
  ASSERT_TRUE(obj.Find("sentiment") && obj.Find("sentiment")->is_number());
  EXPECT_LT(obj.Find("sentiment")->as_number(), 0);
  ASSERT_TRUE(obj.Find("priority") && obj.Find("priority")->is_string());
  EXPECT_TRUE(obj.Find("actions") && obj.Find("actions")->is_array());
  json bad = {{"type", "object"},
              {"properties", {{"translation_fr", {{"type", "string"}}}}},
              {"required", {"translation_fr"}}};
  auto g = ai::embedded::Filler::Make({"classify-and-enrich"}, bad, {});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("translation_fr"), std::string::npos);
}

// The real binary, its ai-processor pointed at the fake OpenAI server.
class AiPipelineTest : public ::testing::Test {
 protected:
  std::string Run(const std::string& yaml, int* rc) {
    testing::WriteFile(dir_.File("p.yaml"), yaml);
    std::string cmd = "cd " + dir_.path() +
                      " && OPENAI_API_KEY=test OPENAI_BASE_URL=" + server_.url() + "/v1 " +
                      testing::Flowctl() + " apply p.yaml -q";
    auto r = testing::RunCommand(cmd);
    *rc = r.exit_code;
    return r.out;
  }
  std::string Pipeline(const std::string& extra) {
    return "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n"
           "  sources:\n    - id: in\n      type: file\n      config: {path: in.jsonl}\n"
           "  processors:\n    - id: classify\n      type: ai-processor\n      inputs: [in]\n"
           "      config:\n        model: gpt-4o-mini\n        task: classify\n"
           "        categories: [billing, technical]\n        max_retries: 0\n" +
           extra +
           "      on_error: {dead_letter: {to: dlq}}\n"
           "  sinks:\n    - id: out\n      type: file\n      inputs: [classify]\n"
           "      config: {path: out.jsonl}\n"
           "    - id: dlq\n      type: dead-letter\n      config: {path: dead.jsonl}\n";
  }
  testing::TempDir dir_;
  FakeModelServer server_;
};

TEST_F(AiPipelineTest, MalformedModelAnswerGoesToTheDeadLetterQueue) {
  testing::WriteFile(dir_.File("in.jsonl"),
                     "{\"id\":1,\"message\":\"charged twice\"}\n"
                     "{\"id\":2,\"message\":\"app crashes\"}\n"
                     "{\"id\":3,\"message\":\"what is this\"}\n");
  server_.Set([](const httplib::Request& req, httplib::Response& res) {
    std::string content;
    if (req.body.find("charged twice") != std::string::npos)
      content = "{\"category\":\"billing\"}";
    else if (req.body.find("app crashes") != std::string::npos)
      content = "{\"category\":\"weather\"}";
    else
      content = "I think it is billing";
    json j = {{"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}}}},
              {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}};
    res.set_content(j.dump(), "application/json");
  });
  int rc = -1;
  std::string out = Run(Pipeline(""), &rc);
  EXPECT_EQ(rc, 0) << out;
  auto ok = testing::ReadLines(dir_.File("out.jsonl"));
  ASSERT_EQ(ok.size(), 1u) << out;
  EXPECT_EQ(json::parse(ok[0])["category"], "billing");
  auto dead = testing::ReadLines(dir_.File("dead.jsonl"));
  ASSERT_EQ(dead.size(), 2u);
  std::string all = dead[0] + dead[1];
  EXPECT_NE(all.find("does not match output_schema"), std::string::npos) << all;  // weather
  EXPECT_NE(all.find("not JSON"), std::string::npos) << all;                      // prose answer
}

TEST_F(AiPipelineTest, ProviderDownOpensTheCircuitAndEventsGoToTheDlq) {
  std::string in;
  for (int i = 0; i < 20; ++i)
    in += "{\"id\":" + std::to_string(i) + ",\"message\":\"m" + std::to_string(i) + "\"}\n";
  testing::WriteFile(dir_.File("in.jsonl"), in);
  server_.Set([](const httplib::Request&, httplib::Response& res) { res.status = 503; });
  int rc = -1;
  std::string out = Run(Pipeline("        max_concurrency: 1\n        circuit_breaker: {failures: "
                                 "3, cooldown_ms: 60000}\n"),
                        &rc);
  EXPECT_EQ(rc, 0) << out;
  auto dead = testing::ReadLines(dir_.File("dead.jsonl"));
  EXPECT_EQ(dead.size(), 20u);
  EXPECT_EQ(server_.hits(), 3);  // then the circuit was open
  std::string all;
  for (const auto& d : dead) all += d;
  EXPECT_NE(all.find("circuit open"), std::string::npos);
}

TEST_F(AiPipelineTest, ValidateNamesTheProviderAndAMissingKey) {
  testing::WriteFile(dir_.File("p.yaml"), Pipeline(""));
  auto r = testing::RunCommand("cd " + dir_.path() + " && env -u OPENAI_API_KEY " +
                               testing::Flowctl() + " validate p.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("will use provider openai (model 'gpt-4o-mini' maps to openai), but "
                       "OPENAI_API_KEY is not set"),
            std::string::npos)
      << r.out;
  testing::WriteFile(dir_.File("in.jsonl"), "{\"message\":\"x\"}\n");
  r = testing::RunCommand("cd " + dir_.path() + " && env -u OPENAI_API_KEY " + testing::Flowctl() +
                          " apply p.yaml -q");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("OPENAI_API_KEY is not set"), std::string::npos) << r.out;
  r = testing::RunCommand("cd " + dir_.path() + " && env -u OPENAI_API_KEY " + testing::Flowctl() +
                          " --ai-provider embedded apply p.yaml -q");
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

std::string AgentPipeline(const std::string& limits) {
  return "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: agent}\nspec:\n"
         "  sources:\n    - id: in\n      type: file\n      config: {path: in.jsonl}\n"
         "  processors:\n    - id: agent\n      type: agent-processor\n      inputs: [in]\n"
         "      config:\n        agent: {model: gpt-4o-mini, capabilities: [data-enrichment]}\n"
         "        max_retries: 0\n"
         "        tools:\n          - {name: query-database, type: sql, database: db.sql}\n"
         "        output_schema: {type: object, properties: {tier: {type: string}}, required: "
         "[tier]}\n"
         "        limits: " +
         limits +
         "\n"
         "      on_error: {dead_letter: {to: dlq}}\n"
         "  sinks:\n    - id: out\n      type: file\n      inputs: [agent]\n      config: {path: "
         "out.jsonl}\n"
         "    - id: dlq\n      type: dead-letter\n      config: {path: dead.jsonl}\n";
}

TEST_F(AiPipelineTest, AgentCallsAToolThenAnswers) {
  testing::WriteFile(dir_.File("db.sql"),
                     "CREATE TABLE customers (id TEXT, tier TEXT);"
                     "INSERT INTO customers VALUES ('ada', 'gold'), ('bob', 'silver');");
  testing::WriteFile(dir_.File("in.jsonl"), "{\"customer\":\"ada\"}\n");
  std::mutex mu;
  std::vector<json> bodies;
  server_.Set([&](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body);
    {
      std::lock_guard<std::mutex> lk(mu);
      bodies.push_back(body);
    }
    bool has_result = false;
    for (const auto& m : body["messages"]) has_result = has_result || m["role"] == "tool";
    json msg;
    if (!has_result) {
      msg = {{"role", "assistant"},
             {"content", nullptr},
             {"tool_calls",
              {{{"id", "call_1"},
                {"type", "function"},
                {"function",
                 {{"name", "query-database"},
                  {"arguments",
                   "{\"query\":\"SELECT tier FROM customers WHERE id = :id\","
                   "\"params\":{\"id\":\"ada\"}}"}}}}}}};
    } else {
      msg = {{"role", "assistant"}, {"content", "{\"tier\":\"gold\"}"}};
    }
    res.set_content(json({{"choices", {{{"message", msg}}}},
                          {"usage", {{"prompt_tokens", 100}, {"completion_tokens", 10}}}})
                        .dump(),
                    "application/json");
  });
  int rc = -1;
  std::string out = Run(AgentPipeline("{max_steps: 4}"), &rc);
  ASSERT_EQ(rc, 0) << out;
  auto lines = testing::ReadLines(dir_.File("out.jsonl"));
  ASSERT_EQ(lines.size(), 1u) << out;
  json e = json::parse(lines[0]);
  EXPECT_EQ(e["agent"]["answer"]["tier"], "gold");
  EXPECT_EQ(e["agent"]["steps"], 2);
  EXPECT_EQ(e["agent"]["tools_used"], json::array({"query-database"}));
  std::lock_guard<std::mutex> lk(mu);  // the server thread wrote them
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0]["tools"][0]["function"]["name"], "query-database");
  const json& tool_msg = bodies[1]["messages"].back();
  EXPECT_EQ(tool_msg["role"], "tool");
  EXPECT_EQ(tool_msg["tool_call_id"], "call_1");
  EXPECT_NE(tool_msg["content"].get<std::string>().find("gold"), std::string::npos);
}

TEST_F(AiPipelineTest, AgentThatNeverAnswersIsStoppedByItsStepLimit) {
  testing::WriteFile(dir_.File("db.sql"), "CREATE TABLE t (x INTEGER);");
  testing::WriteFile(dir_.File("in.jsonl"), "{\"customer\":\"ada\"}\n");
  server_.Set([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"c",
      "type":"function","function":{"name":"query-database","arguments":"{\"query\":\"SELECT 1\"}"}}]}}]})",
                    "application/json");
  });
  int rc = -1;
  std::string out = Run(AgentPipeline("{max_steps: 3}"), &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(server_.hits(), 3);
  auto dead = testing::ReadLines(dir_.File("dead.jsonl"));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].find("max_steps 3 reached"), std::string::npos) << dead[0];
}

TEST(AgentTools, SqlIsReadOnlyAndHttpStaysUnderItsBase) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("db.sql"),
                     "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2);");
  auto sql = ai::MakeAgentTool({{"name", "db"}, {"type", "sql"}, {"database", dir.File("db.sql")}});
  ASSERT_TRUE(sql.ok()) << sql.status().ToString();
  EXPECT_EQ(sql.value()->Run({{"query", "SELECT count(*) AS n FROM t"}})["rows"][0]["n"], 2);
  EXPECT_TRUE(sql.value()->Run({{"query", "DELETE FROM t"}}).contains("error"));
  EXPECT_TRUE(
      sql.value()->Run({{"query", "WITH x AS (SELECT 1) DELETE FROM t"}}).contains("error"));
  EXPECT_EQ(sql.value()->Run({{"query", "SELECT count(*) AS n FROM t"}})["rows"][0]["n"], 2);
  FakeModelServer s;
  s.Set([](const httplib::Request& req, httplib::Response& res) {
    res.set_content("{\"path\":\"" + req.path + "\"}", "application/json");
  });
  auto http = ai::MakeAgentTool({{"name", "api"}, {"type", "http"}, {"base_url", s.url() + "/v2"}});
  ASSERT_TRUE(http.ok());
  json r = http.value()->Run({{"path", "/users/7"}});
  EXPECT_EQ(r["status"], 200);
  EXPECT_EQ(r["body"]["path"], "/v2/users/7");
  EXPECT_TRUE(http.value()->Run({{"path", "http://evil.example/x"}}).contains("error"));
  EXPECT_TRUE(http.value()->Run({{"path", "/../admin"}}).contains("error"));
  // Encoded climbs are decoded before the check (twice-encoded too), and a
  // backslash is a separator to some servers.
  for (const char* p : {"/%2e%2e/admin", "/%2E%2e/admin", "/x/%2e%2e%2f%2e%2e%2fadmin",
                        "/x%2f..%2fadmin", "/%252e%252e/admin", "/..\\admin", "/x%5c..%5cadmin",
                        "/./admin", "/%2e/admin", "/x/..", "/%40evil", "/a%00b"})
    EXPECT_TRUE(http.value()->Run({{"path", p}}).contains("error")) << p;
  // Dots that are not a whole segment are fine.
  EXPECT_EQ(http.value()->Run({{"path", "/files/a..b.txt"}})["status"], 200);
  EXPECT_EQ(http.value()->Run({{"path", "/users/7?q=a/../b"}})["status"], 200);
  EXPECT_FALSE(ai::MakeAgentTool({{"name", "x"}, {"type", "ftp"}}).ok());
}

TEST(HttpUrl, AcceptsHttpAndHttpsOnlyWithAHostAndAValidPort) {
  auto u = ai::ParseHttpUrl("HTTPS://api.example.com/v1/");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u.value().Origin(), "https://api.example.com:443");
  EXPECT_EQ(u.value().path, "/v1");
  u = ai::ParseHttpUrl("http://[::1]:8080");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u.value().Origin(), "http://[::1]:8080");
  EXPECT_EQ(u.value().path, "");
  EXPECT_TRUE(ai::ParseHttpUrl("http://127.0.0.1:1/x/y").ok());
  struct Bad {
    const char* url;
    const char* why;
  };
  for (const Bad& b : std::vector<Bad>{{"ftp://example.com", "scheme 'ftp' is not supported"},
                                       {"example.com", "no scheme"},
                                       {"http://", "no host"},
                                       {"http:///x", "no host"},
                                       {"http://h:0", "out of range"},
                                       {"http://h:65536", "out of range"},
                                       {"http://h:99999999999999999999", "out of range"},
                                       {"http://h:8o", "not a number"},
                                       {"http://h:", "without a port"},
                                       {"http://u:p@h", "user:password@"},
                                       {"http://h/x?a=1", "query"},
                                       {"http://h x", "space"},
                                       {"http://[::1", "without ']'"},
                                       {"http://h%2f", "in the host"}}) {
    auto r = ai::ParseHttpUrl(b.url);
    ASSERT_FALSE(r.ok()) << b.url;
    EXPECT_NE(r.status().message().find(b.why), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("valid: http://HOST"), std::string::npos);
  }
}

// A bad URL from the environment is an error when the provider is made, and
// a tool built around the check never throws from Run.
TEST(HttpUrl, ProvidersAndToolsReturnErrorsInsteadOfThrowing) {
  auto env = [](const std::string& n) -> std::string {
    if (n == "OPENAI_API_KEY" || n == "ANTHROPIC_API_KEY") return "k";
    if (n == "OPENAI_BASE_URL") return "ftp://x/v1";
    if (n == "ANTHROPIC_BASE_URL") return "https://h:70000";
    if (n == "OLLAMA_HOST") return "localhost:11434x";
    return "";
  };
  for (const char* name : {"openai", "anthropic", "ollama"}) {
    ai::ProviderOptions po;
    po.name = name;
    auto p = ai::MakeProvider(po, env);
    ASSERT_FALSE(p.ok()) << name;
    EXPECT_NE(p.status().message().find("is not a valid URL"), std::string::npos)
        << p.status().message();
  }
  ai::ProviderOptions po;
  po.name = "openai";
  po.base_url = "gopher://h";
  auto p = ai::MakeProvider(po, env);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("base_url: 'gopher://h'"), std::string::npos)
      << p.status().message();
  auto t = ai::MakeAgentTool({{"name", "w"}, {"type", "http"}, {"base_url", "ftp://h"}});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

// Validate checks a sql tool without running its script; building it runs
// the script into memory, where ATTACH / VACUUM INTO cannot create files.
TEST(AgentTools, CheckRunsNoScriptAndScriptsCannotCreateFiles) {
  testing::TempDir dir;
  std::string made = dir.File("made.db");
  testing::WriteFile(dir.File("attach.sql"),
                     "ATTACH DATABASE '" + made + "' AS c; CREATE TABLE c.t (x INTEGER);");
  testing::WriteFile(dir.File("vacuum.sql"),
                     "CREATE TABLE t (x INTEGER); VACUUM INTO '" + made + "';");
  for (const char* script : {"attach.sql", "vacuum.sql"}) {
    json c = {{"name", "db"}, {"type", "sql"}, {"database", dir.File(script)}};
    EXPECT_TRUE(ai::CheckAgentTool(c).ok()) << script;
    EXPECT_FALSE(std::filesystem::exists(made)) << script << ": check ran the script";
    auto t = ai::MakeAgentTool(c);
    ASSERT_FALSE(t.ok()) << script;
    EXPECT_NE(t.status().message().find("ATTACH and VACUUM INTO are refused"), std::string::npos)
        << t.status().message();
    EXPECT_FALSE(std::filesystem::exists(made)) << script << ": the script created a file";
  }
  json missing = {{"name", "db"}, {"type", "sql"}, {"database", dir.File("none.sql")}};
  EXPECT_EQ(ai::CheckAgentTool(missing).code(), StatusCode::kNotFound);
  // A query cannot attach a file either.
  testing::WriteFile(dir.File("ok.sql"), "CREATE TABLE t (x INTEGER);");
  auto t = ai::MakeAgentTool({{"name", "db"}, {"type", "sql"}, {"database", dir.File("ok.sql")}});
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t.value()->Run({{"query", "WITH a AS (SELECT 1) SELECT * FROM a"}}).contains("rows"));
}

// A query that never ends is interrupted by the call's deadline, and by the
// run's stop flag when there is no deadline.
TEST(AgentTools, EndlessRecursiveQueryStopsAtTheDeadlineOrTheStopFlag) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("db.sql"), "CREATE TABLE t (x INTEGER);");
  auto t = ai::MakeAgentTool({{"name", "db"}, {"type", "sql"}, {"database", dir.File("db.sql")}});
  ASSERT_TRUE(t.ok());
  json endless = {{"query",
                   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                   "SELECT count(*) AS n FROM c"}};
  using Clock = std::chrono::steady_clock;
  ai::CallBounds b;
  auto start = Clock::now();
  b.deadline = start + std::chrono::milliseconds(200);
  json r = t.value()->Run(endless, b);
  auto took = Clock::now() - start;
  ASSERT_TRUE(r.contains("error")) << r.dump();
  EXPECT_NE(r["error"].get<std::string>().find("max_time_ms"), std::string::npos) << r.dump();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  std::atomic<bool> stop{false};
  ai::CallBounds s;
  s.stop = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  start = Clock::now();
  r = t.value()->Run(endless, s);
  took = Clock::now() - start;
  stopper.join();
  EXPECT_TRUE(r.contains("error")) << r.dump();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  // A quick query is not affected by a deadline.
  b.deadline = Clock::now() + std::chrono::seconds(5);
  EXPECT_EQ(t.value()->Run({{"query", "SELECT 7 AS n"}}, b)["rows"][0]["n"], 7);
}

TEST(AgentTools, RedisAgainstARealServer) {
  if (std::system("command -v redis-server >/dev/null") != 0)
    GTEST_SKIP() << "redis-server missing";
  testing::TempDir dir;
  std::string sock = dir.File("r.sock");
  std::string cmd = "redis-server --port 0 --unixsocket " + sock +
                    " --daemonize yes --save '' --pidfile " + dir.File("r.pid") + " --dir " +
                    dir.path() + " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  for (int i = 0; i < 200 && !std::filesystem::exists(sock); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto t = ai::MakeAgentTool({{"name", "cache"}, {"type", "redis"}, {"address", "unix:" + sock}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t.value()->Run({{"op", "get"}, {"key", "k"}})["found"], false);
  EXPECT_EQ(t.value()->Run({{"op", "set"}, {"key", "k"}, {"value", {{"n", 42}}}})["ok"], true);
  json got = t.value()->Run({{"op", "get"}, {"key", "k"}});
  EXPECT_EQ(got["found"], true);
  EXPECT_EQ(got["value"]["n"], 42);
  std::system(("kill $(cat " + dir.File("r.pid") + ")").c_str());
  auto down =
      ai::MakeAgentTool({{"name", "cache"}, {"type", "redis"}, {"address", "unix:" + sock}});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(down.value()->Run({{"op", "get"}, {"key", "k"}}).contains("error"));
}

}  // namespace
}  // namespace flowctl
