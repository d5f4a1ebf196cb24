#include "flowctl/runtime/crash.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace flowctl {

namespace {

// Fixed storage: a signal handler may not allocate.
char g_record_path[4096];
char g_record_tmp[4096 + 8];
// Several workers of one pipeline can fault at once; the first writes the
// record and ends the process, the others wait for that (a second writer's
// O_TRUNC could otherwise leave an empty record as the process dies).
std::atomic<bool> g_handling{false};
thread_local const char* t_pipeline = nullptr;
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
struct sigaction g_previous[sizeof(kSignals) / sizeof(kSignals[0])];
bool g_installed = false;

void OnFatalSignal(int sig) {
  if (g_handling.exchange(true)) {
    for (;;) ::pause();
  }
  const char* name = t_pipeline;
  if (name != nullptr && g_record_path[0] != '\0') {
    // Written beside and renamed: the record is whole or absent.
    int fd = ::open(g_record_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ssize_t ignored = ::write(fd, name, std::strlen(name));
      (void)ignored;
      ::close(fd);
      ::rename(g_record_tmp, g_record_path);
    }
  }
  // Hand the signal to whoever had it before (a sanitizer's reporter, or
  // the default action: core dump and the usual exit status).
  bool restored = false;
  for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i)
    if (kSignals[i] == sig) {
      ::sigaction(sig, &g_previous[i], nullptr);
      restored = true;
    }
  if (!restored) ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void InstallCrashRecorder(const std::string& record_path) {
  std::strncpy(g_record_path, record_path.c_str(), sizeof(g_record_path) - 1);
  g_record_path[sizeof(g_record_path) - 1] = '\0';
  std::snprintf(g_record_tmp, sizeof(g_record_tmp), "%s.tmp", g_record_path);
  if (g_installed) return;
  g_installed = true;
  struct sigaction sa {};
  sa.sa_handler = OnFatalSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_NODEFER;
  for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i)
    ::sigaction(kSignals[i], &sa, &g_previous[i]);
}

void SetThreadPipeline(const char* name) { t_pipeline = name; }

std::string TakeCrashRecord(const std::string& record_path) {
  std::ifstream in(record_path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  in.close();
  std::remove(record_path.c_str());
  return ss.str();
}

void MaybeCrashForTest(const std::string& pipeline) {
  const char* want = std::getenv("FLOWCTL_TEST_CRASH_PIPELINE");
  if (want != nullptr && pipeline == want) ::raise(SIGSEGV);
}

}  // namespace flowctl
