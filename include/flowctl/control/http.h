// The HTTP side port: /metrics in the Prometheus text format (per-node
// counters and batch-latency histograms, per-pipeline state), /healthz and
// /readyz. Loopback by default, read-only.
//
// Contract: Start binds and serves on its own thread; Shutdown is
// idempotent. The engine must outlive the server.
#ifndef FLOWCTL_CONTROL_HTTP_H_
#define FLOWCTL_CONTROL_HTTP_H_

#include <memory>
#include <string>
#include <vector>

#include "flowctl/base/status.h"
#include "flowctl/engine/engine.h"

namespace flowctl::control {

// Prometheus text exposition (format 0.0.4) of these pipelines.
std::string PrometheusText(const std::vector<engine::PipelineInfo>& pipelines);

class HttpServerImpl;

class MetricsHttpServer {
 public:
  ~MetricsHttpServer();
  // listen: host:port (port 0 = a free port).
  static Result<std::unique_ptr<MetricsHttpServer>> Start(engine::Engine* engine,
                                                          const std::string& listen);
  std::string address() const;
  void Shutdown();

 private:
  explicit MetricsHttpServer(std::unique_ptr<HttpServerImpl> impl);
  std::unique_ptr<HttpServerImpl> impl_;
};

}  // namespace flowctl::control

#endif  // FLOWCTL_CONTROL_HTTP_H_
