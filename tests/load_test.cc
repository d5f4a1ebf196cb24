// Load: 50 concurrent clients apply, list, get and watch for 10 s against one
// in-process control plane. No call may fail, nothing may crash; run under
// ThreadSanitizer with `make tsan`.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "flowctl/control/server.h"
#include "flowctl/engine/engine.h"
#include "flowctl/v1/flowctl.grpc.pb.h"
#include "test_util.h"

namespace flowctl {
namespace {

std::string PipelineYaml(int client, int round) {
  // A different rate each round makes every apply a new version.
  return "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: load-" +
         std::to_string(client) + "}\nspec:\n  sources:\n    - {id: gen, type: generator, config: "
         "{count: 0, rate: " + std::to_string(50 + round) +
         ", shape: counter}}\n  sinks:\n    - {id: out, type: null, inputs: [gen]}\n";
}

TEST(ControlLoad, FiftyClientsForTenSeconds) {
  testing::TempDir dir;
  engine::EngineOptions eo;
  eo.state_dir = dir.path();
  eo.workers = 1;
  auto eng = engine::Engine::Open(eo);
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  control::ServerOptions so;
  so.listen = "127.0.0.1:0";
  auto server = control::ControlServer::Start(eng.value().get(), so);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto channel = grpc::CreateChannel(server.value()->address(), grpc::InsecureChannelCredentials());

  constexpr int kClients = 50;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::atomic<int> calls{0}, failures{0};
  std::mutex first_mu;
  std::string first_failure;
  auto fail = [&](const std::string& what, const grpc::Status& st) {
    failures++;
    std::lock_guard<std::mutex> lk(first_mu);
    if (first_failure.empty()) first_failure = what + ": " + st.error_message();
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::PipelineService::NewStub(channel);
      auto deadline = [] {
        return std::chrono::system_clock::now() + std::chrono::seconds(20);
      };
      for (int round = 0; std::chrono::steady_clock::now() < end; ++round) {
        switch ((c + round) % 4) {
          case 0: {  // apply (every tenth client), otherwise validate
            grpc::ClientContext ctx;
            ctx.set_deadline(deadline());
            if (c % 10 == 0) {
              v1::ApplyRequest req;
              req.set_yaml(PipelineYaml(c, round));
              v1::ApplyResponse resp;
              auto st = stub->Apply(&ctx, req, &resp);
              if (!st.ok()) fail("apply", st);
            } else {
              v1::ValidateRequest req;
              req.set_yaml(PipelineYaml(c, round));
              v1::ValidateResponse resp;
              auto st = stub->Validate(&ctx, req, &resp);
              if (!st.ok() || !resp.valid()) fail("validate", st);
            }
            break;
          }
          case 1: {
            grpc::ClientContext ctx;
            ctx.set_deadline(deadline());
            v1::ListPipelinesResponse resp;
            auto st = stub->List(&ctx, v1::ListPipelinesRequest(), &resp);
            if (!st.ok()) fail("list", st);
            break;
          }
          case 2: {
            grpc::ClientContext ctx;
            ctx.set_deadline(deadline());
            v1::GetPipelineRequest req;
            req.set_name("load-" + std::to_string((c / 10) * 10));
            v1::PipelineDetail resp;
            auto st = stub->Get(&ctx, req, &resp);
            // Before the first apply of that client lands it does not exist.
            if (!st.ok() && st.error_code() != grpc::StatusCode::NOT_FOUND) fail("get", st);
            break;
          }
          case 3: {  // watch everything: read one update, then hang up
            grpc::ClientContext ctx;
            ctx.set_deadline(deadline());
            v1::WatchRequest req;
            req.set_interval_ms(100);
            auto reader = stub->Watch(&ctx, req);
            v1::PipelineStatus s;
            reader->Read(&s);
            ctx.TryCancel();
            auto st = reader->Finish();
            if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) fail("watch", st);
            break;
          }
        }
        calls++;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;
  // Every client got through at least one round; how many is speed, which is
  // measured in bench/, not asserted (under TSan a round takes seconds).
  EXPECT_GE(calls.load(), kClients);
  auto list = eng.value()->List();
  EXPECT_EQ(list.size(), 5u);  // load-0, load-10, ..., load-40
  for (const auto& p : list) EXPECT_EQ(p.state, "running") << p.name;
  server.value()->Shutdown();
  eng.value()->Shutdown();
  std::printf("load: %d calls by %d clients in 10 s\n", calls.load(), kClients);
}

}  // namespace
}  // namespace flowctl
