#pragma once
/// @file
/// @brief Wiring: builds the service from a Config and runs it until SIGINT/SIGTERM.

#include "bot/config.hpp"

namespace sapo {

/// `sapo serve`: migrates, then serves until a signal; returns the process exit code.
/// Throws ConfigError when a setting needed to serve is missing.
int serve(const Config& config);

/// `sapo migrate`: applies the missing migrations; returns the process exit code.
int migrate(const Config& config);

/// `sapo purge`: migrates, then applies the check-in retention once and prints what it removed.
int purge(const Config& config);

}  // namespace sapo
