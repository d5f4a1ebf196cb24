// The remote providers: OpenAI-compatible chat completions, Anthropic
// Messages and Ollama's native /api/chat, over cpp-httplib (HTTP and HTTPS).
// Connections are kept alive in a pool per provider: a TLS handshake per
// call would cost more than many answers, and a burst of new connections
// overflows small listen backlogs.
#include <httplib.h>

#include <mutex>

#include "flowctl/ai/agent_tools.h"
#include "flowctl/ai/http_url.h"
#include "flowctl/data/json_bounded.h"
#include "internal.h"

namespace flowctl::ai::internal {
namespace {

using nlohmann::json;

struct Endpoint {
  std::string origin;  // scheme://host:port; empty when the URL is not valid
  std::string prefix;  // path before the API's own path ("/v1")
  std::string error;   // why the URL is not valid
};

Endpoint SplitUrl(const std::string& url) {
  Endpoint e;
  auto u = ParseHttpUrl(url);
  if (!u.ok()) {
    e.error = u.status().message();
    return e;
  }
  e.origin = u.value().Origin();
  e.prefix = u.value().path;
  return e;
}

// An httplib client for a checked origin, or null. httplib throws on what
// it cannot parse; no exception may leave a component, so it stops here.
std::unique_ptr<httplib::Client> NewClient(const Endpoint& ep, int timeout_ms) {
  if (ep.origin.empty()) return nullptr;
  std::unique_ptr<httplib::Client> c;
  try {
    c = std::make_unique<httplib::Client>(ep.origin);
  } catch (const std::exception&) {
    return nullptr;
  }
  if (!c->is_valid()) return nullptr;
  time_t sec = timeout_ms / 1000;
  time_t usec = static_cast<time_t>(timeout_ms % 1000) * 1000;
  c->set_connection_timeout(sec, usec);
  c->set_read_timeout(sec, usec);
  c->set_write_timeout(sec, usec);
  return c;
}

std::string Excerpt(const std::string& body) {
  std::string s = body.substr(0, 300);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// Idle keep-alive clients of one origin; a call takes one (or makes one)
// and gives it back.
class ClientPool {
 public:
  ClientPool(std::string base_url, int timeout_ms)
      : ep_(SplitUrl(base_url)), timeout_ms_(timeout_ms) {}
  const Endpoint& endpoint() const { return ep_; }
  std::unique_ptr<httplib::Client> Take() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    auto c = NewClient(ep_, timeout_ms_);
    if (c == nullptr) return nullptr;
    c->set_keep_alive(true);
    // Headers and body go out in separate writes: without this, Nagle waits
    // for the delayed ACK (40 ms) on every reused connection.
    c->set_tcp_nodelay(true);
    return c;
  }
  void Give(std::unique_ptr<httplib::Client> c) {
    std::lock_guard<std::mutex> lk(mu_);
    if (idle_.size() < 64) idle_.push_back(std::move(c));
  }

 private:
  Endpoint ep_;
  int timeout_ms_;
  std::mutex mu_;
  std::vector<std::unique_ptr<httplib::Client>> idle_;
};

Result<json> PostJson(const std::string& provider, ClientPool& pool, const std::string& base_url,
                      const std::string& path, const httplib::Headers& headers, const json& body) {
  const Endpoint& ep = pool.endpoint();
  auto cli = pool.Take();
  if (cli == nullptr)
    return Status::Invalid(provider + ": base_url " +
                           (ep.error.empty() ? "'" + base_url + "' is not usable" : ep.error));
  std::string url = ep.prefix + path;
  auto res = cli->Post(url, headers, body.dump(), "application/json");
  // A broken connection is not put back; a fresh one is made next time.
  if (res) pool.Give(std::move(cli));
  if (!res)
    return Status::Unavailable(provider + ": cannot reach " + ep.origin + url + ": " +
                               httplib::to_string(res.error()));
  int code = res->status;
  if (code == 429 || code == 408 || code >= 500)
    return Status::Unavailable(provider + ": HTTP " + std::to_string(code) + ": " +
                               Excerpt(res->body));
  if (code == 401 || code == 403)
    return Status(StatusCode::kFailedPrecondition, provider + ": HTTP " + std::to_string(code) +
                                                       " (key rejected?): " + Excerpt(res->body));
  if (code < 200 || code >= 300)
    return Status::Invalid(provider + ": HTTP " + std::to_string(code) + ": " + Excerpt(res->body));
  json parsed = ParseJsonBoundedOrDiscarded(res->body);
  if (parsed.is_discarded() || !parsed.is_object())
    return Status::Invalid(provider + ": the answer is not a JSON object: " + Excerpt(res->body));
  return parsed;
}

// The answer text as the structured result the request asked for.
Status ParseStructured(const std::string& provider, CompletionResponse* r) {
  std::string t = r->text;
  // Models often wrap JSON in a fenced block despite being told not to.
  size_t fence = t.find("```");
  if (fence != std::string::npos) {
    size_t start = t.find('\n', fence);
    size_t end = t.rfind("```");
    if (start != std::string::npos && end > start) t = t.substr(start + 1, end - start - 1);
  }
  json j = ParseJsonBoundedOrDiscarded(t);
  if (j.is_discarded())
    return Status::Invalid(provider + ": the model's answer is not JSON: " + Excerpt(r->text));
  r->structured = std::move(j);
  return Status::OK();
}

// The tools in the OpenAI function format (Ollama's /api/chat takes it too).
json FunctionTools(const std::vector<ToolDefinition>& tools) {
  json out = json::array();
  for (const auto& t : tools)
    out.push_back(
        {{"type", "function"},
         {"function",
          {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}});
  return out;
}

Result<json> GetPath(const json& j, std::initializer_list<const char*> path,
                     const std::string& provider) {
  const json* cur = &j;
  std::string where;
  for (const char* p : path) {
    where += std::string("/") + p;
    if (cur->is_array()) {
      size_t i = static_cast<size_t>(std::atoi(p));
      if (i >= cur->size()) return Status::Invalid(provider + ": malformed answer: no " + where);
      cur = &(*cur)[i];
    } else if (cur->is_object() && cur->contains(p)) {
      cur = &(*cur)[p];
    } else {
      return Status::Invalid(provider + ": malformed answer: no " + where);
    }
  }
  return *cur;
}

class OpenAIProvider : public Provider {
 public:
  OpenAIProvider(std::string base, std::string key, int timeout_ms)
      : base_(std::move(base)),
        key_(std::move(key)),
        timeout_ms_(timeout_ms),
        pool_(base_, timeout_ms) {}
  const std::string& name() const override { return name_; }

  Result<CompletionResponse> Complete(const CompletionRequest& req) override {
    json messages = json::array();
    if (!req.system.empty()) messages.push_back({{"role", "system"}, {"content", req.system}});
    for (const auto& m : req.messages) {
      json msg = {{"role", m.role}, {"content", m.content}};
      if (m.role == "tool") msg["tool_call_id"] = m.tool_call_id;
      if (m.role == "assistant" && m.tool_calls.is_array() && !m.tool_calls.empty()) {
        json calls = json::array();
        for (const auto& c : m.tool_calls)
          calls.push_back({{"id", c.value("id", "")},
                           {"type", "function"},
                           {"function",
                            {{"name", c.value("name", "")},
                             {"arguments", c.value("arguments", json::object()).dump()}}}});
        msg["tool_calls"] = calls;
      }
      messages.push_back(msg);
    }
    json body = {{"model", req.model},
                 {"messages", messages},
                 {"max_tokens", req.max_tokens},
                 {"temperature", req.temperature}};
    if (!req.output_schema.is_null())
      body["response_format"] = {
          {"type", "json_schema"},
          {"json_schema", {{"name", "output"}, {"schema", req.output_schema}, {"strict", false}}}};
    if (!req.tools.empty()) body["tools"] = FunctionTools(req.tools);
    httplib::Headers h = {{"Authorization", "Bearer " + key_}};
    auto res = PostJson(name_, pool_, base_, "/chat/completions", h, body);
    if (!res.ok()) return res.status();
    const json& j = res.value();
    auto msg = GetPath(j, {"choices", "0", "message"}, name_);
    if (!msg.ok()) return msg.status();
    CompletionResponse r;
    r.provider = name_;
    r.model = j.value("model", req.model);
    const json& m = msg.value();
    if (m.contains("content") && m["content"].is_string()) r.text = m["content"].get<std::string>();
    if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
      for (const auto& c : m["tool_calls"]) {
        ToolCall tc;
        tc.id = c.value("id", "");
        auto fn = c.value("function", json::object());
        tc.name = fn.value("name", "");
        // OpenAI sends the arguments as a JSON string.
        std::string args = fn.contains("arguments") && fn["arguments"].is_string()
                               ? fn["arguments"].get<std::string>()
                               : fn.value("arguments", json::object()).dump();
        tc.arguments = ParseJsonBoundedOrDiscarded(args);
        if (tc.arguments.is_discarded() || !tc.arguments.is_object())
          return Status::Invalid(name_ + ": tool call '" + tc.name +
                                 "' has arguments that are not a JSON object: " + Excerpt(args));
        r.tool_calls.push_back(std::move(tc));
      }
    }
    r.stop_reason = j["choices"][0].value("finish_reason", "");
    if (j.contains("usage") && j["usage"].is_object()) {
      r.usage.input_tokens = j["usage"].value("prompt_tokens", 0);
      r.usage.output_tokens = j["usage"].value("completion_tokens", 0);
    }
    if (!req.output_schema.is_null() && r.tool_calls.empty()) {
      Status st = ParseStructured(name_, &r);
      if (!st.ok()) return st;
    }
    return r;
  }

  Result<std::vector<std::vector<float>>> Embed(const std::string& model,
                                                const std::vector<std::string>& texts) override {
    json body = {{"model", model}, {"input", texts}};
    httplib::Headers h = {{"Authorization", "Bearer " + key_}};
    auto res = PostJson(name_, pool_, base_, "/embeddings", h, body);
    if (!res.ok()) return res.status();
    auto data = GetPath(res.value(), {"data"}, name_);
    if (!data.ok()) return data.status();
    std::vector<std::vector<float>> out(texts.size());
    for (const auto& d : data.value()) {
      size_t i = d.value("index", 0);
      if (i >= out.size() || !d.contains("embedding"))
        return Status::Invalid(name_ + ": malformed embeddings answer");
      out[i] = d["embedding"].get<std::vector<float>>();
    }
    return out;
  }

 private:
  std::string name_ = "openai";
  std::string base_, key_;
  int timeout_ms_;
  ClientPool pool_;
};

constexpr char kStructuredTool[] = "structured_output";

class AnthropicProvider : public Provider {
 public:
  AnthropicProvider(std::string base, std::string key, int timeout_ms)
      : base_(std::move(base)),
        key_(std::move(key)),
        timeout_ms_(timeout_ms),
        pool_(base_, timeout_ms) {}
  const std::string& name() const override { return name_; }

