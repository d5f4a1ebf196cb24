// A line-based unified diff (LCS); pipeline documents are small.
#include <sstream>
#include <vector>

#include "flowctl/base/strings.h"
#include "flowctl/engine/engine.h"

namespace flowctl::engine {

std::string UnifiedDiff(const std::string& before, const std::string& after,
                        const std::string& before_name, const std::string& after_name) {
  if (before == after) return "";
  std::vector<std::string> a = Split(before, '\n'), b = Split(after, '\n');
  size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::ostringstream out;
  out << "--- " << before_name << "\n+++ " << after_name << "\n";
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out << " " << a[i] << "\n";
      ++i, ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out << "+" << b[j++] << "\n";
    } else {
      out << "-" << a[i++] << "\n";
    }
  }
  return out.str();
}

}  // namespace flowctl::engine
