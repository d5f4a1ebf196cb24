#include "flowctl/expr/expr.h"

#include <algorithm>

#include "flowctl/data/json.h"

#include <optional>
#include <utility>

#include "expr/ast.h"
#include "expr/eval.h"
#include "expr/parser.h"

namespace flowctl::expr {
namespace {

void CollectTopKeys(const Node& node, std::vector<std::string>* keys, bool* whole) {
  if (node.kind == Kind::kField) {
    if (node.path.empty() || node.path[0].is_index) {
      *whole = true;
    } else if (std::find(keys->begin(), keys->end(), node.path[0].key) == keys->end()) {
      keys->push_back(node.path[0].key);
    }
  }
  for (const NodePtr& arg : node.args) CollectTopKeys(*arg, keys, whole);
}

void CollectFields(const Node& node, std::vector<std::string>* fields) {
  if (node.kind == Kind::kField && !node.path.empty()) {
    std::string path = PathString(node.path);
    for (const std::string& f : *fields) {
      if (f == path) return;
    }
    fields->push_back(std::move(path));
    return;
  }
  for (const NodePtr& arg : node.args) CollectFields(*arg, fields);
}

}  // namespace

Program::~Program() = default;

Result<std::shared_ptr<const Program>> Program::Compile(std::string_view source) {
  NodePtr root;
  FLOWCTL_RETURN_IF_ERROR(Parse(source, &root));
  // The constructor is private, so make_shared cannot reach it.
  std::shared_ptr<Program> program(new Program());
  program->source_ = std::string(source);
  CollectFields(*root, &program->fields_);
  CollectTopKeys(*root, &program->top_keys_, &program->whole_event_);
  program->root_ = std::move(root);
  return std::shared_ptr<const Program>(std::move(program));
}

Result<Value> Program::Eval(const Value& event) const {
  Value scratch;
  const Value* out = nullptr;
  FLOWCTL_RETURN_IF_ERROR(EvalNode(*root_, event, &scratch, &out));
  if (out == &scratch) return scratch;
  return *out;
}

Result<bool> Program::EvalBool(const Value& event) const {
  std::optional<Value> storage;
  bool result = false;
  const Value* other = nullptr;
  FLOWCTL_RETURN_IF_ERROR(EvalTruth(*root_, event, &storage, &result, &other));
  if (other) {
    return Status::Invalid(std::string("expression must produce a bool, got ") +
                           other->TypeName() + (other->is_null() ? " (missing field?)" : ""));
  }
  return result;
}

const Value& Program::View(const Event& e, Value* scratch) const {
  if (!e.lazy() || whole_event_) return e.body();
  if (top_keys_.empty()) {
    *scratch = Value::MakeObject();
    return *scratch;
  }
  if (!ExtractTopLevel(e.raw(), top_keys_, scratch).ok()) return e.body();
  for (const auto& m : e.patches())
    if (std::find(top_keys_.begin(), top_keys_.end(), m.key) != top_keys_.end())
      scratch->Set(m.key, m.value);
  return *scratch;
}

Result<Value> Program::Eval(const Event& event) const {
  Value scratch;
  return Eval(View(event, &scratch));
}

Result<bool> Program::EvalBool(const Event& event) const {
  thread_local Value scratch;
  return EvalBool(View(event, &scratch));
}

}  // namespace flowctl::expr
