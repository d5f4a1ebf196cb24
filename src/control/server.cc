#include "flowctl/control/server.h"

#include <arpa/inet.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>

#include <fstream>
#include <sstream>

#include "grpc/health/v1/health.pb.h"
#include "malformed.h"
#include "services.h"

namespace flowctl::control {

Executor::Executor(int threads) {
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] {
      while (true) {
        std::function<void()> fn;
        {
          std::unique_lock<std::mutex> lk(mu_);
          cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
          if (queue_.empty()) return;
          fn = std::move(queue_.front());
          queue_.pop_front();
        }
        fn();
      }
    });
}

Executor::~Executor() { Stop(); }

void Executor::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void Executor::Spawn(std::function<void()> fn) {
  std::unique_lock<std::mutex> lk(mu_);
  if (stopping_) {
    // The loop sees stopping() at once and closes its stream itself.
    lk.unlock();
    fn();
    return;
  }
  // Join loops that have ended, so a long-lived daemon does not collect
  // one dead thread per finished Watch.
  for (auto it = loops_.begin(); it != loops_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = loops_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  loops_.push_back(Loop{std::thread([fn = std::move(fn), done] {
                          fn();
                          done->store(true);
                        }),
                        done});
}

void Executor::Stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::vector<Loop> loops;
  {
    std::lock_guard<std::mutex> lk(mu_);
    loops.swap(loops_);
  }
  for (auto& l : loops)
    if (l.thread.joinable()) l.thread.join();
}

bool IsLoopback(const std::string& listen) {
  if (listen.rfind("unix:", 0) == 0) return true;
  std::string host = listen;
  size_t colon = listen.rfind(':');
  if (colon != std::string::npos) host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, as a literal address only ("127.0.0.1.example.com" is not).
  in_addr addr{};
  return host.rfind("127.", 0) == 0 && inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

namespace {

Result<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

class ServerImpl {
 public:
  ServerImpl(engine::Engine* e, ServerOptions o)
      : opts_(std::move(o)),
        executor_(4),
        monitors_(OpenMonitors(e, opts_.monitors_dir, &monitors_status_)),
        controllers_(opts_.controllers_file.empty()
                         ? nullptr
                         : std::make_unique<ai::Controllers>(e, opts_.controllers_file)),
        healer_(opts_.healing_file.empty() ? nullptr
                                           : std::make_unique<ai::Healer>(e, opts_.healing_file)),
        ctx_{e,
             &executor_,
             opts_.token,
             monitors_.get(),
             opts_.identities.get(),
             opts_.gate.get(),
             controllers_.get(),
             healer_.get()},
        pipelines_(ctx_),
        components_(ctx_),
        agents_(ctx_) {}

  static std::unique_ptr<ai::Monitors> OpenMonitors(engine::Engine* e, const std::string& dir,
                                                    Status* st) {
    if (dir.empty()) return nullptr;
    auto m = ai::Monitors::Open(e, dir);
    if (!m.ok()) {
      *st = m.status();
      return nullptr;
    }
    return std::move(m).value();
  }

  Status Start() {
    if (!monitors_status_.ok()) return monitors_status_;
    if (monitors_)
      ctx_.engine->OnApproved("delete-monitor",
                              [m = monitors_.get()](const governance::Approval& a) {
                                return m->Delete(a.pipeline, a.requested_by);
                              });
    if (!IsLoopback(opts_.listen) && opts_.token.empty() && !opts_.identities)
      return Status::Invalid("listening on " + opts_.listen +
                             " (beyond loopback) needs --token-file: a bearer token for callers");
    std::shared_ptr<grpc::ServerCredentials> creds;
    if (!opts_.tls_cert_file.empty() || !opts_.tls_key_file.empty()) {
      auto cert = ReadWhole(opts_.tls_cert_file);
      auto key = ReadWhole(opts_.tls_key_file);
      if (!cert.ok()) return cert.status();
      if (!key.ok()) return key.status();
      grpc::SslServerCredentialsOptions ssl;
      ssl.pem_key_cert_pairs.push_back({key.value(), cert.value()});
      creds = grpc::SslServerCredentials(ssl);
    } else {
      creds = grpc::InsecureServerCredentials();
    }
    // Touching the compiled-in health.proto links its descriptor, so that
    // reflection can describe grpc.health.v1.Health to generic clients.
    (void)grpc::health::v1::HealthCheckRequest::descriptor();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    builder.AddListeningPort(opts_.listen, creds, &port_);
    // gRPC sets SO_REUSEPORT by default: a second daemon on the same port
    // would start and answer a random share of the calls. One owner per port.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.SetMaxReceiveMessageSize(opts_.max_message_bytes);
    builder.SetMaxSendMessageSize(opts_.max_message_bytes);
    builder.RegisterService(&pipelines_);
    builder.RegisterService(&components_);
    builder.RegisterService(&agents_);
    builder.experimental().SetInterceptorCreators(MakeMalformedRequestInterceptors());
    server_ = builder.BuildAndStart();
    if (!server_ || (port_ == 0 && opts_.listen.rfind("unix:", 0) != 0))
      return Status(StatusCode::kAlreadyExists,
                    opts_.listen +
                        " is in use or not a valid address (another flowctl serve? "
                        "choose --listen HOST:PORT)");
    server_->GetHealthCheckService()->SetServingStatus(true);
    if (monitors_) monitors_->Start();
    if (controllers_) controllers_->Start();
    if (healer_) healer_->Start();
    return Status::OK();
  }

  std::string Address() const {
    if (opts_.listen.rfind("unix:", 0) == 0) return opts_.listen;
    std::string host = opts_.listen.substr(0, opts_.listen.rfind(':'));
    return host + ":" + std::to_string(port_);
  }

  void Shutdown() {
    if (!server_ || shut_) return;
    shut_ = true;
    if (monitors_) monitors_->Stop();
    if (controllers_) controllers_->Stop();
    if (healer_) healer_->Stop();
    server_->GetHealthCheckService()->SetServingStatus(false);
    executor_.Stop();  // watch loops end, their streams close
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
  }

  ~ServerImpl() { Shutdown(); }

  ServerOptions opts_;
  Executor executor_;
  Status monitors_status_;
  std::unique_ptr<ai::Monitors> monitors_;
  std::unique_ptr<ai::Controllers> controllers_;
  std::unique_ptr<ai::Healer> healer_;
  CallContext ctx_;
  PipelineServiceImpl pipelines_;
  ComponentServiceImpl components_;
  AgentServiceImpl agents_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_ = false;
};

ControlServer::ControlServer(std::unique_ptr<ServerImpl> impl) : impl_(std::move(impl)) {}
ControlServer::~ControlServer() = default;

Result<std::unique_ptr<ControlServer>> ControlServer::Start(engine::Engine* engine,
                                                            const ServerOptions& options) {
  auto impl = std::make_unique<ServerImpl>(engine, options);
  Status st = impl->Start();
  if (!st.ok()) return st;
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

std::string ControlServer::address() const { return impl_->Address(); }
int ControlServer::port() const { return impl_->port_; }
void ControlServer::Shutdown() { impl_->Shutdown(); }

}  // namespace flowctl::control
