// Crash attribution: which pipeline a process was running when it died of a
// fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT). The engine reads
// the record at the next start and stops resuming a pipeline that keeps
// crashing the daemon (quarantine) instead of crash-looping with it.
//
// Contract: InstallCrashRecorder is called once per process, before runs
// start (later calls only change the path). The handler is async-signal-safe:
// it writes the pipeline name of the crashing worker thread, if it has one,
// to the record file with open/write/close, then re-raises the signal with
// the default action (so core dumps and exit statuses are unchanged).
#ifndef FLOWCTL_RUNTIME_CRASH_H_
#define FLOWCTL_RUNTIME_CRASH_H_

#include <string>

namespace flowctl {

void InstallCrashRecorder(const std::string& record_path);

// Marks the calling thread as working for pipeline (nullptr: none) until
// the next call. name must outlive that.
void SetThreadPipeline(const char* name);

// Reads and removes the record a crash left at record_path; "" when none.
std::string TakeCrashRecord(const std::string& record_path);

// Test hook: when $FLOWCTL_TEST_CRASH_PIPELINE names pipeline, a worker of
// its run dies of SIGSEGV before its first step (the e2e quarantine test
// needs a real crash that the code cannot catch).
void MaybeCrashForTest(const std::string& pipeline);

}  // namespace flowctl

#endif  // FLOWCTL_RUNTIME_CRASH_H_
