// rag-processor (alias retrieval-augmented-processor): embeds each event's
// text, retrieves the top-k chunks above a similarity threshold from a
// vector index (`flowctl index add` fills it), and either attaches them to
// the event or, with an llm model, asks the model with {retrieved_context}
// filled and merges its validated answer. Remote embeddings are requested
// once per batch.
#include <chrono>
#include <filesystem>

#include "../ai_common/ai_node.h"
#include "../builtin_list.h"
#include "flowctl/ai/vector_store.h"
#include "flowctl/base/strings.h"
#include "flowctl/data/json.h"

namespace flowctl::components {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string EmbeddingModel(const json& c) {
  std::string m = c.value("embedding_model", "embedded");
  return m == "embedded" ? ai::embedded::kModelName : m;
}

struct RagShared {
  ai::VectorIndex index;
  std::unique_ptr<ai::ModelClient> embedder;  // null: the embedded embeddings
};

// The config the LLM part is built from: the llm block over the node's own
// limits.
json LlmConfig(const json& c) {
  json out = c;
  json llm = c.value("llm", json::object());
  out["model"] = llm.value("model", "embedded");
  if (llm.contains("provider"))
    out["provider"] = llm["provider"];
  else
    out.erase("provider");
  if (llm.contains("temperature")) out["temperature"] = llm["temperature"];
  if (llm.contains("max_tokens")) out["max_tokens"] = llm["max_tokens"];
  return out;
}

class RagProcessor : public Processor {
 public:
  std::shared_ptr<ai_common::NodeState> state_;
  std::shared_ptr<RagShared> rag_;
  std::vector<std::string> text_fields_;
  std::string target_, prompt_template_, embedding_model_;
  json schema_;
  size_t top_k_ = 5;
  double threshold_ = 0;
  bool generate_ = false;
  int max_concurrency_ = 8;
  std::atomic<int64_t>* retrieved_ = nullptr;
  std::atomic<int64_t>* no_match_ = nullptr;

