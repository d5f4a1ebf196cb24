// Decision records: one line of JSON per AI/ML decision (input features,
// model, output, confidence, latency, cost), so that a decision can be
// explained later (`flowctl explain ID`). Kept bounded in the node's state
// directory: decisions/<node>.jsonl holds the newest records, and when it
// passes max_records it becomes decisions/<node>.1.jsonl (the one before is
// dropped), so at most 2 x max_records stay on disk.
//
// Contract: thread-safe (the parallel instances of a node share one log).
// Records are buffered and written on Flush (the components flush after
// each batch) and on destruction; a crash loses at most the batch in hand
// (decisions are diagnostics, not data). Without a directory nothing is
// written and NextId returns "": an id nobody could look up is not worth
// building per event.
#ifndef FLOWCTL_AI_DECISIONS_H_
#define FLOWCTL_AI_DECISIONS_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowctl/base/status.h"

namespace flowctl::ai {

class DecisionLog {
 public:
  // dir: the node's state directory ("" = do not persist).
  DecisionLog(std::string dir, std::string pipeline, std::string node, size_t max_records);
  ~DecisionLog();
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // A new id: NODE.RUN.SEQ, unique across runs of the same state dir ("" when
  // not persistent).
  std::string NextId();
  // Appends one record; fields are given as JSON text to keep the hot path
  // free of tree building. input_json and output_json must be JSON values;
  // evidence_json, when given, is an object keyed by output field: why the
  // (deterministic) model decided that part as it did, in terms that fit
  // the kind of decision (`flowctl explain` prints it).
  void Record(const std::string& id, const std::string& component, const std::string& model,
              const std::string& provider, const std::string& input_json,
              const std::string& output_json, double confidence, int64_t latency_us,
              double cost_usd, const std::string& evidence_json = "");
  void Flush();
  bool persistent() const { return !path_.empty(); }

 private:
  void FlushLocked();
  std::string dir_, pipeline_, node_, path_, prev_path_, run_tag_;
  size_t max_records_;
  std::atomic<uint64_t> seq_{0};
  std::mutex mu_;
  std::string buffer_;
  size_t buffered_ = 0;
  size_t on_disk_ = 0;  // records in path_
};

// Finds a decision by id under a state dir (every pipeline's decisions/).
Result<nlohmann::json> FindDecision(const std::string& state_dir, const std::string& id);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_DECISIONS_H_
