// filter: keeps events whose condition is true; the rest are dropped on
// purpose (counted, acknowledged). An evaluation error is an event error.
#include "../builtin_list.h"
#include "../common/expr_config.h"

namespace flowctl::components {
namespace {

class FilterProcessor : public Processor {
 public:
  explicit FilterProcessor(std::shared_ptr<const expr::Program> p) : cond_(std::move(p)) {}
  Status Process(std::vector<Event>& events, Emitter& out) override {
    for (auto& e : events) {
      auto r = cond_->EvalBool(e);
      if (!r.ok()) out.Fail(std::move(e), r.status());
      else if (r.value()) out.Emit(std::move(e));
      else out.Drop(std::move(e));
    }
    return Status::OK();
  }

 private:
  std::shared_ptr<const expr::Program> cond_;
};

}  // namespace

ComponentDescriptor FilterDescriptor() {
  ComponentDescriptor d;
  d.type = "filter";
  d.kind = NodeKind::kProcessor;
  d.summary = "Keeps only the events for which an expression is true.";
  d.description =
      "Evaluates condition (the expression language, e.g. \"priority in ['high', "
      "'critical'] && amount > 100\") for every event. True passes the event on; false drops "
      "it on purpose (counted as dropped); an evaluation error (e.g. comparing a string with "
      "a number) goes to the node's on_error policy.";
  d.keywords = {"filter", "where", "select", "keep", "condition", "only", "drop", "match"};
  d.config_schema = {
      {"type", "object"},
      {"properties",
       {{"condition",
         {{"type", "string"},
          {"x-expression", true},
          {"description", "boolean expression; events where it is false are dropped"}}}}},
      {"required", {"condition"}},
      {"additionalProperties", false}};
  d.example =
      "- id: important\n  type: filter\n  inputs: [events]\n  config:\n"
      "    condition: \"priority in ['high', 'critical']\"\n";
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    auto p = CompileField("condition", ctx.config.at("condition").get<std::string>());
    if (!p.ok()) return p.status();
    return std::unique_ptr<Processor>(new FilterProcessor(p.value()));
  };
  return d;
}

}  // namespace flowctl::components
