// A model server for benchmarks: answers OpenAI chat completions after a
// fixed delay, with a large thread pool so that the client's concurrency
// limit, not the server, bounds throughput. A test injects a latency spike
// by changing the delay while it runs: GET /delay?ms=N.
//   fake_llm PORT DELAY_MS
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fake_llm PORT DELAY_MS\n");
    return 2;
  }
  int port = std::atoi(argv[1]);
  std::atomic<int> delay_ms{std::atoi(argv[2])};
  httplib::Server svr;
  svr.new_task_queue = [] { return new httplib::ThreadPool(256); };
  svr.set_tcp_nodelay(true);
  svr.Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    res.set_content(
        R"({"choices":[{"message":{"role":"assistant","content":"{\"category\":\"technical\"}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":8}})",
        "application/json");
  });
  svr.Get("/delay", [&](const httplib::Request& req, httplib::Response& res) {
    delay_ms = std::atoi(req.get_param_value("ms").c_str());
    res.set_content("ok\n", "text/plain");
  });
  if (!svr.listen("127.0.0.1", port)) {
    std::fprintf(stderr, "fake_llm: cannot listen on %d\n", port);
    return 1;
  }
  return 0;
}
