#pragma once
/// @file
/// @brief `sapo flows …`: validate, import, publish, list, export and simulate flows.

#include <functional>
#include <string>
#include <vector>

#include "bot/config.hpp"

namespace sapo::cli {

/// `args` are the words after "flows". Returns the exit code (0 ok, 1 problems, 2 bad usage).
/// `config` is only read by the commands that need the database.
int flows_command(const std::vector<std::string>& args, const std::function<Config()>& config);

extern const char* const kFlowsUsage;

}  // namespace sapo::cli
