// Diagnostic: one problem found in a document, with where, which node, what is
// wrong and what would be valid. Loaders and validators collect all of them
// instead of stopping at the first.
//
// Contract: plain value type.
#ifndef FLOWCTL_SPEC_DIAGNOSTIC_H_
#define FLOWCTL_SPEC_DIAGNOSTIC_H_

#include <string>
#include <vector>

#include "flowctl/spec/spec.h"

namespace flowctl {

struct Diagnostic {
  // kNote: information, e.g. which model provider a node will use and why.
  enum class Severity { kError, kWarning, kNote };
  Severity severity = Severity::kError;
  Mark mark;
  std::string node_id;  // empty when not about one node
  std::string message;  // what is wrong
  std::string hint;     // what would be valid / did you mean
  // "file:3:7: error: [node x] message (hint)"
  std::string ToString() const;
};

bool HasErrors(const std::vector<Diagnostic>& diags);

}  // namespace flowctl

#endif  // FLOWCTL_SPEC_DIAGNOSTIC_H_
