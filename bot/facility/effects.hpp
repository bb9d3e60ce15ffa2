#pragma once
/// @file
/// @brief The facility effects flows use: `checkin.record` (a resident checks in),
/// `facility.register` (a manager registers a facility in LINE), `facility.staff_keyword` (the
/// manager shows the day's employee keyword) and `facility.join` (an employee gives it).

#include <chrono>

#include "bot/dispatch/effects.hpp"
#include "bot/facility/links.hpp"

namespace sapo::facility {

/// The same user at the same facility within this time counts once.
inline constexpr std::chrono::minutes kRepeatWindow{30};

/// `links` may be null where effects are only checked or printed, never applied (validation,
/// simulate): applying one then throws.
void add_facility_effects(dispatch::EffectRegistry& registry, const LinkMaker* links);

}  // namespace sapo::facility