  Result<CompletionResponse> Complete(const CompletionRequest& req) override {
    json messages = json::array();
    for (const auto& m : req.messages) {
      if (m.role == "tool") {
        messages.push_back({{"role", "user"},
                            {"content",
                             {{{"type", "tool_result"},
                               {"tool_use_id", m.tool_call_id},
                               {"content", m.content}}}}});
      } else if (m.role == "assistant" && m.tool_calls.is_array() && !m.tool_calls.empty()) {
        json content = json::array();
        if (!m.content.empty()) content.push_back({{"type", "text"}, {"text", m.content}});
        for (const auto& c : m.tool_calls)
          content.push_back({{"type", "tool_use"},
                             {"id", c.value("id", "")},
                             {"name", c.value("name", "")},
                             {"input", c.value("arguments", json::object())}});
        messages.push_back({{"role", "assistant"}, {"content", content}});
      } else {
        messages.push_back({{"role", m.role}, {"content", m.content}});
      }
    }
    json body = {{"model", req.model},
                 {"max_tokens", req.max_tokens},  // required by the Messages API
                 {"messages", messages},
                 {"temperature", req.temperature}};
    if (!req.system.empty()) body["system"] = req.system;
    json tools = json::array();
    for (const auto& t : req.tools)
      tools.push_back(
          {{"name", t.name}, {"description", t.description}, {"input_schema", t.parameters}});
    // Schema-constrained output: a tool whose input is the answer, forced.
    bool forced = !req.output_schema.is_null() && req.tools.empty();
    if (forced) {
      tools.push_back({{"name", kStructuredTool},
                       {"description", "Return the answer with exactly this structure."},
                       {"input_schema", req.output_schema}});
      body["tool_choice"] = {{"type", "tool"}, {"name", kStructuredTool}};
    }
    if (!tools.empty()) body["tools"] = tools;
    httplib::Headers h = {{"x-api-key", key_}, {"anthropic-version", "2023-06-01"}};
    auto res = PostJson(name_, pool_, base_, "/v1/messages", h, body);
    if (!res.ok()) return res.status();
    const json& j = res.value();
    auto content = GetPath(j, {"content"}, name_);
    if (!content.ok()) return content.status();
    if (!content.value().is_array()) return Status::Invalid(name_ + ": malformed answer: content");
    CompletionResponse r;
    r.provider = name_;
    r.model = j.value("model", req.model);
    r.stop_reason = j.value("stop_reason", "");
    bool got_structured = false;
    for (const auto& block : content.value()) {
      std::string type = block.value("type", "");
      if (type == "text") {
        r.text += block.value("text", "");
      } else if (type == "tool_use") {
        json input = block.value("input", json::object());
        if (!input.is_object()) return Status::Invalid(name_ + ": tool_use input is not an object");
        if (forced && block.value("name", "") == kStructuredTool) {
          r.structured = input;
          r.text = input.dump();
          got_structured = true;
        } else {
          r.tool_calls.push_back({block.value("id", ""), block.value("name", ""), input});
        }
      }
    }
    if (j.contains("usage") && j["usage"].is_object()) {
      r.usage.input_tokens = j["usage"].value("input_tokens", 0);
      r.usage.output_tokens = j["usage"].value("output_tokens", 0);
    }
    if (!req.output_schema.is_null() && !got_structured && r.tool_calls.empty()) {
      Status st = ParseStructured(name_, &r);
      if (!st.ok()) return st;
    }
    return r;
  }

