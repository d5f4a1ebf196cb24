// route: sends each event to the named outputs whose condition holds
// (consumers name them as ROUTER.NAME); unmatched events go to
// ROUTER.default, which may be left unconsumed (then they are dropped and
// counted).
#include "../builtin_list.h"
#include "../common/expr_config.h"

namespace flowctl::components {
namespace {

using nlohmann::json;

class RouteProcessor : public Processor {
 public:
  std::vector<std::shared_ptr<const expr::Program>> conds_;
  bool all_ = false;

  Status Process(std::vector<Event>& events, Emitter& out) override {
    std::vector<size_t> hits;
    for (auto& e : events) {
      hits.clear();
      bool failed = false;
      for (size_t i = 0; i < conds_.size(); ++i) {
        auto r = conds_[i]->EvalBool(e);
        if (!r.ok()) {
          out.Fail(std::move(e), Status::Invalid("route " + std::to_string(i) + ": " +
                                                 r.status().message()));
          failed = true;
          break;
        }
        if (r.value()) {
          hits.push_back(i);
          if (!all_) break;
        }
      }
      if (failed) continue;
      if (hits.empty()) {
        out.EmitTo(conds_.size(), std::move(e));
        continue;
      }
      for (size_t k = 0; k + 1 < hits.size(); ++k) out.EmitTo(hits[k], Event(e));
      out.EmitTo(hits.back(), std::move(e));
    }
    return Status::OK();
  }
};

}  // namespace

ComponentDescriptor RouteDescriptor() {
  ComponentDescriptor d;
  d.type = "route";
  d.kind = NodeKind::kProcessor;
  d.summary = "Routes events to named outputs by conditions (ROUTER.NAME in inputs).";
  d.description =
      "Each route has a name and a when expression. With mode first (default) an event "
      "goes to the first route whose condition holds; with mode all, to every one. Events "
      "matching none go to the output named default. Downstream nodes subscribe with "
      "inputs: [ROUTER.NAME].";
  d.keywords = {"route", "router", "switch", "branch", "split", "dispatch", "fan-out",
                "conditional", "send to"};
  d.config_schema = {
      {"type", "object"},
      {"properties",
       {{"routes",
         {{"type", "array"},
          {"minItems", 1},
          {"description", "ordered list of {name, when}"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"name", {{"type", "string"}, {"minLength", 1}}},
              {"when", {{"type", "string"}, {"x-expression", true}}}}},
            {"required", {"name", "when"}},
            {"additionalProperties", false}}}}},
        {"mode",
         {{"type", "string"},
          {"enum", {"first", "all"}},
          {"default", "first"},
          {"description", "first matching route only, or all matching routes"}}}}},
      {"required", {"routes"}},
      {"additionalProperties", false}};
  d.output_ports = [](const json& config) {
    std::vector<std::string> ports;
    if (config.contains("routes") && config["routes"].is_array())
      for (const auto& r : config["routes"])
        if (r.is_object() && r.contains("name") && r["name"].is_string())
          ports.push_back(r["name"].get<std::string>());
    ports.push_back("default");
    return ports;
  };
  d.example =
      "- id: router\n  type: route\n  inputs: [events]\n  config:\n    routes:\n"
      "      - {name: urgent, when: \"priority == 'critical'\"}\n"
      "      - {name: eu, when: \"geo.country in ['DE', 'FR']\"}\n"
      "# consumers: inputs: [router.urgent], [router.eu], [router.default]\n";
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    auto p = std::make_unique<RouteProcessor>();
    for (const auto& r : ctx.config.at("routes")) {
      auto prog = CompileField("route " + r.at("name").get<std::string>(),
                               r.at("when").get<std::string>());
      if (!prog.ok()) return prog.status();
      p->conds_.push_back(prog.value());
    }
    p->all_ = ctx.config.value("mode", "first") == "all";
    return std::unique_ptr<Processor>(std::move(p));
  };
  return d;
}

}  // namespace flowctl::components
