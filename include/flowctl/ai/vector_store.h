// The embedded vector store: named indexes of text chunks with their
// embeddings, kept as files in a directory (DIR/NAME/index.json holds the
// embedding model and dimensions, DIR/NAME/chunks.jsonl one chunk a line),
// searched by brute-force cosine similarity in memory. Good for thousands to
// low hundreds of thousands of chunks; no approximate index.
//
// Contract: Load/Add/Save are for one thread (the `flowctl index` command, a
// node's factory); a loaded index is immutable and Search is thread-safe.
#ifndef FLOWCTL_AI_VECTOR_STORE_H_
#define FLOWCTL_AI_VECTOR_STORE_H_

#include <string>
#include <vector>

#include "flowctl/base/status.h"

namespace flowctl::ai {

struct Chunk {
  std::string id;
  std::string source;  // file it came from
  std::string text;
  std::vector<float> embedding;
};

struct Match {
  const Chunk* chunk = nullptr;
  double score = 0;  // cosine similarity
};

class VectorIndex {
 public:
  // The directory that holds indexes: dir, else $FLOWCTL_VECTOR_DIR, else
  // ~/.flowctl/vectors.
  static std::string ResolveDir(const std::string& dir);
  // A missing index is kNotFound naming the `flowctl index add` command.
  static Result<VectorIndex> Load(const std::string& dir, const std::string& name);
  // Creates it when absent; an existing index keeps its embedding model and
  // a different one is an error.
  static Result<VectorIndex> OpenOrCreate(const std::string& dir, const std::string& name,
                                          const std::string& embedding_model);

  Status Add(std::vector<Chunk> chunks);  // embeddings must have dims()
  Status Save() const;                    // rewrites both files atomically
  std::vector<Match> Search(const std::vector<float>& query, size_t k, double min_score) const;

  const std::string& embedding_model() const { return model_; }
  size_t dims() const { return dims_; }
  size_t size() const { return chunks_.size(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_, name_, model_;
  size_t dims_ = 0;
  std::vector<Chunk> chunks_;
};

// Splits text into chunks of about max_words words at paragraph and
// sentence boundaries.
std::vector<std::string> ChunkText(const std::string& text, int max_words);

// Chunks of files, without embeddings: text files split by ChunkText; .jsonl
// files one chunk per line ({"text", "id"?, "source"?}). Errors name file:line.
Result<std::vector<Chunk>> ChunksFromFiles(const std::vector<std::string>& files, int max_words);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_VECTOR_STORE_H_
