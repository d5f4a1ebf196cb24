#include "sandbox_paths.h"

#include "flowctl/component/schema.h"

namespace flowctl::engine {

std::vector<Diagnostic> CheckSandboxPaths(const PipelineSpec& spec, const Registry& registry,
                                          const Sandbox& sandbox) {
  std::vector<Diagnostic> out;
  for (const NodeSpec* s : spec.AllNodes()) {
    const ComponentDescriptor* d = registry.Find(s->type, s->kind);
    if (d == nullptr) continue;
    // The same view of the config the graph builder takes (kebab-case keys
    // renamed, defaults filled), so a path is found however it was spelled.
    nlohmann::json config = s->config;
    auto renamed = NormalizeKeys(d->config_schema, &config);
    ApplyDefaults(d->config_schema, &config);
    for (const auto& f : FindPathFields(d->config_schema, config)) {
      auto r = sandbox.Resolve(f.path, f.access);
      if (r.ok()) continue;
      std::string written = f.pointer;
      for (const auto& [from, to] : renamed)
        if (written.compare(0, to.size(), to) == 0 &&
            (written.size() == to.size() || written[to.size()] == '/'))
          written = from + written.substr(to.size());
      out.push_back({Diagnostic::Severity::kError, s->ConfigMark(written), s->id,
                     "config" + f.pointer + ": " + r.status().message(),
                     "relative paths are taken under the first data root"});
    }
  }
  return out;
}

}  // namespace flowctl::engine
