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

#include "flowctl/base/status.h"
#include "flowctl/data/value.h"

namespace flowctl {

// Parses one JSON document. Error messages name the byte offset when known.
Status ParseJson(std::string_view text, Value* out);
// True when text is one valid JSON document (faster than ParseJson).
bool IsValidJson(std::string_view text);
// Appends the compact JSON form of v to out.
void AppendJson(const Value& v, std::string* out);
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace flowctl

#endif  // FLOWCTL_DATA_JSON_H_
