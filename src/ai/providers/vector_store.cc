// The embedded vector store (see include/flowctl/ai/vector_store.h).
#include "flowctl/ai/vector_store.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "flowctl/data/json_bounded.h"

namespace flowctl::ai {
namespace fs = std::filesystem;
using nlohmann::json;

std::string VectorIndex::ResolveDir(const std::string& dir) {
  if (!dir.empty()) return dir;
  if (const char* env = std::getenv("FLOWCTL_VECTOR_DIR"); env != nullptr && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.flowctl/vectors";
}

Result<VectorIndex> VectorIndex::Load(const std::string& dir, const std::string& name) {
  VectorIndex idx;
  idx.name_ = name;
  idx.path_ = (fs::path(ResolveDir(dir)) / name).string();
  std::ifstream meta(fs::path(idx.path_) / "index.json");
  if (!meta)
    return Status::NotFound("vector index '" + name + "' not found in " + ResolveDir(dir) +
                            ": load documents with `flowctl index add --index " + name +
                            " FILES...`");
  std::stringstream ss;
  ss << meta.rdbuf();
  json m = ParseJsonBoundedOrDiscarded(ss.str(), FileJsonLimits());
  if (m.is_discarded() || !m.is_object())
    return Status(StatusCode::kDataLoss, idx.path_ + "/index.json is corrupt");
  idx.model_ = m.value("embedding_model", "");
  idx.dims_ = m.value("dims", size_t{0});
  std::ifstream in(fs::path(idx.path_) / "chunks.jsonl");
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    json c = ParseJsonBoundedOrDiscarded(line, FileJsonLimits());
    if (c.is_discarded() || !c.contains("embedding"))
      return Status(StatusCode::kDataLoss,
                    idx.path_ + "/chunks.jsonl:" + std::to_string(n) + ": corrupt chunk");
    Chunk ch;
    ch.id = c.value("id", "");
    ch.source = c.value("source", "");
    ch.text = c.value("text", "");
    ch.embedding = c["embedding"].get<std::vector<float>>();
    if (ch.embedding.size() != idx.dims_)
      return Status(StatusCode::kDataLoss,
                    idx.path_ + "/chunks.jsonl:" + std::to_string(n) + ": embedding has " +
                        std::to_string(ch.embedding.size()) + " dimensions, the index " +
                        std::to_string(idx.dims_));
    idx.chunks_.push_back(std::move(ch));
  }
  return idx;
}

Result<VectorIndex> VectorIndex::OpenOrCreate(const std::string& dir, const std::string& name,
                                              const std::string& embedding_model) {
  auto loaded = Load(dir, name);
  if (loaded.ok()) {
    if (loaded.value().model_ != embedding_model)
      return Status::Invalid("index '" + name + "' was built with embedding model '" +
                             loaded.value().model_ + "', not '" + embedding_model +
                             "': use that model, or another index");
    return loaded;
  }
  if (loaded.status().code() != StatusCode::kNotFound) return loaded.status();
  VectorIndex idx;
  idx.name_ = name;
  idx.model_ = embedding_model;
  idx.path_ = (fs::path(ResolveDir(dir)) / name).string();
  return idx;
}

Status VectorIndex::Add(std::vector<Chunk> chunks) {
  for (auto& c : chunks) {
    if (dims_ == 0) dims_ = c.embedding.size();
    if (c.embedding.size() != dims_)
      return Status::Invalid("embedding of " + c.id + " has " + std::to_string(c.embedding.size()) +
                             " dimensions, the index " + std::to_string(dims_));
    // Re-adding a document replaces its chunks.
    auto it =
        std::find_if(chunks_.begin(), chunks_.end(), [&](const Chunk& x) { return x.id == c.id; });
    if (it != chunks_.end())
      *it = std::move(c);
    else
      chunks_.push_back(std::move(c));
  }
  return Status::OK();
}

Status VectorIndex::Save() const {
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec) return Status::IoError("cannot create " + path_ + ": " + ec.message());
  auto write = [&](const std::string& file, const std::string& text) -> Status {
    std::string tmp = (fs::path(path_) / (file + ".tmp")).string();
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << text;
      if (!out) return Status::IoError("cannot write " + tmp);
    }
    fs::rename(tmp, fs::path(path_) / file, ec);
    if (ec) return Status::IoError("cannot rename " + tmp + ": " + ec.message());
    return Status::OK();
  };
  std::string lines;
  for (const auto& c : chunks_)
    lines += json{{"id", c.id}, {"source", c.source}, {"text", c.text}, {"embedding", c.embedding}}
                 .dump() +
             "\n";
  Status st = write("chunks.jsonl", lines);
  if (!st.ok()) return st;
  return write(
      "index.json",
      json{
          {"name", name_}, {"embedding_model", model_}, {"dims", dims_}, {"chunks", chunks_.size()}}
              .dump(2) +
          "\n");
}

