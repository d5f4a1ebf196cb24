// Friendlier answers than CLI11's "A subcommand is required" for a command
// line whose subcommand is mistyped (`flowctl aply`, `flowctl ai crate`) or
// missing (`flowctl ai`).
//
// Contract: UnknownSubcommand walks argv along the app's subcommand tree the
// way CLI11 does (skipping options and their values) and returns the message
// for the first word that should have been a subcommand but is none, or for
// a level that needs a subcommand and got none ("" when neither).
#ifndef FLOWCTL_CLI_SUBCOMMANDS_H_
#define FLOWCTL_CLI_SUBCOMMANDS_H_

#include <CLI/CLI.hpp>
#include <string>

namespace flowctl::cli {

std::string UnknownSubcommand(CLI::App& app, int argc, const char* const* argv);

}  // namespace flowctl::cli

#endif  // FLOWCTL_CLI_SUBCOMMANDS_H_
