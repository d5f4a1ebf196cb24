// Webhook delivery of the ops room (internal.h): monitor alerts and
// self-healing incidents.
#include <httplib.h>

#include <chrono>
#include <thread>

#include "flowctl/ai/http_url.h"
#include "internal.h"

namespace flowctl::ai::ops_internal {

using nlohmann::json;

namespace {
constexpr int kWebhookAttempts = 3;
constexpr int kWebhookBackoffMs = 200;
constexpr int kWebhookTimeoutS = 5;
}  // namespace

// POSTs body to url, retrying a failed attempt with backoff.
json PostWebhook(const std::string& url, const std::string& body) {
  json out = {{"webhook", url}};
  auto u = ParseHttpUrl(url);
  if (!u.ok()) {
    out["delivered"] = false;
    out["error"] = u.status().message();
    return out;
  }
  std::string last;
  for (int attempt = 1; attempt <= kWebhookAttempts; ++attempt) {
    if (attempt > 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(kWebhookBackoffMs << (attempt - 2)));
    out["attempts"] = attempt;
    httplib::Client cli(u->Origin());
    cli.set_connection_timeout(kWebhookTimeoutS, 0);
    cli.set_read_timeout(kWebhookTimeoutS, 0);
    cli.set_write_timeout(kWebhookTimeoutS, 0);
    auto res = cli.Post(u->path.empty() ? "/" : u->path, body, "application/json");
    if (res && res->status >= 200 && res->status < 300) {
      out["delivered"] = true;
      out["status"] = res->status;
      return out;
    }
    last = res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error());
  }
  out["delivered"] = false;
  out["error"] = last;
  return out;
}

}  // namespace flowctl::ai::ops_internal
