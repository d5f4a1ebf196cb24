#include "client.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "flowctl/store/state_lock.h"
#include "google/rpc/status.pb.h"

namespace flowctl::cli {

namespace {

std::string ServerAddress(const RemoteOptions& r) {
  if (!r.server.empty()) return r.server;
  if (const char* env = std::getenv("FLOWCTL_SERVER")) return env;
  // The daemon that owns the default state dir says where it listens.
  auto owner = store::ReadOwner(DefaultStateDir());
  if (owner.ok() && !owner->address.empty()) return owner->address;
  return "127.0.0.1:8080";
}

bool StripPrefix(std::string* s, const std::string& prefix) {
  if (s->rfind(prefix, 0) != 0) return false;
  s->erase(0, prefix.size());
  return true;
}

// Plaintext, or TLS with the given roots (system roots when none): from
// --tls-ca / $FLOWCTL_TLS_CA, --tls, or an https:// address. *error is set
// when the CA file cannot be read.
std::shared_ptr<grpc::ChannelCredentials> Credentials(const RemoteOptions& r, std::string* addr,
                                                      std::string* error) {
  bool tls = r.tls;
  if (StripPrefix(addr, "https://")) tls = true;
  StripPrefix(addr, "http://");
  std::string ca = r.tls_ca;
  if (ca.empty())
    if (const char* env = std::getenv("FLOWCTL_TLS_CA")) ca = env;
  if (ca.empty() && !tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!ca.empty()) {
    std::ifstream in(ca);
    std::stringstream ss;
    if (in) ss << in.rdbuf();
    if (!in || ss.str().empty()) {
      *error = "cannot read the CA file " + ca + " (--tls-ca: PEM certificates to trust)";
      return grpc::InsecureChannelCredentials();
    }
    ssl.pem_root_certs = ss.str();
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

Client::Client(const RemoteOptions& r) : addr_(ServerAddress(r)) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  // A daemon that comes back is found within seconds, not after gRPC's
  // default backoff of up to two minutes (matters to the long-lived
  // `flowctl mcp --server`).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  std::string target = addr_;
  auto creds = Credentials(r, &target, &token_error_);
  channel_ = grpc::CreateCustomChannel(target, creds, args);
  stub_ = v1::PipelineService::NewStub(channel_);
  components_ = v1::ComponentService::NewStub(channel_);
  agents_ = ::ai::obsrvr::flowctl::AIAgentService::NewStub(channel_);
  if (!r.token_file.empty()) {
    std::ifstream in(r.token_file);
    if (!in && token_error_.empty()) token_error_ = "cannot read token file " + r.token_file;
    std::stringstream ss;
    ss << in.rdbuf();
    token_ = ss.str();
    while (!token_.empty() &&
           (token_.back() == '\n' || token_.back() == '\r' || token_.back() == ' '))
      token_.pop_back();
  } else if (const char* env = std::getenv("FLOWCTL_TOKEN")) {
    token_ = env;
  }
}

std::string NoServerMessage(const std::string& addr) {
  return "no flowctl server at " + addr + ": start one with `flowctl serve`";
}

Status Client::Ready(int timeout_s) {
  if (!token_error_.empty()) return Status(StatusCode::kFailedPrecondition, token_error_);
  if (channel_->WaitForConnected(std::chrono::system_clock::now() +
                                 std::chrono::seconds(timeout_s)))
    return Status::OK();
  return Status(StatusCode::kUnavailable, NoServerMessage(addr_));
}

bool Client::Connect() {
  if (!token_error_.empty()) {
    std::cerr << "flowctl: " << token_error_ << "\n";
    return false;
  }
  // Generous: a loaded machine may take a while to accept.
  if (Ready(5).ok()) return true;
  std::cerr << "flowctl: " << NoServerMessage(addr_)
            << " (or set --server / FLOWCTL_SERVER; a daemon with --tls-cert needs --tls-ca FILE "
               "or --tls)\n";
  return false;
}

void Client::Prepare(grpc::ClientContext* ctx, int timeout_s) const {
  if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s));
}

bool DecodeErrorDetails(const grpc::Status& st, v1::ErrorDetails* details) {
  google::rpc::Status envelope;
  bool have = false;
  if (!st.error_details().empty() && envelope.ParseFromString(st.error_details()))
    for (const auto& any : envelope.details())
      if (any.Is<v1::ErrorDetails>()) have = any.UnpackTo(details);
  return have;
}

}  // namespace flowctl::cli
