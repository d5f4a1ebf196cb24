// Friendlier answers than CLI11's "A subcommand is required" for a command
// line whose subcommand is mistyped (`flowctl aply`, `flowctl ai crate`) or
// not built yet (`flowctl ai debug`).
//
// Contract: UnknownSubcommand walks argv along the app's subcommand tree the
// way CLI11 does (skipping options and their values) and returns the message
// for the first word that should have been a subcommand but is none, for a
// level that needs a subcommand and got none, or for a not-built command
// ("" when none of these). AddNotBuilt registers a subcommand that accepts any
// arguments and, when parsed, makes NotBuiltMessage non-empty.
#ifndef FLOWCTL_CLI_SUBCOMMANDS_H_
#define FLOWCTL_CLI_SUBCOMMANDS_H_

#include <CLI/CLI.hpp>
#include <string>

namespace flowctl::cli {

std::string UnknownSubcommand(CLI::App& app, int argc, const char* const* argv);

// `parent name` is listed in --help as "(not built yet) summary"; what_instead
// says what to use meanwhile.
CLI::App* AddNotBuilt(CLI::App* parent, const std::string& name, const std::string& summary,
                      const std::string& what_instead);
// The message of the not-built subcommand that was parsed, or "".
std::string NotBuiltMessage(CLI::App& app);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_SUBCOMMANDS_H_
