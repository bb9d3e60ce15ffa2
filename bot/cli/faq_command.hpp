#pragma once
/// @file
/// @brief `sapo faq import [FILE]` and `sapo faq export`: the FAQ set as the JSON operators edit
/// (the same form as PUT /admin/api/faq). Import checks the whole file first and replaces the set
/// only when it is valid; the running instances use it from the next question on.

#include <functional>
#include <string>
#include <vector>

#include "bot/config.hpp"

namespace sapo::cli {

/// `args` are the words after "faq". Returns the exit code (0 ok, 1 invalid file, 2 bad usage).
int faq_command(const std::vector<std::string>& args, const std::function<Config()>& config);

extern const char* const kFaqUsage;

}  // namespace sapo::cli