std::vector<Match> VectorIndex::Search(const std::vector<float>& q, size_t k,
                                       double min_score) const {
  std::vector<Match> all;
  if (q.size() != dims_) return all;
  double qn = 0;
  for (float x : q) qn += static_cast<double>(x) * x;
  qn = std::sqrt(qn);
  if (qn == 0) return all;
  for (const auto& c : chunks_) {
    double dot = 0, cn = 0;
    for (size_t i = 0; i < dims_; ++i) {
      dot += static_cast<double>(q[i]) * c.embedding[i];
      cn += static_cast<double>(c.embedding[i]) * c.embedding[i];
    }
    double s = cn > 0 ? dot / (qn * std::sqrt(cn)) : 0;
    if (s >= min_score) all.push_back({&c, s});
  }
  size_t n = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    [](const Match& a, const Match& b) { return a.score > b.score; });
  all.resize(n);
  return all;
}

std::vector<std::string> ChunkText(const std::string& text, int max_words) {
  std::vector<std::string> paragraphs;
  std::string cur;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
    if (blank) {
      if (!cur.empty()) paragraphs.push_back(cur);
      cur.clear();
    } else {
      if (!cur.empty()) cur += " ";
      cur += line;
    }
  }
  if (!cur.empty()) paragraphs.push_back(cur);
  std::vector<std::string> out;
  std::string chunk;
  int words = 0;
  auto flush = [&] {
    if (!chunk.empty()) out.push_back(chunk);
    chunk.clear();
    words = 0;
  };
  for (const auto& p : paragraphs) {
    std::istringstream ws(p);
    std::string w;
    int pw = 0;
    std::vector<std::string> pwords;
    while (ws >> w) {
      pwords.push_back(w);
      ++pw;
    }
    if (words + pw > max_words) flush();
    for (const auto& x : pwords) {
      if (words >= max_words) flush();
      if (!chunk.empty()) chunk += " ";
      chunk += x;
      ++words;
    }
    if (words >= max_words / 2) flush();
  }
  flush();
  return out;
}

Result<std::vector<Chunk>> ChunksFromFiles(const std::vector<std::string>& files, int max_words) {
  std::vector<Chunk> chunks;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) return Status::NotFound("cannot read " + f);
    std::string name = fs::path(f).filename().string();
    if (f.size() > 6 && f.compare(f.size() - 6, 6, ".jsonl") == 0) {
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        auto j = ParseJsonBoundedOrDiscarded(line, FileJsonLimits());
        if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string())
          return Status::Invalid(f + ":" + std::to_string(n) +
                                 ": expected a JSON object with a \"text\" string");
        Chunk c;
        c.id = j.contains("id")
                   ? (j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump())
                   : name + "#" + std::to_string(n);
        c.source = j.value("source", name);
        c.text = j["text"].get<std::string>();
        chunks.push_back(std::move(c));
      }
    } else {
      std::stringstream ss;
      ss << in.rdbuf();
      int n = 0;
      for (auto& t : ChunkText(ss.str(), max_words)) {
        Chunk c;
        c.id = name + "#" + std::to_string(++n);
        c.source = name;
        c.text = std::move(t);
        chunks.push_back(std::move(c));
      }
    }
  }
  return chunks;
}

}  // namespace flowctl::ai
