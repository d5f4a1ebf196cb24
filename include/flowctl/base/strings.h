// Small string helpers shared by every room.
//
// Contract: pure functions, thread-safe.
#ifndef FLOWCTL_BASE_STRINGS_H_
#define FLOWCTL_BASE_STRINGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flowctl/base/status.h"

namespace flowctl {

size_t EditDistance(std::string_view a, std::string_view b);
// The closest candidate within a small edit distance, or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);
// "a, b, c"
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::vector<std::string> Split(std::string_view s, char sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
std::string ToLower(std::string_view s);
// kebab-case -> snake_case.
std::string SnakeCase(std::string_view s);
// Compares every byte of both, whatever differs first, so that the time a
// wrong token takes does not tell how much of it was right.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// Standard base64 (RFC 4648, with padding).
std::string Base64Encode(std::string_view bytes);

// "90s", "15m", "1h", "24h", "7d", "30d" (digits and one unit: s, m, h, d)
// in seconds; anything else is kInvalidArgument saying what would be valid.
Result<int64_t> ParseSpan(const std::string& text);

}  // namespace flowctl

#endif  // FLOWCTL_BASE_STRINGS_H_
