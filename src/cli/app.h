// Entry point of the command line.
#ifndef FLOWCTL_CLI_APP_H_
#define FLOWCTL_CLI_APP_H_

namespace flowctl::cli {
// Parses argv, runs the command and returns the process exit code.
int RunCli(int argc, char** argv);
}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_APP_H_