  Status Process(std::vector<Event>& events, Emitter& out) override {
    std::vector<std::string> texts;
    texts.reserve(events.size());
    for (const auto& e : events) texts.push_back(ai_common::EventText(e, text_fields_));
    std::vector<std::vector<float>> vecs;
    if (rag_->embedder) {
      auto r = rag_->embedder->Embed(embedding_model_, texts);
      if (!r.ok()) {
        for (auto& e : events) out.Fail(std::move(e), r.status());
        return Status::OK();
      }
      vecs = std::move(r).value();
    } else {
      for (const auto& t : texts) vecs.push_back(ai::embedded::Embed(t));
    }
    struct Outcome {
      Status status;
      std::vector<Member> fields;
      std::string decision;  // id, "" without decision records
    };
    std::vector<Outcome> results(events.size());
    auto one = [&](size_t i) {
      auto start = Clock::now();
      auto matches = rag_->index.Search(vecs[i], top_k_, threshold_);
      if (retrieved_) retrieved_->fetch_add(static_cast<int64_t>(matches.size()));
      if (matches.empty() && no_match_) no_match_->fetch_add(1);
      std::string context;
      Value list = Value::MakeArray();
      json match_json = json::array();
      for (const auto& m : matches) {
        context += "- " + m.chunk->text + "\n";
        Value mv = Value::MakeObject();
        mv.Set("id", Value(m.chunk->id));
        mv.Set("source", Value(m.chunk->source));
        mv.Set("score", Value(std::round(m.score * 1000.0) / 1000.0));
        if (!generate_) mv.Set("text", Value(m.chunk->text));
        list.as_array().push_back(std::move(mv));
        match_json.push_back({{"id", m.chunk->id}, {"score", m.score}});
      }
      Outcome& r = results[i];
      Value rag = Value::MakeObject();
      rag.Set("matches", std::move(list));
      std::string id = state_->decisions->NextId();
      double confidence = matches.empty() ? 0 : matches.front().score;
      json answer;
      double cost = 0;
      if (generate_) {
        ai::CompletionRequest req;
        req.model = state_->model;
        req.system =
            "You enrich events of a data pipeline using the retrieved context. Answer with one "
            "JSON object matching the schema, nothing else.";
        req.output_schema = schema_;
        req.messages.push_back(
            {"user",
             ai_common::RenderTemplate(prompt_template_, events[i], schema_, {},
                                       context.empty() ? "(nothing relevant found)" : context),
             "", json()});
        auto res = state_->client->Complete(req, &cost);
        if (!res.ok()) {
          r.status = res.status();
          return;
        }
        Status valid = ai_common::ValidateAnswer(schema_, res.value().structured);
        if (!valid.ok()) {
          if (state_->invalid_answers) state_->invalid_answers->fetch_add(1);
          r.status = valid;
          return;
        }
        answer = res.value().structured;
        Value a = ai_common::FromJson(answer);
        if (a.is_object())
          for (auto& m : a.as_object()) r.fields.push_back(std::move(m));
      }
      if (state_->decisions_made) state_->decisions_made->fetch_add(1);
      if (state_->decisions->persistent()) {
        std::string in = "{\"text\":";
        AppendJsonString(texts[i].substr(0, 512), &in);
        in += ",\"embedding_model\":";
        AppendJsonString(embedding_model_, &in);
        in += "}";
        json o = {{"matches", match_json}};
        if (generate_) o["answer"] = answer;
        auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
        state_->decisions->Record(id, "rag-processor", state_->model, state_->provider, in,
                                  o.dump(), confidence, us, cost);
        rag.Set("decision", Value(id));
        results[i].decision = id;
      }
      r.fields.push_back({target_, std::move(rag)});
    };
    // Retrieval alone is cheap: only model calls are worth threads.
    ai_common::ParallelFor(events.size(), generate_ ? max_concurrency_ : 1, one);
    for (size_t i = 0; i < events.size(); ++i) {
      if (!results[i].status.ok()) {
        out.Fail(std::move(events[i]), results[i].status);
        continue;
      }
      Value& body = events[i].Mutable();
      for (auto& m : results[i].fields) body.Set(m.key, std::move(m.value));
      ai_common::AppendDecision(events[i], results[i].decision);
      out.Emit(std::move(events[i]));
    }
    state_->decisions->Flush();  // records reach the disk with their batch
    return Status::OK();
  }
};

const char kDefaultTemplate[] =
    "Context:\n{retrieved_context}\nCurrent event: {event_data}\n\nTask: enrich this event with "
    "relevant knowledge from the context.\nOutput format: {output_schema}";

}  // namespace

