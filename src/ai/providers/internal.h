// Factories of the providers, one per file (http.cc holds the remote ones).
#ifndef FLOWCTL_AI_PROVIDERS_INTERNAL_H_
#define FLOWCTL_AI_PROVIDERS_INTERNAL_H_

#include <memory>

#include "flowctl/ai/provider.h"

namespace flowctl::ai::internal {

std::unique_ptr<Provider> MakeEmbeddedProvider();
// base_url and api_key already resolved from options and environment.
std::unique_ptr<Provider> MakeOpenAIProvider(std::string base_url, std::string api_key,
                                             int timeout_ms);
std::unique_ptr<Provider> MakeAnthropicProvider(std::string base_url, std::string api_key,
                                                int timeout_ms);
std::unique_ptr<Provider> MakeOllamaProvider(std::string base_url, int timeout_ms);

}  // namespace flowctl::ai::internal

#endif  // FLOWCTL_AI_PROVIDERS_INTERNAL_H_
