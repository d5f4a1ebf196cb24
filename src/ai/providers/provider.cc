// Provider selection, pricing, the factory, and the embedded provider.
#include <cstdlib>
#include <sstream>

#include "flowctl/ai/embedded.h"
#include "flowctl/ai/http_url.h"
#include "flowctl/base/strings.h"
#include "internal.h"

namespace flowctl::data {
extern const char kPricingTsv[];  // data/pricing.tsv
}  // namespace flowctl::data

namespace flowctl::ai {
namespace {

class EmbeddedProvider : public Provider {
 public:
  const std::string& name() const override { return name_; }

  Result<CompletionResponse> Complete(const CompletionRequest& req) override {
    std::vector<std::string> tasks = {req.task.empty() ? "classify-and-enrich" : req.task};
    std::vector<embedded::CategoryDef> cats;
    for (const auto& c : req.categories) cats.push_back({c, {}});
    auto filler = embedded::Filler::Make(tasks, req.output_schema, std::move(cats));
    if (!filler.ok()) return filler.status();
    std::string text = req.text;
    if (text.empty())
      for (const auto& m : req.messages)
        if (m.role == "user") text += m.content + "\n";
    std::vector<Member> fields;
    double confidence = 0;
    filler.value().Fill(text, &fields, &confidence);
    Value obj(std::move(fields));
    CompletionResponse r;
    r.text = obj.ToJson();
    r.structured = nlohmann::json::parse(r.text);
    r.model = embedded::kModelName;
    r.provider = name_;
    r.confidence = confidence;
    r.stop_reason = "end";
    // Tokens are counted the way a model would see them, roughly (4 bytes a
    // token), so that cost and volume figures stay comparable; the price is 0.
    r.usage.input_tokens = static_cast<int64_t>(text.size() / 4 + 1);
    r.usage.output_tokens = static_cast<int64_t>(r.text.size() / 4 + 1);
    return r;
  }

  Result<std::vector<std::vector<float>>> Embed(const std::string& model,
                                                const std::vector<std::string>& texts) override {
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    for (const auto& t : texts) out.push_back(embedded::Embed(t));
    return out;
  }

 private:
  std::string name_ = "embedded";
};

bool IsProvider(const std::string& p) {
  return p == "openai" || p == "anthropic" || p == "ollama" || p == "embedded";
}

std::string KeyVar(const std::string& provider) {
  if (provider == "openai") return "OPENAI_API_KEY";
  if (provider == "anthropic") return "ANTHROPIC_API_KEY";
  return "";
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v == nullptr ? std::string() : std::string(v);
  };
}

ProviderChoice ChooseProvider(const std::string& model, const std::string& explicit_provider,
                              const std::string& override_provider, const EnvLookup& env) {
  ProviderChoice c;
  std::string m = ToLower(model);
  if (!override_provider.empty()) {
    c.provider = override_provider;
    c.reason = "chosen by --ai-provider / FLOWCTL_AI_PROVIDER";
  } else if (!explicit_provider.empty()) {
    c.provider = explicit_provider;
    c.reason = "the node's provider: field";
  } else if (m.empty() || m == "embedded" || StartsWith(m, "embedded-")) {
    c.provider = "embedded";
    c.reason = m.empty() ? "no model named: the embedded models" : "model '" + model + "'";
  } else if (StartsWith(m, "gpt-") || StartsWith(m, "o1") || StartsWith(m, "o3") ||
             StartsWith(m, "o4") || StartsWith(m, "text-embedding-") || StartsWith(m, "chatgpt")) {
    c.provider = "openai";
    c.reason = "model '" + model + "' maps to openai";
  } else if (StartsWith(m, "claude")) {
    c.provider = "anthropic";
    c.reason = "model '" + model + "' maps to anthropic";
  } else if (m.find(':') != std::string::npos || StartsWith(m, "llama") ||
             StartsWith(m, "mistral") || StartsWith(m, "qwen") || StartsWith(m, "gemma") ||
             StartsWith(m, "phi") || StartsWith(m, "nomic-embed")) {
    c.provider = "ollama";
    c.reason = "model '" + model + "' maps to ollama";
  } else {
    c.provider = "";
    c.reason = "model '" + model + "' maps to no provider";
    c.usable = Status::Invalid("model '" + model +
                               "' maps to no provider: set provider: openai | anthropic | "
                               "ollama | embedded on the node, or pass --ai-provider");
    return c;
  }
  if (!IsProvider(c.provider)) {
    c.usable = Status::Invalid("unknown provider '" + c.provider +
                               "'; valid: openai, anthropic, ollama, embedded");
    return c;
  }
  std::string key = KeyVar(c.provider);
  if (!key.empty()) {
    if (env(key).empty()) {
      c.usable = Status(StatusCode::kFailedPrecondition,
                        key + " is not set: " + c.provider + " cannot be called (set " + key +
                            ", or use --ai-provider embedded to run on the local models)");
    } else {
      c.reason += "; " + key + " is set";
    }
  } else if (c.provider == "ollama") {
    std::string host = env("OLLAMA_HOST");
    c.reason += "; OLLAMA_HOST=" + (host.empty() ? std::string("http://localhost:11434") : host);
  }
  return c;
}

const std::vector<ModelPrice>& PriceList() {
  static const std::vector<ModelPrice>* list = [] {
    auto* out = new std::vector<ModelPrice>;
    std::istringstream in(data::kPricingTsv);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream row(line);
      ModelPrice p;
      if (row >> p.provider >> p.prefix >> p.pricing.input_per_mtok >> p.pricing.output_per_mtok >>
          p.kind)
        out->push_back(p);
    }
    return out;
  }();
  return *list;
}

