#include "ai_node.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

#include "flowctl/ai/http_url.h"
#include "flowctl/base/strings.h"
#include "flowctl/component/schema.h"
#include "flowctl/data/json.h"

namespace flowctl::components::ai_common {

using nlohmann::json;

void AddModelProperties(json* p, const std::string& default_model) {
  auto integer = [](int def, int min, const char* desc) {
    return json{{"type", "integer"}, {"minimum", min}, {"default", def}, {"description", desc}};
  };
  (*p)["model"] = {{"type", "string"},
                   {"default", default_model},
                   {"description",
                    "model name: gpt-* -> openai, claude-* -> anthropic, name:tag -> ollama, "
                    "embedded -> the local heuristic models (no key, no network)"}};
  (*p)["provider"] = {{"type", "string"},
                      {"enum", {"openai", "anthropic", "ollama", "embedded"}},
                      {"description", "overrides the provider the model name maps to"}};
  (*p)["base_url"] = {{"type", "string"},
                      {"description",
                       "API base (default: OPENAI_BASE_URL / ANTHROPIC_BASE_URL / OLLAMA_HOST, "
                       "then the vendor's)"}};
  (*p)["api_key_env"] = {{"type", "string"},
                         {"description",
                          "environment variable holding the key (default OPENAI_API_KEY / "
                          "ANTHROPIC_API_KEY)"}};
  (*p)["temperature"] = {{"type", "number"}, {"minimum", 0}, {"maximum", 2}, {"default", 0}};
  (*p)["max_tokens"] = integer(1024, 1, "answer length limit (Anthropic requires one)");
  (*p)["timeout_ms"] = integer(30000, 1, "per call");
  (*p)["max_retries"] = integer(3, 0, "retries on 429/5xx/timeouts, with exponential backoff");
  (*p)["backoff_ms"] = integer(200, 1, "first retry delay, doubled each attempt");
  (*p)["max_concurrency"] = integer(8, 1, "model calls in flight for this node");
  (*p)["circuit_breaker"] = {
      {"type", "object"},
      {"description",
       "after `failures` failed calls in a row, calls fail fast for cooldown_ms (events go to "
       "on_error), then one call tries again"},
      {"properties",
       {{"failures", integer(5, 1, "consecutive failures that open the circuit")},
        {"cooldown_ms", integer(30000, 1, "how long it stays open")}}},
      {"additionalProperties", false}};
  (*p)["cache"] = {{"type", "object"},
                   {"description", "answers cached by a hash of the prompt"},
                   {"properties",
                    {{"enabled", {{"type", "boolean"}, {"default", true}}},
                     {"max_entries", integer(4096, 1, "LRU bound")}}},
                   {"additionalProperties", false}};
  (*p)["cost"] = {{"type", "object"},
                  {"description", "USD per million tokens (default: the vendor's list price)"},
                  {"properties",
                   {{"input_per_mtok", {{"type", "number"}, {"minimum", 0}}},
                    {"output_per_mtok", {{"type", "number"}, {"minimum", 0}}}}},
                  {"additionalProperties", false}};
  (*p)["decisions"] = {
      {"type", "object"},
      {"description",
       "decision records in the state dir, for `flowctl explain ID` (bounded: at most "
       "2 x max_records)"},
      {"properties",
       {{"enabled", {{"type", "boolean"}, {"default", true}}},
        {"max_records", integer(100000, 1, "records kept per node file")},
        {"field",
         {{"type", "string"},
          {"default", "_ai"},
          {"description",
           "event field that receives {decision, model, confidence}; \"\" for none"}}}}},
      {"additionalProperties", false}};
}

namespace {

std::string OverrideProvider(const ai::EnvLookup& env) { return env("FLOWCTL_AI_PROVIDER"); }

ai::EnvLookup KeyedEnv(const json& config) {
  ai::EnvLookup base = ai::ProcessEnv();
  std::string key_env = config.value("api_key_env", "");
  if (key_env.empty()) return base;
  return [base, key_env](const std::string& name) {
    if (name == "OPENAI_API_KEY" || name == "ANTHROPIC_API_KEY") return base(key_env);
    return base(name);
  };
}

}  // namespace

std::vector<ComponentDescriptor::Check> ProviderChecks(const json& config) {
  using L = ComponentDescriptor::Check::Level;
  auto env = KeyedEnv(config);
  auto c = ai::ChooseProvider(config.value("model", "embedded"), config.value("provider", ""),
                              OverrideProvider(env), env);
  std::vector<ComponentDescriptor::Check> out;
  if (config.contains("base_url")) {
    const json& b = config["base_url"];
    auto u = b.is_string() ? ai::ParseHttpUrl(b.get<std::string>())
                           : Result<ai::HttpUrl>(Status::Invalid("base_url must be a string"));
    if (!u.ok()) out.push_back({L::kError, "/base_url", "base_url " + u.status().message(), ""});
  }
  if (c.provider.empty()) {
    out.push_back({L::kError, "/model", c.usable.message(), ""});
    return out;
  }
  if (!c.usable.ok()) {
    out.push_back(
        {L::kWarning, "",
         "will use provider " + c.provider + " (" + c.reason + "), but " + c.usable.message(), ""});
    return out;
  }
  out.push_back({L::kNote, "", "uses provider " + c.provider + ": " + c.reason, ""});
  return out;
}

Result<std::shared_ptr<NodeState>> GetNodeState(const ComponentContext& ctx,
                                                const std::string& component) {
  if (ctx.shared != nullptr && *ctx.shared) return std::static_pointer_cast<NodeState>(*ctx.shared);
  const json& c = ctx.config;
  auto env = KeyedEnv(c);
  auto choice = ai::ChooseProvider(c.value("model", "embedded"), c.value("provider", ""),
                                   OverrideProvider(env), env);
  if (!choice.usable.ok()) return choice.usable;
  auto st = std::make_shared<NodeState>();
  st->component = component;
  st->provider = choice.provider;
  st->model = c.value("model", "embedded");
  if (st->provider == "embedded") st->model = ai::embedded::kModelName;
  ai::ProviderOptions po;
  po.name = choice.provider;
  po.base_url = c.value("base_url", "");
  po.timeout_ms = c.value("timeout_ms", 30000);
  auto provider = ai::MakeProvider(po, env);
  if (!provider.ok()) return provider.status();
  ai::ClientOptions co;
  co.max_retries = c.value("max_retries", 3);
  co.backoff_ms = c.value("backoff_ms", 200);
  co.max_concurrency = c.value("max_concurrency", 8);
  json cb = c.value("circuit_breaker", json::object());
  co.breaker_failures = cb.value("failures", 5);
  co.breaker_cooldown_ms = cb.value("cooldown_ms", 30000);
  json cache = c.value("cache", json::object());
  co.cache_entries = cache.value("enabled", true) ? cache.value("max_entries", 4096) : 0;
  co.pricing = ai::DefaultPricing(choice.provider, st->model);
  json cost = c.value("cost", json::object());
  co.pricing.input_per_mtok = cost.value("input_per_mtok", co.pricing.input_per_mtok);
  co.pricing.output_per_mtok = cost.value("output_per_mtok", co.pricing.output_per_mtok);
  ai::ClientCounters cc;
  if (NodeCounters* n = ctx.counters) {
    cc.calls = n->Get("ai_calls");
    cc.cache_hits = n->Get("ai_cache_hits");
    cc.retries = n->Get("ai_retries");
    cc.failures = n->Get("ai_failures");
    cc.breaker_rejected = n->Get("ai_breaker_rejected");
    cc.input_tokens = n->Get("ai_input_tokens");
    cc.output_tokens = n->Get("ai_output_tokens");
    cc.cost_micro_usd = n->Get("ai_cost_micro_usd");
    cc.latency_us_total = n->Get("ai_latency_us_total");
    st->decisions_made = n->Get("ai_decisions");
    st->invalid_answers = n->Get("ai_invalid_answers");
    st->confidence_milli_total = n->Get("ai_confidence_milli_total");
  }
  st->client = std::make_unique<ai::ModelClient>(std::move(provider).value(), co, cc);
  json dec = c.value("decisions", json::object());
  st->decisions = std::make_unique<ai::DecisionLog>(
      dec.value("enabled", true) ? ctx.state_dir : std::string(), ctx.pipeline, ctx.node_id,
      dec.value("max_records", 100000));
  if (ctx.shared != nullptr) *ctx.shared = st;
  return st;
}

std::vector<std::string> TextFields(const json& config) {
  if (config.contains("text_field") && config["text_field"].is_string())
    return {config["text_field"].get<std::string>()};
  if (config.contains("text_fields") && config["text_fields"].is_array())
    return config["text_fields"].get<std::vector<std::string>>();
  return {"message", "text",        "feedback", "body",  "content", "comment",
          "review",  "description", "summary",  "title", "msg",     "log"};
}

namespace {

void AppendText(const Value& v, std::string* out) {
  if (v.is_string()) {
    *out += v.as_string();
  } else {
    *out += v.ToJson();
  }
}

std::string TopKey(const std::string& path) {
  size_t cut = path.find_first_of(".[");
  return cut == std::string::npos ? path : path.substr(0, cut);
}

}  // namespace

std::string EventText(const Event& e, const std::vector<std::string>& fields) {
  std::string out;
  if (e.lazy()) {
    thread_local Value view;
    thread_local std::vector<std::string> keys;
    keys.clear();
    for (const auto& f : fields) keys.push_back(TopKey(f));
    if (ExtractTopLevel(e.raw(), keys, &view).ok()) {
      for (const auto& m : e.patches()) view.Set(m.key, m.value);
      for (const auto& f : fields)
        if (const Value* v = view.FindPath(f)) {
          AppendText(*v, &out);
          return out;
        }
    }
  } else {
    for (const auto& f : fields)
      if (const Value* v = e.body().FindPath(f)) {
        AppendText(*v, &out);
        return out;
      }
  }
  const Value& body = e.body();
  if (body.is_object())
    for (const auto& m : body.as_object())
      if (m.value.is_string() && !m.key.empty() && m.key[0] != '_') {
        if (!out.empty()) out += ". ";
        out += m.value.as_string();
      }
  return out;
}

std::string RenderTemplate(const std::string& t, const Event& e, const json& schema,
                           const std::vector<std::string>& categories,
                           const std::string& retrieved_context) {
  std::string out;
  out.reserve(t.size() + 256);
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if ((c == '{' || c == '}') && i + 1 < t.size() && t[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    size_t end = t.find('}', i);
    std::string name = end == std::string::npos ? "" : t.substr(i + 1, end - i - 1);
    bool ident = !name.empty();
    for (char ch : name)
      ident = ident && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' ||
                        ch == '-' || ch == '[' || ch == ']');
    if (!ident) {
      out += c;
      continue;
    }
    i = end;
    if (name == "event_data" || name == "event") {
      std::string j;
      e.AppendJson(&j);
      out += j;
    } else if (name == "output_schema") {
      out += schema.is_null() ? "{}" : schema.dump();
    } else if (name == "categories") {
      out += Join(categories, ", ");
    } else if (name == "retrieved_context") {
      out += retrieved_context;
    } else if (const Value* v = e.body().FindPath(name)) {
      AppendText(*v, &out);
    }
  }
  return out;
}

json NormalizeSchema(json s) {
  if (s.is_object()) {
    if (s.contains("min") && !s.contains("minimum")) {
      s["minimum"] = s["min"];
      s.erase("min");
    }
    if (s.contains("max") && !s.contains("maximum")) {
      s["maximum"] = s["max"];
      s.erase("max");
    }
    if (s.contains("properties") && !s.contains("type")) s["type"] = "object";
    for (auto it = s.begin(); it != s.end(); ++it)
      if (it.key() == "properties" && it->is_object()) {
        for (auto p = it->begin(); p != it->end(); ++p) *p = NormalizeSchema(*p);
      } else if (it.key() == "items") {
        *it = NormalizeSchema(*it);
      }
  }
  return s;
}

Status ValidateAnswer(const json& schema, const json& answer) {
  if (schema.is_null()) return Status::OK();
  auto errors = ValidateSchema(schema, answer);
  if (errors.empty()) return Status::OK();
  const auto& e = errors.front();
  std::string msg = "model answer does not match output_schema: " +
                    (e.pointer.empty() ? std::string("answer") : e.pointer) + ": " + e.message;
  if (errors.size() > 1) msg += " (and " + std::to_string(errors.size() - 1) + " more)";
  return Status::Invalid(msg);
}

void ParallelFor(size_t n, int max_threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  // An exception on a helper thread would terminate the process: keep the
  // first one and rethrow it on the caller's thread, where the runtime turns
  // it into the node's error.
  std::mutex error_mu;
  std::exception_ptr error;
  auto work = [&] {
    try {
      for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> lk(error_mu);
      if (!error) error = std::current_exception();
      next.store(n);
    }
  };
  size_t threads = std::min<size_t>(n, static_cast<size_t>(std::max(1, max_threads)));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

namespace {

// A lazy event's top-level `_ai` as patched by an earlier node, or null.
const Value* PatchedAi(const Event& e) {
  for (const auto& m : e.patches())
    if (m.key == "_ai") return &m.value;
  return nullptr;
}

}  // namespace

Value DecisionList(Event& e) {
  const Value* ai = nullptr;
  thread_local Value view;
  if (e.lazy()) {
    ai = PatchedAi(e);
    if (ai == nullptr && ExtractTopLevel(e.raw(), {"_ai"}, &view).ok()) ai = view.Find("_ai");
  } else {
    ai = e.body().Find("_ai");
  }
  const Value* list = ai != nullptr ? ai->Find("decisions") : nullptr;
  return list != nullptr && list->is_array() ? *list : Value::MakeArray();
}

void SetDecisionList(Event& e, Value list) {
  if (e.lazy() && PatchedAi(e) == nullptr) {
    thread_local Value view;
    if (ExtractTopLevel(e.raw(), {"_ai"}, &view).ok() && view.Find("_ai") == nullptr) {
      Value ai = Value::MakeObject();
      ai.Set("decisions", std::move(list));
      e.PatchTopLevel("_ai", std::move(ai));
      return;
    }
  }
  Value& body = e.Mutable();
  if (!body.is_object()) return;  // a scalar event has nowhere to say it
  Value* ai = body.Find("_ai");
  if (ai == nullptr || !ai->is_object()) ai = &body.Set("_ai", Value::MakeObject());
  ai->Set("decisions", std::move(list));
}

void AppendDecision(Event& e, const std::string& id) {
  if (id.empty()) return;
  Value list = DecisionList(e);
  list.as_array().emplace_back(id);
  SetDecisionList(e, std::move(list));
}

std::string TextInputJson(const std::string& text) {
  std::string in = "{\"text\":";
  AppendJsonString(text.size() > 512 ? text.substr(0, 512) : text, &in);
  in += "}";
  return in;
}

Value FromJson(const json& j) {
  switch (j.type()) {
    case json::value_t::boolean:
      return Value(j.get<bool>());
    case json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case json::value_t::number_unsigned:
      return Value(static_cast<int64_t>(j.get<uint64_t>()));
    case json::value_t::number_float:
      return Value(j.get<double>());
    case json::value_t::string:
      return Value(j.get<std::string>());
    case json::value_t::array: {
      Value::Array a;
      for (const auto& x : j) a.push_back(FromJson(x));
      return Value(std::move(a));
    }
    case json::value_t::object: {
      Value o = Value::MakeObject();
      for (auto it = j.begin(); it != j.end(); ++it) o.Set(it.key(), FromJson(*it));
      return o;
    }
    default:
      return Value();
  }
}

json ToJson(const Value& v) { return json::parse(v.ToJson()); }

std::vector<ai::embedded::CategoryDef> Categories(const json& config) {
  std::vector<ai::embedded::CategoryDef> out;
  const json* list = nullptr;
  if (config.contains("categories"))
    list = &config["categories"];
  else if (config.contains("classification") && config["classification"].contains("categories"))
    list = &config["classification"]["categories"];
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& c : *list) {
    if (c.is_string()) {
      out.push_back({c.get<std::string>(), {}});
    } else if (c.is_object() && c.contains("name")) {
      ai::embedded::CategoryDef d{c["name"].get<std::string>(), {}};
      if (c.contains("keywords") && c["keywords"].is_array())
        d.keywords = c["keywords"].get<std::vector<std::string>>();
      out.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace flowctl::components::ai_common
