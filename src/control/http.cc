#include "flowctl/control/http.h"

#include <httplib.h>

#include <cstdio>
#include <sstream>
#include <thread>

#include "flowctl/base/net.h"

namespace flowctl::control {

namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct Family {
  const char* name;
  const char* type;
  const char* help;
};

}  // namespace

std::string PrometheusText(const std::vector<engine::PipelineInfo>& pipelines) {
  std::ostringstream out;
  auto header = [&](const Family& f) {
    out << "# HELP " << f.name << " " << f.help << "\n# TYPE " << f.name << " " << f.type << "\n";
  };
  header({"flowctl_pipeline_up", "gauge", "1 while the pipeline's run is running."});
  for (const auto& p : pipelines)
    out << "flowctl_pipeline_up{pipeline=\"" << Escape(p.name) << "\"} "
        << (p.state == "running" ? 1 : 0) << "\n";
  header({"flowctl_pipeline_info", "gauge", "Current version and state of each pipeline (always 1)."});
  for (const auto& p : pipelines)
    out << "flowctl_pipeline_info{pipeline=\"" << Escape(p.name) << "\",version=\"" << p.version
        << "\",state=\"" << Escape(p.state) << "\",desired_state=\"" << Escape(p.desired_state)
        << "\"} 1\n";
  header({"flowctl_pipeline_uptime_seconds", "gauge", "Seconds since the current run started."});
  for (const auto& p : pipelines)
    out << "flowctl_pipeline_uptime_seconds{pipeline=\"" << Escape(p.name) << "\"} "
        << Num(p.snapshot.elapsed_s) << "\n";

  struct Counter {
    Family family;
    uint64_t NodeSnapshot::*field;
  };
  const Counter counters[] = {
      {{"flowctl_node_events_in_total", "counter", "Events that entered the node."}, &NodeSnapshot::in},
      {{"flowctl_node_events_out_total", "counter", "Events the node emitted (sinks: wrote)."},
       &NodeSnapshot::out},
      {{"flowctl_node_events_dropped_total", "counter",
        "Events dropped on purpose (filtered, or on_error drop)."},
       &NodeSnapshot::dropped},
      {{"flowctl_node_errors_total", "counter", "Events that failed at the node."},
       &NodeSnapshot::errors},
      {{"flowctl_node_dead_lettered_total", "counter", "Events sent to a dead-letter sink."},
       &NodeSnapshot::dead_lettered},
      {{"flowctl_node_retries_total", "counter", "Retry attempts."}, &NodeSnapshot::retries},
  };
  auto labels = [](const engine::PipelineInfo& p, const NodeSnapshot& n) {
    return "pipeline=\"" + Escape(p.name) + "\",node=\"" + Escape(n.id) + "\",type=\"" +
           Escape(n.type) + "\",kind=\"" + n.kind + "\"";
  };
  for (const auto& c : counters) {
    header(c.family);
    for (const auto& p : pipelines)
      for (const auto& n : p.snapshot.nodes)
        out << c.family.name << "{" << labels(p, n) << "} " << n.*c.field << "\n";
  }
  // Component counters (model calls, tokens, cost in micro-dollars, ...).
  header({"flowctl_node_component_total", "counter",
          "Counters a component reports itself, by name (ai_calls, ai_cost_micro_usd, ...)."});
  for (const auto& p : pipelines)
    for (const auto& n : p.snapshot.nodes)
      for (const auto& [name, v] : n.counters)
        out << "flowctl_node_component_total{" << labels(p, n) << ",name=\"" << Escape(name)
            << "\"} " << v << "\n";
  header({"flowctl_node_queue_depth", "gauge", "Batches waiting in the node's input queue."});
  for (const auto& p : pipelines)
    for (const auto& n : p.snapshot.nodes)
      out << "flowctl_node_queue_depth{" << labels(p, n) << "} " << n.queue_depth << "\n";
  header({"flowctl_node_queue_capacity", "gauge", "Capacity of the node's input queue in batches."});
  for (const auto& p : pipelines)
    for (const auto& n : p.snapshot.nodes)
      out << "flowctl_node_queue_capacity{" << labels(p, n) << "} " << n.queue_capacity << "\n";
  header({"flowctl_node_busy_seconds_total", "counter", "Time the node's instances spent working."});
  for (const auto& p : pipelines)
    for (const auto& n : p.snapshot.nodes)
      out << "flowctl_node_busy_seconds_total{" << labels(p, n) << "} " << Num(n.busy_ms / 1000.0)
          << "\n";
  header({"flowctl_node_batch_duration_seconds", "histogram",
          "Time to process one batch at the node."});
  for (const auto& p : pipelines)
    for (const auto& n : p.snapshot.nodes) {
      uint64_t cumulative = 0;
      for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
        cumulative += n.latency_buckets[static_cast<size_t>(b)];
        // Bucket b holds values < 2^b us; skip the long tail of empty ones.
        if (b < 28)
          out << "flowctl_node_batch_duration_seconds_bucket{" << labels(p, n) << ",le=\""
              << Num(static_cast<double>(uint64_t{1} << b) / 1e6) << "\"} " << cumulative << "\n";
      }
      out << "flowctl_node_batch_duration_seconds_bucket{" << labels(p, n) << ",le=\"+Inf\"} "
          << cumulative << "\n";
      out << "flowctl_node_batch_duration_seconds_sum{" << labels(p, n) << "} "
          << Num(static_cast<double>(n.latency_sum_us) / 1e6) << "\n";
      out << "flowctl_node_batch_duration_seconds_count{" << labels(p, n) << "} " << cumulative
          << "\n";
    }
  return out.str();
}

