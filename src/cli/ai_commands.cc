// AI commands that need no server: explain a decision record.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "flowctl/ai/client.h"
#include "flowctl/ai/decisions.h"
#include "flowctl/ai/embedded.h"
#include "flowctl/ai/vector_store.h"

namespace flowctl::cli {

std::string DefaultStateDir() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.flowctl";
}

namespace {

std::string Words(const nlohmann::json& list, const char* score_key) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& w : list) {
    if (w.is_string()) {
      out += " " + w.get<std::string>();
      continue;
    }
    out += " " + w.value("word", std::string());
    if (score_key != nullptr && w.contains(score_key)) out += "(" + w[score_key].dump() + ")";
  }
  return out.empty() ? " none" : out;
}

// One line of evidence, worded for its kind (ai::DecisionLog::Record).
std::string EvidenceLine(const nlohmann::json& ev) {
  if (!ev.is_object()) return ev.dump();
  std::string kind = ev.value("kind", "");
  if (kind == "sentiment")
    return "score " + ev.value("score", nlohmann::json(0)).dump() +
           "; opinion words:" + Words(ev.value("opinion_words", nlohmann::json()), "score") +
           "; negations:" + Words(ev.value("negations", nlohmann::json()), nullptr);
  if (kind == "category") {
    std::string hits;
    for (const auto& h : ev.value("matched_words", nlohmann::json::array()))
      hits += " " + h.value("word", std::string()) + "->" + h.value("category", std::string()) +
              "(+" + h.value("weight", nlohmann::json(0)).dump() + ")";
    std::string line = ev.value("chosen", std::string());
    if (ev.value("fallback", false)) return line + " (fallback: no keyword matched)";
    return line + "; matched:" + hits + "; scores " + ev.value("scores", nlohmann::json()).dump();
  }
  if (kind == "priority")
    return std::to_string(ev.value("signals", 0)) + " signal(s); urgency words:" +
           Words(ev.value("urgency_words", nlohmann::json()), nullptr) +
           "; shouted words: " + ev.value("shouted_words", nlohmann::json(0)).dump() +
           "; '!': " + ev.value("exclamations", nlohmann::json(0)).dump() + "; sentiment " +
           ev.value("sentiment_score", nlohmann::json(0)).dump() + " (" +
           ev.value("rule", std::string()) + ")";
  if (kind == "field") return "read from the field " + ev.value("field", std::string());
  if (kind == "rule") return "rule " + ev.value("rule", std::string());
  return (kind.empty() ? "" : kind + ": ") + ev.value("rule", ev.dump());
}

}  // namespace

int Explain(const std::string& id, const std::string& state_dir, const CommonOptions& o) {
  std::string dir = state_dir.empty() ? DefaultStateDir() : state_dir;
  auto rec = ai::FindDecision(dir, id);
  if (!rec.ok()) {
    std::cerr << "flowctl explain: " << rec.status().message() << "\n";
    return rec.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInvalid;
  }
  nlohmann::json r = rec.value();
  std::string text;
  if (r.contains("input") && r["input"].is_object() && r["input"].contains("text") &&
      r["input"]["text"].is_string())
    text = r["input"]["text"].get<std::string>();
  if (o.output == "json") {
    std::cout << r.dump(2) << "\n";
    return kExitOk;
  }
  std::time_t secs = static_cast<std::time_t>(r.value("ts_ms", int64_t{0}) / 1000);
  char when[32];
  std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&secs));
  std::printf("decision %s\n", r.value("id", "").c_str());
  std::printf("  pipeline    %s, node %s (%s)\n", r.value("pipeline", "").c_str(),
              r.value("node", "").c_str(), r.value("component", "").c_str());
  std::printf("  model       %s via %s\n", r.value("model", "").c_str(),
              r.value("provider", "").c_str());
  std::printf("  confidence  %.3f   latency %lld us   cost $%.6f   at %s\n",
              r.value("confidence", 0.0), static_cast<long long>(r.value("latency_us", int64_t{0})),
              r.value("cost_usd", 0.0), when);
  std::printf("  input       %s\n", r.value("input", nlohmann::json::object()).dump().c_str());
  std::printf("  output      %s\n", r.value("output", nlohmann::json::object()).dump().c_str());
  if (r.contains("evidence") && r["evidence"].is_object()) {
    const char* label = "  evidence    ";
    for (const auto& [field, ev] : r["evidence"].items()) {
      std::printf("%s%s: %s\n", label, field.c_str(), EvidenceLine(ev).c_str());
      label = "              ";
    }
  } else {
    std::printf("  evidence    none recorded (%s)\n", r.value("provider", "") == "embedded"
                                                          ? "a record from before evidence was kept"
                                                          : "the output is the model's own answer");
  }
  return kExitOk;
}

}  // namespace flowctl::cli

