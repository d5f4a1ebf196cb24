// Bounded JSON parsing into nlohmann::json, for every place that turns
// untrusted text into a tree (MCP messages, HTTP bodies, JSON carried in gRPC
// strings, model and tool answers).
//
// Why: nlohmann::json copies, compares and dumps recursively, so a small
// message nested 100k levels deep ("[[[[...") overflows the stack long after
// parsing succeeded. The size and the nesting depth are checked by a cheap
// scan BEFORE any tree is built, so a hostile document costs O(size) time and
// no memory beyond its text.
//
// Contract:
// - ParseJsonBounded never throws and never aborts; every failure is a
//   kInvalidArgument Status whose message names the limit or the syntax
//   error and the byte offset ("JSON nested deeper than 512 levels at byte
//   513").
// - CheckJsonBounds is the scan alone (for callers that parse with another
//   library); it accepts any text within the limits, valid JSON or not.
// - Thread-safe: no shared state.
#ifndef FLOWCTL_DATA_JSON_BOUNDED_H_
#define FLOWCTL_DATA_JSON_BOUNDED_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "flowctl/base/status.h"

namespace flowctl {

struct JsonLimits {
  // Arrays and objects open at once. Real documents (MCP messages, model
  // answers, JSON schemas) stay under a few dozen; 512 keeps the recursive
  // copy/dump of nlohmann::json far from any thread's stack limit.
  size_t max_depth = 512;
  // Bytes of text. 16 MiB is far above any MCP message or model answer.
  size_t max_bytes = 16u << 20;
};

// The size and depth scan alone; strings (with escapes) are skipped, so
// brackets inside them do not count.
Status CheckJsonBounds(std::string_view text, const JsonLimits& limits = {});

// CheckJsonBounds, then a non-throwing parse of exactly one JSON document.
Result<nlohmann::json> ParseJsonBounded(std::string_view text, const JsonLimits& limits = {});

// For call sites written against json::parse(text, nullptr, false): the
// same bounded parse, with any failure a discarded value (is_discarded()).
nlohmann::json ParseJsonBoundedOrDiscarded(std::string_view text, const JsonLimits& limits = {});

// Limits for files a person supplies (model files, indexes): as large as
// the file, nested no deeper than any other JSON.
JsonLimits FileJsonLimits();

}  // namespace flowctl

#endif  // FLOWCTL_DATA_JSON_BOUNDED_H_
