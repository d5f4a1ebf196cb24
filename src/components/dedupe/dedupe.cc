// dedupe: drops events whose key was seen among the last max_keys keys.
// Memory is bounded by max_keys (oldest keys are forgotten first).
#include <deque>
#include <unordered_set>

#include "../builtin_list.h"
#include "../common/expr_config.h"

namespace flowctl::components {
namespace {

class DedupeProcessor : public Processor {
 public:
  DedupeProcessor(std::shared_ptr<const expr::Program> key, size_t max_keys)
      : key_(std::move(key)), max_keys_(max_keys) {}

  Status Process(std::vector<Event>& events, Emitter& out) override {
    for (auto& e : events) {
      auto r = key_->Eval(e);
      if (!r.ok()) {
        out.Fail(std::move(e), r.status());
        continue;
      }
      std::string k = r.value().is_string() ? r.value().as_string() : r.value().ToJson();
      if (seen_.count(k)) {
        out.Drop(std::move(e));
        continue;
      }
      seen_.insert(k);
      order_.push_back(std::move(k));
      if (order_.size() > max_keys_) {
        seen_.erase(order_.front());
        order_.pop_front();
      }
      out.Emit(std::move(e));
    }
    return Status::OK();
  }

 private:
  std::shared_ptr<const expr::Program> key_;
  size_t max_keys_;
  std::unordered_set<std::string> seen_;
  std::deque<std::string> order_;
};

}  // namespace

ComponentDescriptor DedupeDescriptor() {
  ComponentDescriptor d;
  d.type = "dedupe";
  d.kind = NodeKind::kProcessor;
  d.summary = "Drops events whose key was already seen (bounded memory).";
  d.description =
      "Computes key (an expression, e.g. id or user_id + ':' + string(ts)) per event and "
      "drops an event whose key is among the last max_keys keys seen. Runs as a single "
      "instance so that every event meets the same memory.";
  d.keywords = {"dedupe", "deduplicate", "duplicate", "unique", "distinct", "once"};
  d.parallel_safe = false;
  d.config_schema = {
      {"type", "object"},
      {"properties",
       {{"key", {{"type", "string"}, {"x-expression", true}, {"description", "expression"}}},
        {"max_keys",
         {{"type", "integer"},
          {"minimum", 1},
          {"default", 100000},
          {"description", "how many recent keys to remember"}}}}},
      {"required", {"key"}},
      {"additionalProperties", false}};
  d.example = "- id: unique\n  type: dedupe\n  inputs: [events]\n  config:\n    key: id\n";
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    auto p = CompileField("key", ctx.config.at("key").get<std::string>());
    if (!p.ok()) return p.status();
    return std::unique_ptr<Processor>(
        new DedupeProcessor(p.value(), ctx.config.value("max_keys", size_t{100000})));
  };
  return d;
}

}  // namespace flowctl::components
