#pragma once
/// @file
/// @brief The effects of the daily health report: `health.enrol` (link a LINE user to a patient
/// with the code from the health centre, with the brute-force lockout), `health.begin` (may this
/// user report today, and with which questions), `alert.raise` (a red flag, stored and pushed to
/// the operators' group the moment the answer is given) and `health.save` (a complete report).

#include <string>

#include "bot/dispatch/effects.hpp"

namespace sapo::health {

struct HealthSettings {
    std::string alert_group;  ///< the operators' LINE group; "" when alerts are only listed
};

/// `settings` may be null where effects are only checked (validation, simulate).
void add_health_effects(dispatch::EffectRegistry& registry, const HealthSettings* settings);

}  // namespace sapo::health