Pricing DefaultPricing(const std::string& provider, const std::string& model) {
  std::string m = ToLower(model);
  const ModelPrice* best = nullptr;
  for (const auto& p : PriceList()) {
    if (p.provider != provider) continue;
    if (p.prefix == "*" ? best != nullptr : !StartsWith(m, p.prefix)) continue;
    if (best == nullptr || best->prefix == "*" || p.prefix.size() > best->prefix.size()) best = &p;
  }
  return best ? best->pricing : Pricing{};
}

Result<ModelChoice> ResolveModelChoice(const std::string& provider, const std::string& model,
                                       const EnvLookup& env) {
  ModelChoice c{provider, model};
  if (c.provider.empty() || c.provider == "embedded") {
    auto choice = ChooseProvider(c.model, "", "", env);
    if (choice.provider.empty() || choice.provider == "embedded")
      return Status::Invalid("model '" + c.model +
                             "' maps to no remote provider: give --provider "
                             "openai|anthropic|ollama");
    c.provider = choice.provider;
  }
  if (c.model.empty())
    c.model = c.provider == "openai"      ? "gpt-4o-mini"
              : c.provider == "anthropic" ? "claude-3-5-haiku-latest"
                                          : "llama3.1:8b";
  return c;
}

Result<std::unique_ptr<Provider>> MakeProvider(const ProviderOptions& o, const EnvLookup& env) {
  if (o.name == "embedded") return internal::MakeEmbeddedProvider();
  // The URL comes from the config or from VAR; say which when it is bad.
  std::string url_error;
  auto pick = [&](const std::string& given, const std::string& var, const std::string& def) {
    std::string v = !given.empty() ? given : env(var);
    std::string from = !given.empty() ? "base_url" : var;
    if (v.empty()) return def;
    if (var == "OLLAMA_HOST" && v.find("://") == std::string::npos) v = "http://" + v;
    auto u = ParseHttpUrl(v);
    if (!u.ok() && url_error.empty()) url_error = from + ": " + u.status().message();
    return v;
  };
  auto key_of = [&](const std::string& given, const std::string& var) {
    return !given.empty() ? given : env(var);
  };
  if (o.name == "openai") {
    std::string key = key_of(o.api_key, "OPENAI_API_KEY");
    if (key.empty()) return Status(StatusCode::kFailedPrecondition, "OPENAI_API_KEY is not set");
    std::string base = pick(o.base_url, "OPENAI_BASE_URL", "https://api.openai.com/v1");
    if (!url_error.empty()) return Status::Invalid(url_error);
    return internal::MakeOpenAIProvider(base, key, o.timeout_ms);
  }
  if (o.name == "anthropic") {
    std::string key = key_of(o.api_key, "ANTHROPIC_API_KEY");
    if (key.empty()) return Status(StatusCode::kFailedPrecondition, "ANTHROPIC_API_KEY is not set");
    std::string base = pick(o.base_url, "ANTHROPIC_BASE_URL", "https://api.anthropic.com");
    if (!url_error.empty()) return Status::Invalid(url_error);
    return internal::MakeAnthropicProvider(base, key, o.timeout_ms);
  }
  if (o.name == "ollama") {
    std::string host = pick(o.base_url, "OLLAMA_HOST", "http://localhost:11434");
    if (!url_error.empty()) return Status::Invalid(url_error);
    return internal::MakeOllamaProvider(host, o.timeout_ms);
  }
  return Status::Invalid("unknown provider '" + o.name +
                         "'; valid: openai, anthropic, ollama, embedded");
}

namespace internal {
std::unique_ptr<Provider> MakeEmbeddedProvider() { return std::make_unique<EmbeddedProvider>(); }
}  // namespace internal

}  // namespace flowctl::ai