ComponentDescriptor RagProcessorDescriptor() {
  ComponentDescriptor d;
  d.type = "rag-processor";
  d.kind = NodeKind::kProcessor;
  d.summary =
      "Retrieves the most similar chunks from a vector index for each event and "
      "attaches them, or asks a model with them as {retrieved_context}.";
  d.description =
      "vector_store type embedded (the default) reads DIR/INDEX built by `flowctl index add` "
      "(DIR: vector_store.dir, $FLOWCTL_VECTOR_DIR or ~/.flowctl/vectors). The event's text is "
      "embedded with embedding_model (embedded: hashed word and trigram features; or an "
      "OpenAI/Ollama embedding model, one request per batch), the top_k chunks with cosine "
      ">= similarity_threshold are retrieved, and the event gets TARGET.matches [{id, source, "
      "score, text}]. With llm.model set to a remote model, the prompt_template is filled "
      "({retrieved_context}, {event_data}, {output_schema}, {field}) and the validated answer "
      "is merged into the event. The embedded models do not generate text, so llm on the "
      "embedded provider only retrieves.";
  d.keywords = {"rag",       "retrieval",     "vector", "embedding", "semantic search",
                "knowledge", "context",       "enrich", "similar",   "lookup",
                "documents", "knowledge base"};
  json props = {
      {"vector_store",
       {{"type", "object"},
        {"properties",
         {{"type",
           {{"type", "string"}, {"enum", {"embedded", "pinecone"}}, {"default", "embedded"}}},
          {"index", {{"type", "string"}, {"minLength", 1}}},
          {"dir", {{"type", "string"}, {"x-flowctl-path", "write"}}},
          {"documents",
           {{"type", "array"},
            {"items", {{"type", "string"}, {"x-flowctl-path", "read"}}},
            {"description",
             "files indexed on start when the index does not exist yet (text, markdown, "
             ".jsonl with a text field)"}}}}},
        {"required", {"index"}},
        {"additionalProperties", false}}},
      {"embedding_model",
       {{"type", "string"},
        {"default", "embedded"},
        {"description", "must be the model the index was built with"}}},
      {"embedding_provider", {{"type", "string"}, {"enum", {"openai", "ollama", "embedded"}}}},
      {"llm",
       {{"type", "object"},
        {"properties",
         {{"model", {{"type", "string"}}},
          {"provider",
           {{"type", "string"}, {"enum", {"openai", "anthropic", "ollama", "embedded"}}}},
          {"temperature", {{"type", "number"}, {"minimum", 0}, {"maximum", 2}}},
          {"max_tokens", {{"type", "integer"}, {"minimum", 1}}}}},
        {"additionalProperties", false}}},
      {"retrieval",
       {{"type", "object"},
        {"properties",
         {{"top_k", {{"type", "integer"}, {"minimum", 1}, {"default", 5}}},
          {"similarity_threshold",
           {{"type", "number"}, {"minimum", -1}, {"maximum", 1}, {"default", 0.0}}}}},
        {"additionalProperties", false}}},
      {"prompt_template", {{"type", "string"}}},
      {"output_schema", {{"type", "object"}}},
      {"text_field", {{"type", "string"}}},
      {"text_fields", {{"type", "array"}, {"items", {{"type", "string"}}}}},
      {"target", {{"type", "string"}, {"default", "rag"}}}};
  ai_common::AddModelProperties(&props, "embedded");
  props.erase("model");
  props.erase("provider");
  d.config_schema = {{"type", "object"},
                     {"properties", props},
                     {"required", {"vector_store"}},
                     {"additionalProperties", false}};
  d.example =
      "- id: knowledge\n  type: rag-processor\n  inputs: [tickets]\n  config:\n"
      "    vector_store: {type: embedded, index: support-kb}\n"
      "    retrieval: {top_k: 3, similarity_threshold: 0.2}\n";
  d.check = [](const json& c) {
    using L = ComponentDescriptor::Check::Level;
    std::vector<ComponentDescriptor::Check> out;
    json vs = c.value("vector_store", json::object());
    if (vs.value("type", "embedded") == "pinecone")
      out.push_back({L::kWarning, "/vector_store/type",
                     "the pinecone store is not built in this version: the pipeline will not "
                     "start; use type: embedded (load it with `flowctl index add`)",
                     ""});
    auto llm = ai_common::ProviderChecks(LlmConfig(c));
    for (auto& n : llm) {
      n.message = "llm " + n.message;
      out.push_back(n);
    }
    auto env = ai::ProcessEnv();
    auto e = ai::ChooseProvider(c.value("embedding_model", "embedded"),
                                c.value("embedding_provider", ""), env("FLOWCTL_AI_PROVIDER"), env);
    if (!e.usable.ok())
      out.push_back({e.provider.empty() ? L::kError : L::kWarning, "/embedding_model",
                     "embeddings: " + e.usable.message(), ""});
    else if (e.provider == "anthropic")
      out.push_back({L::kError, "/embedding_model",
                     "anthropic has no embeddings API: use an OpenAI or Ollama embedding model, "
                     "or embedded",
                     ""});
    return out;
  };
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    const json& c = ctx.config;
    json vs = c.value("vector_store", json::object());
    if (vs.value("type", "embedded") == "pinecone")
      return Status::Unimplemented(
          "vector_store type pinecone is not built in this version: use type embedded");
    ComponentContext local = ctx;
    local.config = LlmConfig(c);
    auto st = ai_common::GetNodeState(local, "rag-processor");
    if (!st.ok()) return st.status();
    auto p = std::make_unique<RagProcessor>();
    p->state_ = st.value();
    p->embedding_model_ = EmbeddingModel(c);
    if (ctx.sandbox) {
      // The index lives at DIR/INDEX; DIR may come from the environment and
      // INDEX may hold '/' or '..': check the directory actually used. With
      // no dir, $FLOWCTL_VECTOR_DIR or vectors/ under the first data root.
      std::string dir = vs.value("dir", "");
      if (dir.empty()) {
        const char* env = std::getenv("FLOWCTL_VECTOR_DIR");
        dir = env != nullptr && *env ? env : "vectors";
      }
      auto where = ResolvePath(ctx, (std::filesystem::path(dir) / vs.value("index", "")).string(),
                               PathAccess::kWrite);
      if (!where.ok())
        return Status(where.status().code(), "vector_store: " + where.status().message());
      std::filesystem::path resolved(where.value());
      vs["dir"] = resolved.parent_path().string();
      vs["index"] = resolved.filename().string();
    }
    if (!p->state_->extra) {
      auto shared = std::make_shared<RagShared>();
      auto idx = ai::VectorIndex::Load(vs.value("dir", ""), vs.value("index", ""));
      if (!idx.ok() && idx.status().code() == StatusCode::kNotFound && vs.contains("documents") &&
          p->embedding_model_ == ai::embedded::kModelName) {
        // Build the index from the listed documents (embedded embeddings).
        auto chunks = ai::ChunksFromFiles(vs["documents"].get<std::vector<std::string>>(), 120);
        if (!chunks.ok()) return chunks.status();
        auto fresh = ai::VectorIndex::OpenOrCreate(vs.value("dir", ""), vs.value("index", ""),
                                                   p->embedding_model_);
        if (!fresh.ok()) return fresh.status();
        for (auto& ch : chunks.value()) ch.embedding = ai::embedded::Embed(ch.text);
        Status st = fresh.value().Add(std::move(chunks).value());
        if (st.ok()) st = fresh.value().Save();
        if (!st.ok()) return st;
        idx = ai::VectorIndex::Load(vs.value("dir", ""), vs.value("index", ""));
      }
      if (!idx.ok()) return idx.status();
      shared->index = std::move(idx).value();
      if (shared->index.embedding_model() != p->embedding_model_)
        return Status::Invalid("index '" + vs.value("index", "") +
                               "' was built with embedding "
                               "model '" +
                               shared->index.embedding_model() + "', the node uses '" +
                               p->embedding_model_ + "'");
      auto env = ai::ProcessEnv();
      auto e = ai::ChooseProvider(c.value("embedding_model", "embedded"),
                                  c.value("embedding_provider", ""), "", env);
      if (!e.usable.ok()) return e.usable;
      if (e.provider != "embedded") {
        ai::ProviderOptions po;
        po.name = e.provider;
        auto prov = ai::MakeProvider(po, env);
        if (!prov.ok()) return prov.status();
        shared->embedder = std::make_unique<ai::ModelClient>(
            std::move(prov).value(), ai::ClientOptions{}, ai::ClientCounters{});
      }
      p->state_->extra = shared;
    }
    p->rag_ = std::static_pointer_cast<RagShared>(p->state_->extra);
    p->text_fields_ = ai_common::TextFields(c);
    p->target_ = c.value("target", "rag");
    json retrieval = c.value("retrieval", json::object());
    p->top_k_ = retrieval.value("top_k", size_t{5});
    p->threshold_ = retrieval.value("similarity_threshold", 0.0);
    p->generate_ = p->state_->provider != "embedded";
    p->max_concurrency_ = c.value("max_concurrency", 8);
    p->prompt_template_ = c.value("prompt_template", std::string(kDefaultTemplate));
    p->schema_ = c.contains("output_schema")
                     ? ai_common::NormalizeSchema(c["output_schema"])
                     : json{{"type", "object"},
                            {"properties", {{"enrichment", {{"type", "string"}}}}},
                            {"required", {"enrichment"}}};
    if (ctx.counters) {
      p->retrieved_ = ctx.counters->Get("rag_chunks_retrieved");
      p->no_match_ = ctx.counters->Get("rag_no_match");
    }
    return std::unique_ptr<Processor>(std::move(p));
  };
  return d;
}

ComponentDescriptor RetrievalAugmentedProcessorDescriptor() {
  ComponentDescriptor d = RagProcessorDescriptor();
  d.type = "retrieval-augmented-processor";
  d.summary = "The seed's name for rag-processor (identical).";
  d.example =
      "- id: rag\n  type: retrieval-augmented-processor\n  inputs: [events]\n  config:\n"
      "    vector_store: {index: domain-knowledge}\n";
  return d;
}

}  // namespace flowctl::components
