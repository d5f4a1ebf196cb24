// Fuzz target: the YAML document loader (src/config/). Any bytes must come
// back as documents and diagnostics, never a crash, a hang or a huge
// allocation (the loader's limits); pipelines it accepts are printed with
// ToYaml and loaded again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "flowctl/config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  flowctl::config::LoadOptions options;
  options.use_env = false;         // deterministic, and no secrets in diagnostics
  options.template_files = false;  // spec.template.path must not read the disk
  options.vars["NAME"] = "fuzz";
  options.overrides.push_back({"gen.count", "3"});
  flowctl::config::LoadResult r = flowctl::config::LoadString(text, "fuzz.yaml", options);
  for (const flowctl::Diagnostic& d : r.diagnostics) (void)d.ToString();
  for (const flowctl::Document& d : r.documents) {
    if (!d.Runnable()) continue;
    std::string again = flowctl::config::ToYaml(d.pipeline);
    (void)flowctl::config::LoadString(again, "roundtrip.yaml", options);
  }
  return 0;
}
