#include <cstdio>
#include <cstdlib>

#include "builtin_list.h"

namespace flowctl {

void RegisterBuiltins(Registry& registry) {
  using namespace components;  // NOLINT: the list below is the point
  for (auto make : {GeneratorDescriptor, FileSourceDescriptor, StdinSourceDescriptor,
                    FilterDescriptor, TransformDescriptor, RouteDescriptor, ParseJsonDescriptor,
                    DedupeDescriptor, StdoutSinkDescriptor, FileSinkDescriptor,
                    SelectiveSinkDescriptor, DeadLetterSinkDescriptor, NullSinkDescriptor,
                    AiProcessorDescriptor, AiRouterDescriptor, MlProcessorDescriptor,
                    RagProcessorDescriptor, RetrievalAugmentedProcessorDescriptor,
                    AgentProcessorDescriptor}) {
    Status st = registry.Register(make());
    if (!st.ok()) {
      // A broken built-in is a programming error caught by every test run.
      std::fprintf(stderr, "flowctl: %s\n", st.ToString().c_str());
      std::abort();
    }
  }
}

}  // namespace flowctl
