// Compiles expressions from a component's config (already checked at
// validate time, so failures here are unexpected but still reported).
#ifndef FLOWCTL_COMPONENTS_COMMON_EXPR_CONFIG_H_
#define FLOWCTL_COMPONENTS_COMMON_EXPR_CONFIG_H_

#include <memory>
#include <string>

#include "flowctl/base/status.h"
#include "flowctl/expr/expr.h"

namespace flowctl::components {

inline Result<std::shared_ptr<const expr::Program>> CompileField(const std::string& what,
                                                                 const std::string& text) {
  auto p = expr::Program::Compile(text);
  if (!p.ok()) return Status::Invalid(what + ": " + p.status().message());
  return p.value();
}

}  // namespace flowctl::components

#endif  // FLOWCTL_COMPONENTS_COMMON_EXPR_CONFIG_H_
