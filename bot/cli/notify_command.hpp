#pragma once
/// @file
/// @brief `sapo notify create|approve|cancel|status|templates`: the operators' notification
/// commands, on the same service layer as the admin API. Sending is done by the running
/// service's job runner, which picks an approval up within its poll interval.

#include <functional>
#include <string>
#include <vector>

#include "bot/config.hpp"

namespace sapo::cli {

/// `args` are the words after "notify". Returns the exit code (0 ok, 1 refused or not found,
/// 2 bad usage).
int notify_command(const std::vector<std::string>& args, const std::function<Config()>& config);

extern const char* const kNotifyUsage;

}  // namespace sapo::cli