  Result<std::vector<std::vector<float>>> Embed(const std::string& model,
                                                const std::vector<std::string>&) override {
    return Status::Unimplemented(
        "anthropic has no embeddings API: use embedding_provider: openai, ollama or embedded");
  }

 private:
  std::string name_ = "anthropic";
  std::string base_, key_;
  int timeout_ms_;
  ClientPool pool_;
};

class OllamaProvider : public Provider {
 public:
  OllamaProvider(std::string base, int timeout_ms)
      : base_(std::move(base)), timeout_ms_(timeout_ms), pool_(base_, timeout_ms) {}
  const std::string& name() const override { return name_; }

  Result<CompletionResponse> Complete(const CompletionRequest& req) override {
    json messages = json::array();
    if (!req.system.empty()) messages.push_back({{"role", "system"}, {"content", req.system}});
    for (const auto& m : req.messages) {
      json msg = {{"role", m.role}, {"content", m.content}};
      if (m.role == "assistant" && m.tool_calls.is_array() && !m.tool_calls.empty()) {
        json calls = json::array();
        for (const auto& c : m.tool_calls)
          calls.push_back({{"function",
                            {{"name", c.value("name", "")},
                             {"arguments", c.value("arguments", json::object())}}}});
        msg["tool_calls"] = calls;
      }
      messages.push_back(msg);
    }
    json body = {{"model", req.model},
                 {"messages", messages},
                 {"stream", false},
                 {"options", {{"temperature", req.temperature}, {"num_predict", req.max_tokens}}}};
    if (!req.output_schema.is_null()) body["format"] = req.output_schema;
    if (!req.tools.empty()) body["tools"] = FunctionTools(req.tools);
    auto res = PostJson(name_, pool_, base_, "/api/chat", {}, body);
    if (!res.ok()) return res.status();
    const json& j = res.value();
    auto msg = GetPath(j, {"message"}, name_);
    if (!msg.ok()) return msg.status();
    CompletionResponse r;
    r.provider = name_;
    r.model = j.value("model", req.model);
    r.text = msg.value().value("content", "");
    if (msg.value().contains("tool_calls") && msg.value()["tool_calls"].is_array()) {
      int n = 0;
      for (const auto& c : msg.value()["tool_calls"]) {
        auto fn = c.value("function", json::object());
        json args = fn.value("arguments", json::object());
        if (args.is_string()) args = ParseJsonBoundedOrDiscarded(args.get<std::string>());
        if (!args.is_object())
          return Status::Invalid(name_ + ": tool call arguments are not an object");
        r.tool_calls.push_back({"call_" + std::to_string(n++), fn.value("name", ""), args});
      }
    }
    r.stop_reason = j.value("done_reason", "");
    r.usage.input_tokens = j.value("prompt_eval_count", 0);
    r.usage.output_tokens = j.value("eval_count", 0);
    if (!req.output_schema.is_null() && r.tool_calls.empty()) {
      Status st = ParseStructured(name_, &r);
      if (!st.ok()) return st;
    }
    return r;
  }

