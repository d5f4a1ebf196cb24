// Crash attribution (runtime/crash.h) when many workers of one pipeline die
// at once, as they do on a machine with many cores: the record must name the
// pipeline every time. A second thread's write used to truncate the first's
// as the process died, leaving an empty record, so the daemon never counted
// the crash and crash-looped (CI run of stop 9).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "flowctl/runtime/crash.h"
#include "test_util.h"

namespace flowctl {
namespace {

namespace fs = std::filesystem;

// Forks a child whose threads all fault together; returns the record.
std::string CrashManyThreads(const std::string& record, int threads) {
  pid_t pid = ::fork();
  if (pid == 0) {
    InstallCrashRecorder(record);
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < threads; ++i)
      ts.emplace_back([&] {
        SetThreadPipeline("crashy");
        ready.fetch_add(1);
        while (ready.load() < threads) {
        }
        ::raise(SIGSEGV);
      });
    for (auto& t : ts) t.join();
    ::_exit(0);  // not reached: a fault ends the process
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  // Signalled, or under a sanitizer (whose handler we chain to) exit 1.
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  return TakeCrashRecord(record);
}

TEST(CrashRecordTest, ManyFaultingWorkersLeaveAWholeRecord) {
  testing::TempDir dir;
  std::string record = (fs::path(dir.path()) / "crash.record").string();
  for (int round = 0; round < 20; ++round) {
    EXPECT_EQ(CrashManyThreads(record, 16), "crashy") << "round " << round;
    EXPECT_FALSE(fs::exists(record));
  }
}

TEST(CrashRecordTest, NoRecordWithoutACrash) {
  testing::TempDir dir;
  EXPECT_EQ(TakeCrashRecord((fs::path(dir.path()) / "crash.record").string()), "");
}

}  // namespace
}  // namespace flowctl
