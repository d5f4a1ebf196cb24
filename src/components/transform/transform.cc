// transform: set fields from expressions, copy, rename and delete fields.
// All set expressions see the event as it arrived (they are evaluated before
// any change), so their order does not matter.
#include "../builtin_list.h"
#include "../common/expr_config.h"

namespace flowctl::components {
namespace {

using nlohmann::json;

class TransformProcessor : public Processor {
 public:
  struct Assign {
    std::string path;
    std::shared_ptr<const expr::Program> value;
  };
  std::vector<Assign> set_;
  std::vector<std::pair<std::string, std::string>> copy_, rename_;
  std::vector<std::string> delete_;

  Status Process(std::vector<Event>& events, Emitter& out) override {
    std::vector<Value> values(set_.size());
    for (auto& e : events) {
      bool failed = false;
      for (size_t i = 0; i < set_.size(); ++i) {
        auto r = set_[i].value->Eval(e.body());
        if (!r.ok()) {
          out.Fail(std::move(e), Status::Invalid("set " + set_[i].path + ": " +
                                                 r.status().message()));
          failed = true;
          break;
        }
        values[i] = std::move(r).value();
      }
      if (failed) continue;
      Value& body = e.Mutable();
      for (size_t i = 0; i < set_.size(); ++i) {
        if (!body.SetPath(set_[i].path, std::move(values[i]))) {
          out.Fail(std::move(e), Status::Invalid("set " + set_[i].path +
                                                 ": a parent of this path is not an object"));
          failed = true;
          break;
        }
      }
      if (failed) continue;
      for (const auto& [from, to] : copy_)
        if (const Value* v = body.FindPath(from)) body.SetPath(to, Value(*v));
      for (const auto& [from, to] : rename_) {
        if (const Value* v = body.FindPath(from)) {
          Value moved = *v;
          body.ErasePath(from);
          body.SetPath(to, std::move(moved));
        }
      }
      for (const auto& path : delete_) body.ErasePath(path);
      out.Emit(std::move(e));
    }
    return Status::OK();
  }
};

}  // namespace

ComponentDescriptor TransformDescriptor() {
  ComponentDescriptor d;
  d.type = "transform";
  d.kind = NodeKind::kProcessor;
  d.summary = "Sets fields from expressions, copies, renames and deletes fields.";
  d.description =
      "Changes events in this order: set (each field gets the value of an expression "
      "evaluated on the incoming event, e.g. amount_usd: \"amount * 1.1\"), copy, rename, "
      "delete. Field names may be paths (geo.city). Setting a nested path creates the "
      "objects on the way. An expression error goes to the node's on_error policy.";
  d.keywords = {"transform", "map", "set", "add field", "enrich", "rename", "delete", "remove",
                "copy", "compute", "convert", "modify"};
  json map_of_strings = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
  json set_schema = map_of_strings;
  set_schema["x-expression-map"] = true;
  set_schema["description"] = "field path -> expression giving its new value";
  json copy = map_of_strings;
  copy["description"] = "source path -> destination path";
  json rename = map_of_strings;
  rename["description"] = "old path -> new path";
  d.config_schema = {
      {"type", "object"},
      {"properties",
       {{"set", set_schema},
        {"copy", copy},
        {"rename", rename},
        {"delete",
         {{"type", "array"},
          {"items", {{"type", "string"}}},
          {"description", "field paths to remove"}}}}},
      {"additionalProperties", false}};
  d.example =
      "- id: enrich\n  type: transform\n  inputs: [events]\n  config:\n    set:\n"
      "      routed: \"true\"\n      amount_usd: \"amount * 1.1\"\n    delete: [internal]\n";
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    auto p = std::make_unique<TransformProcessor>();
    const auto& c = ctx.config;
    if (c.contains("set"))
      for (auto it = c["set"].begin(); it != c["set"].end(); ++it) {
        auto prog = CompileField("set " + it.key(), it->get<std::string>());
        if (!prog.ok()) return prog.status();
        p->set_.push_back({it.key(), prog.value()});
      }
    if (c.contains("copy"))
      for (auto it = c["copy"].begin(); it != c["copy"].end(); ++it)
        p->copy_.emplace_back(it.key(), it->get<std::string>());
    if (c.contains("rename"))
      for (auto it = c["rename"].begin(); it != c["rename"].end(); ++it)
        p->rename_.emplace_back(it.key(), it->get<std::string>());
    if (c.contains("delete"))
      for (const auto& f : c["delete"]) p->delete_.push_back(f.get<std::string>());
    return std::unique_ptr<Processor>(std::move(p));
  };
  return d;
}

}  // namespace flowctl::components
