#pragma once
/// @file
/// @brief The scheduled messages of the daily health report (templates/health/: the 09:00
/// prompt with its start button, the reminder, the closing message), rendered once per language
/// with the settings' placeholders (emergency_phone, health_morning).

#include <string>

#include "flows/value.hpp"
#include "storage/health_records.hpp"

namespace sapo::health {

struct PromptMessages {
    std::string ja;  ///< a JSON array of LINE messages
    std::string en;
};

/// Throws std::runtime_error when the shipped template is missing or broken (a build defect).
PromptMessages prompt_messages(storage::PromptSlot slot, const flows::Variables& globals);

}  // namespace sapo::health
