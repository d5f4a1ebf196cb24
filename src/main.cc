#include "cli/app.h"

int main(int argc, char** argv) { return flowctl::cli::RunCli(argc, argv); }