class HttpServerImpl {
 public:
  explicit HttpServerImpl(engine::Engine* e) : engine_(e) {}

  Status Start(const std::string& listen) {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos)
      return Status::Invalid("--http-listen expects host:port, got '" + listen + "'");
    host_ = listen.substr(0, colon);
    int port = std::atoi(listen.c_str() + colon + 1);
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(PrometheusText(engine_->List()), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    server_.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      // Ready when no pipeline that should run has failed.
      std::string failed;
      for (const auto& p : engine_->List())
        if (p.desired_state == "running" && p.state == "failed") failed += p.name + " ";
      if (failed.empty()) {
        res.set_content("ready\n", "text/plain");
      } else {
        res.status = 503;
        res.set_content("failed pipelines: " + failed + "\n", "text/plain");
      }
    });
    server_.set_socket_options(ExclusiveListenOptions);
    port_ = port == 0 ? server_.bind_to_any_port(host_) : (server_.bind_to_port(host_, port) ? port : -1);
    if (port_ <= 0)
      return Status(StatusCode::kAlreadyExists,
                    listen + " is in use (HTTP side port; another flowctl serve? choose "
                             "--http-listen HOST:PORT or off)");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Status::OK();
  }

  void Shutdown() {
    if (stopped_) return;
    stopped_ = true;
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  ~HttpServerImpl() { Shutdown(); }

  engine::Engine* engine_;
  httplib::Server server_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
  bool stopped_ = false;
};

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<HttpServerImpl> impl) : impl_(std::move(impl)) {}
MetricsHttpServer::~MetricsHttpServer() = default;

Result<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(engine::Engine* engine,
                                                                    const std::string& listen) {
  auto impl = std::make_unique<HttpServerImpl>(engine);
  Status st = impl->Start(listen);
  if (!st.ok()) return st;
  return std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(std::move(impl)));
}

std::string MetricsHttpServer::address() const {
  return impl_->host_ + ":" + std::to_string(impl_->port_);
}
void MetricsHttpServer::Shutdown() { impl_->Shutdown(); }

}  // namespace flowctl::control
