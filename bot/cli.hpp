#pragma once
/// @file
/// @brief The `sapo` command line: serve, migrate, version, --help.

namespace sapo {

/// Runs the command line; returns the exit code (0 ok, 1 failure, 2 bad usage or configuration).
int run_cli(int argc, char** argv);

}  // namespace sapo