namespace flowctl::cli {
namespace {

Result<std::vector<std::vector<float>>> EmbedAll(const std::string& model,
                                                 const std::vector<std::string>& texts) {
  if (model == ai::embedded::kModelName) {
    std::vector<std::vector<float>> out;
    for (const auto& t : texts) out.push_back(ai::embedded::Embed(t));
    return out;
  }
  auto env = ai::ProcessEnv();
  auto choice = ai::ChooseProvider(model, "", "", env);
  if (!choice.usable.ok()) return choice.usable;
  ai::ProviderOptions po;
  po.name = choice.provider;
  auto provider = ai::MakeProvider(po, env);
  if (!provider.ok()) return provider.status();
  ai::ModelClient client(std::move(provider).value(), ai::ClientOptions{}, ai::ClientCounters{});
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < texts.size(); i += 64) {
    std::vector<std::string> part(
        texts.begin() + static_cast<std::ptrdiff_t>(i),
        texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), i + 64)));
    auto r = client.Embed(model, part);
    if (!r.ok()) return r.status();
    for (auto& v : r.value()) out.push_back(std::move(v));
  }
  return out;
}

std::string CanonicalEmbeddingModel(const std::string& m) {
  return m.empty() || m == "embedded" ? ai::embedded::kModelName : m;
}

}  // namespace

int IndexAdd(const std::vector<std::string>& files, const IndexOptions& o) {
  std::string model = CanonicalEmbeddingModel(o.embedding_model);
  auto idx = ai::VectorIndex::OpenOrCreate(o.dir, o.index, model);
  if (!idx.ok()) {
    std::cerr << "flowctl index: " << idx.status().message() << "\n";
    return kExitInvalid;
  }
  auto loaded = ai::ChunksFromFiles(files, o.chunk_words);
  if (!loaded.ok()) {
    std::cerr << "flowctl index: " << loaded.status().message() << "\n";
    return kExitInvalid;
  }
  std::vector<ai::Chunk> chunks = std::move(loaded).value();
  std::vector<std::string> texts;
  for (const auto& c : chunks) texts.push_back(c.text);
  auto vecs = EmbedAll(model, texts);
  if (!vecs.ok()) {
    std::cerr << "flowctl index: embeddings: " << vecs.status().message() << "\n";
    return kExitRuntime;
  }
  for (size_t i = 0; i < chunks.size(); ++i) chunks[i].embedding = std::move(vecs.value()[i]);
  Status st = idx.value().Add(std::move(chunks));
  if (st.ok()) st = idx.value().Save();
  if (!st.ok()) {
    std::cerr << "flowctl index: " << st.message() << "\n";
    return kExitRuntime;
  }
  std::cout << "index '" << o.index << "': " << texts.size() << " chunks added, "
            << idx.value().size() << " in all (" << model << ", " << idx.value().dims()
            << " dimensions) at " << idx.value().path() << "\n";
  return kExitOk;
}

int IndexQuery(const std::string& text, const IndexOptions& o, const CommonOptions& common) {
  auto idx = ai::VectorIndex::Load(o.dir, o.index);
  if (!idx.ok()) {
    std::cerr << "flowctl index: " << idx.status().message() << "\n";
    return kExitInvalid;
  }
  auto vecs = EmbedAll(idx.value().embedding_model(), {text});
  if (!vecs.ok()) {
    std::cerr << "flowctl index: embeddings: " << vecs.status().message() << "\n";
    return kExitRuntime;
  }
  auto matches = idx.value().Search(vecs.value()[0], static_cast<size_t>(o.top_k), -1.0);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : matches)
    out.push_back({{"id", m.chunk->id},
                   {"source", m.chunk->source},
                   {"score", m.score},
                   {"text", m.chunk->text}});
  if (common.output == "json") {
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& m : matches)
      std::printf("%.3f  %-24s %s\n", m.score, m.chunk->id.c_str(),
                  m.chunk->text.substr(0, 100).c_str());
  }
  return kExitOk;
}

}  // namespace flowctl::cli
