// Descriptors of the built-in components, one function per component folder.
#ifndef FLOWCTL_COMPONENTS_BUILTIN_LIST_H_
#define FLOWCTL_COMPONENTS_BUILTIN_LIST_H_

#include "flowctl/component/registry.h"

namespace flowctl::components {

ComponentDescriptor GeneratorDescriptor();
ComponentDescriptor FileSourceDescriptor();
ComponentDescriptor StdinSourceDescriptor();
ComponentDescriptor FilterDescriptor();
ComponentDescriptor TransformDescriptor();
ComponentDescriptor RouteDescriptor();
ComponentDescriptor ParseJsonDescriptor();
ComponentDescriptor DedupeDescriptor();
ComponentDescriptor StdoutSinkDescriptor();
ComponentDescriptor FileSinkDescriptor();
ComponentDescriptor SelectiveSinkDescriptor();
ComponentDescriptor DeadLetterSinkDescriptor();
ComponentDescriptor NullSinkDescriptor();
ComponentDescriptor AiProcessorDescriptor();
ComponentDescriptor AiRouterDescriptor();
ComponentDescriptor MlProcessorDescriptor();
ComponentDescriptor RagProcessorDescriptor();
ComponentDescriptor RetrievalAugmentedProcessorDescriptor();
ComponentDescriptor AgentProcessorDescriptor();

}  // namespace flowctl::components

#endif  // FLOWCTL_COMPONENTS_BUILTIN_LIST_H_
