// Control-plane latency: unary Get and List p50/p99 on loopback with 100
// pipelines registered, and apply->running latency. Run it against a daemon:
//   flowctl serve --listen 127.0.0.1:0 --state-dir /tmp/s &   (note the port)
//   build/flowctl_control_bench 127.0.0.1:PORT
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "flowctl/v1/flowctl.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

void Report(const char* what, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto q = [&](double p) { return us[static_cast<size_t>(p * static_cast<double>(us.size() - 1))]; };
  std::printf("%-22s n=%-6zu p50 %8.0f us   p99 %8.0f us   max %8.0f us\n", what, us.size(),
              q(0.5), q(0.99), us.back());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HOST:PORT [pipelines=100] [calls=2000]\n", argv[0]);
    return 2;
  }
  int pipelines = argc > 2 ? std::atoi(argv[2]) : 100;
  int calls = argc > 3 ? std::atoi(argv[3]) : 2000;
  auto channel = grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());
  auto stub = flowctl::v1::PipelineService::NewStub(channel);

  std::vector<double> apply_us;
  for (int i = 0; i < pipelines; ++i) {
    flowctl::v1::ApplyRequest req;
    req.set_yaml("apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: bench-" +
                 std::to_string(i) +
                 "}\nspec:\n  sources:\n    - {id: gen, type: generator, config: {count: 0, "
                 "rate: 1, shape: counter}}\n  sinks:\n    - {id: out, type: null, inputs: [gen]}\n");
    flowctl::v1::ApplyResponse resp;
    grpc::ClientContext ctx;
    auto t0 = Clock::now();
    auto st = stub->Apply(&ctx, req, &resp);
    apply_us.push_back(Micros(Clock::now() - t0));
    if (!st.ok() || resp.state() != "running") {
      std::fprintf(stderr, "apply %d failed: %s\n", i, st.error_message().c_str());
      return 1;
    }
  }
  std::vector<double> get_us, list_us;
  for (int i = 0; i < calls; ++i) {
    flowctl::v1::GetPipelineRequest req;
    req.set_name("bench-" + std::to_string(i % pipelines));
    flowctl::v1::PipelineDetail resp;
    grpc::ClientContext ctx;
    auto t0 = Clock::now();
    auto st = stub->Get(&ctx, req, &resp);
    get_us.push_back(Micros(Clock::now() - t0));
    if (!st.ok()) return 1;
  }
  for (int i = 0; i < calls; ++i) {
    flowctl::v1::ListPipelinesResponse resp;
    grpc::ClientContext ctx;
    auto t0 = Clock::now();
    auto st = stub->List(&ctx, flowctl::v1::ListPipelinesRequest(), &resp);
    list_us.push_back(Micros(Clock::now() - t0));
    if (!st.ok() || resp.pipelines_size() < pipelines) return 1;
  }
  std::printf("%d pipelines registered and running\n", pipelines);
  Report("apply -> running", apply_us);
  Report("Get", get_us);
  Report("List (all pipelines)", list_us);
  return 0;
}
