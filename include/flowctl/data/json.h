// JSON in and out. Parsing uses simdjson (one parser per thread, reused);
// writing uses an own writer that appends to a std::string.
//
// Contract: all functions are thread-safe (thread-local parser state).
// Numbers: integers that fit int64 stay ints; others are doubles, written in
// the shortest form that round-trips.
#ifndef FLOWCTL_DATA_JSON_H_
#define FLOWCTL_DATA_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "flowctl/base/status.h"
#include "flowctl/data/value.h"

namespace flowctl {

// Parses one JSON document. Error messages name the byte offset when known.
Status ParseJson(std::string_view text, Value* out);
// Decodes text already known to be valid JSON in one pass (no separate
// validation); for lazily decoded events.
Status ParseValidatedJson(const std::string& text, Value* out);
// True when text is one valid JSON document (faster than ParseJson).
bool IsValidJson(std::string_view text);
// Same, parsing in place when text has spare capacity for the parser's padding.
bool IsValidJson(const std::string& text);
// Decodes only the named top-level members of a JSON object into out (an
// object holding those that exist). Much cheaper than ParseJson when an
// expression reads two fields of a twenty-field event.
Status ExtractTopLevel(const std::string& text, const std::vector<std::string>& keys, Value* out);
// Appends the compact JSON form of v to out.
void AppendJson(const Value& v, std::string* out);
// Appends s as a JSON string; bytes that are not UTF-8 become U+FFFD.
void AppendJsonString(std::string_view s, std::string* out);
bool IsValidUtf8(std::string_view s);
// s with every byte that is not part of a well-formed UTF-8 sequence
// replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);

}  // namespace flowctl

#endif  // FLOWCTL_DATA_JSON_H_
