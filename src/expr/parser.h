// Parser for the expression language (private): tokens -> checked AST.
//
// Contract: pure function of its input; thread-safe.
#ifndef FLOWCTL_EXPR_PARSER_H_
#define FLOWCTL_EXPR_PARSER_H_

#include <string_view>

#include "expr/ast.h"
#include "flowctl/base/status.h"

namespace flowctl::expr {

// Parses, checks (function names, arities, has() arguments, literal regexes)
// and constant-folds source into *root.
Status Parse(std::string_view source, NodePtr* root);

}  // namespace flowctl::expr

#endif  // FLOWCTL_EXPR_PARSER_H_
