// SchemaProfile: the shape of a stream of events, as counts over a sample —
// which top-level fields the events had, how often, and with which JSON
// kind. Sources keep one per run (runtime/metrics.h), the metric history
// keeps them over time as epochs of one shape (store/metric_history.h), and
// `ai debug` compares consecutive epochs to name what changed and when.
//
// Contract: a plain value type, not synchronized. Bounded: at most
// kMaxFields distinct field names are tracked; events with more are counted
// (other_fields) but their extra names are not kept.
#ifndef FLOWCTL_DATA_SCHEMA_PROFILE_H_
#define FLOWCTL_DATA_SCHEMA_PROFILE_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "flowctl/data/value.h"

namespace flowctl {

// JSON kinds: int and double are one kind (a number field holding 1 and 1.5
// has not changed type).
enum JsonKind : int {
  kKindNull,
  kKindBool,
  kKindNumber,
  kKindString,
  kKindArray,
  kKindObject,
  kKindCount
};
const char* JsonKindName(int kind);
int JsonKindOf(const Value& v);

struct FieldProfile {
  int64_t present = 0;                      // events that had the field
  std::array<int64_t, kKindCount> kinds{};  // of those, per kind
  // The kind most events had; -1 when never present.
  int DominantKind() const;
};

struct SchemaProfile {
  static constexpr size_t kMaxFields = 128;
  int64_t sampled = 0;       // events looked at
  int64_t not_objects = 0;   // of those, bodies that were not objects
  int64_t other_fields = 0;  // field occurrences beyond kMaxFields names
  std::map<std::string, FieldProfile> fields;

  void Add(const Value& body);
  void Merge(const SchemaProfile& other);
  // What was added since `earlier`, an older copy of this cumulative profile.
  SchemaProfile Since(const SchemaProfile& earlier) const;
  double Presence(const std::string& field) const;
};

// A difference in shape between two profiles of the same stream.
struct FieldChange {
  enum What { kAppeared, kDisappeared, kKindChanged };
  std::string field;
  What what = kAppeared;
  int kind_before = -1, kind_after = -1;
  double presence_before = 0, presence_after = 0;
};
const char* FieldChangeName(FieldChange::What w);

// The shape changes from `before` to `after`. With hysteresis, so that a
// field present in some events does not flap: a field appeared when it was
// in under kRareShare of the events before and in at least kCommonShare
// after; disappeared the other way round; changed kind when it was common
// in both and its dominant kind differs. Sorted by field name.
inline constexpr double kRareShare = 0.02;
inline constexpr double kCommonShare = 0.5;
std::vector<FieldChange> ShapeChanges(const SchemaProfile& before, const SchemaProfile& after);

}  // namespace flowctl

#endif  // FLOWCTL_DATA_SCHEMA_PROFILE_H_
