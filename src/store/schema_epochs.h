// Schema epochs: how the metric history keeps each source's schema profile
// (data/schema_profile.h) over time. An epoch is a stretch of time during
// which the stream kept one shape; samples that keep the shape extend it,
// samples that change it (ShapeChanges) start the next one. So the table
// holds one row per change, not per second, and a change is visible at the
// time it happened. Private to the store; the caller holds its lock.
#ifndef FLOWCTL_SRC_STORE_SCHEMA_EPOCHS_H_
#define FLOWCTL_SRC_STORE_SCHEMA_EPOCHS_H_

#include <map>
#include <string>
#include <vector>

#include "flowctl/store/metric_history.h"
#include "sqlite.h"

namespace flowctl::store::schema_epochs {

// Samples are compared once this many events are pending (or the run ends):
// a handful of events is too few to call a field gone.
inline constexpr int64_t kMinSample = 16;
// Epochs kept per node; older ones are dropped first.
inline constexpr int kMaxEpochs = 64;

const char* CreateSql();

class Recorder {
 public:
  // Adds one interval's profile; stores it when enough is pending or final.
  Status Add(sqlite::Database& db, const std::string& pipeline, const std::string& node,
             const SchemaProfile& delta, int64_t from_ms, int64_t now_ms, bool final);

 private:
  struct Pending {
    SchemaProfile profile;
    int64_t from_ms = 0;
  };
  std::map<std::string, Pending> pending_;  // pipeline + '\n' + node
};

Result<std::vector<SchemaEpoch>> Query(sqlite::Database& db, const std::string& pipeline,
                                       const std::string& node, int64_t since_ms);
Status Prune(sqlite::Database& db, int64_t before_ms);

// The text form of a profile's fields in the table (one field per line).
std::string EncodeFields(const SchemaProfile& p);
void DecodeFields(const std::string& text, SchemaProfile* p);

}  // namespace flowctl::store::schema_epochs

#endif  // FLOWCTL_SRC_STORE_SCHEMA_EPOCHS_H_