  Result<std::vector<std::vector<float>>> Embed(const std::string& model,
                                                const std::vector<std::string>& texts) override {
    json body = {{"model", model}, {"input", texts}};
    auto res = PostJson(name_, pool_, base_, "/api/embed", {}, body);
    if (!res.ok()) return res.status();
    auto e = GetPath(res.value(), {"embeddings"}, name_);
    if (!e.ok()) return e.status();
    if (!e.value().is_array() || e.value().size() != texts.size())
      return Status::Invalid(name_ + ": malformed embeddings answer");
    return e.value().get<std::vector<std::vector<float>>>();
  }

 private:
  std::string name_ = "ollama";
  std::string base_;
  int timeout_ms_;
  ClientPool pool_;
};

}  // namespace

std::unique_ptr<Provider> MakeOpenAIProvider(std::string base_url, std::string api_key,
                                             int timeout_ms) {
  return std::make_unique<OpenAIProvider>(std::move(base_url), std::move(api_key), timeout_ms);
}
std::unique_ptr<Provider> MakeAnthropicProvider(std::string base_url, std::string api_key,
                                                int timeout_ms) {
  return std::make_unique<AnthropicProvider>(std::move(base_url), std::move(api_key), timeout_ms);
}
std::unique_ptr<Provider> MakeOllamaProvider(std::string base_url, int timeout_ms) {
  return std::make_unique<OllamaProvider>(std::move(base_url), timeout_ms);
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether a tool path stays under the base as the server will read it: the
// check runs on the decoded path (%2e%2e is "..", %2f is "/", repeated
// until nothing decodes, as some servers decode twice), split into
// segments; a backslash is a separator to some servers, so none is allowed.
bool StaysUnderBase(const std::string& raw) {
  if (raw.empty() || raw[0] != '/') return false;
  std::string path = raw;
  for (int round = 0; round < 4; ++round) {
    std::string out;
    bool changed = false;
    for (size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '%' && i + 2 < path.size() && HexValue(path[i + 1]) >= 0 &&
          HexValue(path[i + 2]) >= 0) {
        out += static_cast<char>(HexValue(path[i + 1]) * 16 + HexValue(path[i + 2]));
        i += 2;
        changed = true;
      } else {
        out += path[i];
      }
    }
    path = std::move(out);
    if (!changed) break;
    if (round == 3) return false;  // still encoded after 4 rounds: refuse
  }
  if (path.find("://") != std::string::npos || path.find('@') != std::string::npos ||
      path.find('\\') != std::string::npos)
    return false;
  for (char c : path)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  // Only the path part is checked as segments; a query may hold anything.
  std::string p = path.substr(0, path.find_first_of("?#"));
  size_t b = 1;
  while (b <= p.size()) {
    size_t e = p.find('/', b);
    if (e == std::string::npos) e = p.size();
    std::string seg = p.substr(b, e - b);
    if (seg == ".." || seg == ".") return false;
    b = e + 1;
  }
  return true;
}

// HTTP GET under one origin, for agent-processor.
class HttpGetTool : public AgentTool {
 public:
  HttpGetTool(ToolDefinition def, std::string base, int timeout_ms, size_t max_bytes)
      : def_(std::move(def)),
        base_(std::move(base)),
        timeout_ms_(timeout_ms),
        max_bytes_(max_bytes) {}
  const ToolDefinition& definition() const override { return def_; }
  json Run(const json& args, const CallBounds& bounds) override {
    std::string path = args.value("path", "");
    // The model names a path only: a full URL, or a path that climbs out of
    // the base, would reach somewhere the config did not allow.
    if (!StaysUnderBase(path))
      return {{"error", "path must start with / and stay under " + base_ +
                            " (no '..' or '.' segments, also percent-encoded, no backslashes, "
                            "no '@' or '://')"}};
    // The event's deadline shortens the tool's own timeout.
    int timeout_ms = timeout_ms_;
    if (bounds.deadline != std::chrono::steady_clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      bounds.deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0 || bounds.Expired()) return {{"error", "no time left for GET " + base_ + path}};
      timeout_ms = static_cast<int>(std::min<int64_t>(timeout_ms, left));
    }
    Endpoint ep = SplitUrl(base_);
    auto cli = NewClient(ep, timeout_ms);
    if (cli == nullptr) return {{"error", "base_url " + ep.error}};
    auto res = cli->Get(ep.prefix + path);
    if (!res)
      return {{"error", "GET " + base_ + path + " failed: " + httplib::to_string(res.error())}};
    std::string body = res->body.substr(0, max_bytes_);
    json parsed = ParseJsonBoundedOrDiscarded(body);
    json out = {{"status", res->status}, {"truncated", res->body.size() > max_bytes_}};
    out["body"] = parsed.is_discarded() ? json(body) : parsed;
    return out;
  }

 private:
  ToolDefinition def_;
  std::string base_;
  int timeout_ms_;
  size_t max_bytes_;
};

}  // namespace

std::unique_ptr<AgentTool> MakeHttpGetTool(ToolDefinition def, std::string base_url, int timeout_ms,
                                           size_t max_bytes) {
  return std::make_unique<HttpGetTool>(std::move(def), std::move(base_url), timeout_ms, max_bytes);
}

}  // namespace flowctl::ai::internal
