// Tree-walking evaluator (private).
//
// Contract: reads the tree and the event only; thread-safe.
#ifndef FLOWCTL_EXPR_EVAL_H_
#define FLOWCTL_EXPR_EVAL_H_

#include <optional>

#include "expr/ast.h"
#include "flowctl/base/status.h"
#include "flowctl/data/value.h"

namespace flowctl::expr {

// Evaluates node against the event root. *out points at the result: into
// root or the tree itself when the node is a field path or literal (so no
// copy is made), otherwise at *scratch, which then holds the computed value.
// *out stays valid while root, the tree and *scratch live unchanged.
Status EvalNode(const Node& node, const Value& root, Value* scratch,
                const Value** out);

// Evaluates node for a truth value without boxing bools into Values, the
// hot path of filters. On OK either *other is nullptr and *out holds the
// bool, or *other points at the non-bool result (inside *storage, the tree
// or root) so the caller can name its type.
Status EvalTruth(const Node& node, const Value& root, std::optional<Value>* storage,
                 bool* out, const Value** other);

}  // namespace flowctl::expr

#endif  // FLOWCTL_EXPR_EVAL_H_
