// transform: set fields from expressions, copy, rename and delete fields.
// All set expressions see the event as it arrived (they are evaluated before
// any change), so their order does not matter.
#include <algorithm>

#include "../builtin_list.h"
#include "flowctl/data/json.h"
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
  Value view_;  // scratch for TryPatch
  // Set-only transforms of top-level fields can patch a still-undecoded
  // event: decode just the fields read and the targets (to learn whether
  // they exist), then append the new members to the original bytes.
  bool patchable_ = false;
  std::vector<std::string> patch_keys_;  // fields read + target fields

  void Prepare() {
    patchable_ = !set_.empty() && copy_.empty() && rename_.empty() && delete_.empty();
    for (const auto& a : set_) {
      if (a.path.find_first_of(".[") != std::string::npos || a.value->reads_whole_event())
        patchable_ = false;
      for (const auto& k : a.value->top_level_keys()) AddKey(k);
      AddKey(a.path);
    }
  }

  void AddKey(const std::string& k) {
    if (std::find(patch_keys_.begin(), patch_keys_.end(), k) == patch_keys_.end())
      patch_keys_.push_back(k);
  }

  // True when the event was handled (emitted or failed) by patching.
  bool TryPatch(Event& e, std::vector<Value>& values, Emitter& out) {
    if (!patchable_ || !e.lazy()) return false;
    if (!ExtractTopLevel(e.raw(), patch_keys_, &view_).ok()) return false;
    for (const auto& a : set_) {
      if (view_.Find(a.path) == nullptr) continue;
      bool patched = false;
      for (const auto& m : e.patches()) patched = patched || m.key == a.path;
      if (!patched) return false;  // overwrites an original member: decode
    }
    for (const auto& m : e.patches()) view_.Set(m.key, m.value);
    for (size_t i = 0; i < set_.size(); ++i) {
      auto r = set_[i].value->Eval(view_);
      if (!r.ok()) {
        out.Fail(std::move(e), Status::Invalid("set " + set_[i].path + ": " +
                                               r.status().message()));
        return true;
      }
      values[i] = std::move(r).value();
    }
    for (size_t i = 0; i < set_.size(); ++i) e.PatchTopLevel(set_[i].path, std::move(values[i]));
    out.Emit(std::move(e));
    return true;
  }

  Status Process(std::vector<Event>& events, Emitter& out) override {
    std::vector<Value> values(set_.size());
    for (auto& e : events) {
      if (TryPatch(e, values, out)) continue;
      bool failed = false;
      for (size_t i = 0; i < set_.size(); ++i) {
        auto r = set_[i].value->Eval(e);
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
    p->Prepare();
    return std::unique_ptr<Processor>(std::move(p));
  };
  return d;
}

}  // namespace flowctl::components
