#pragma once
/// @file
/// @brief The effects of the `notification_request` flow, by which a facility's manager (or an
/// employee registered with the day's keyword) asks in LINE for a notification to the people who
/// were there: `notification.staff_facility` (which facility the user acts for) and
/// `notification.request` (checks the window and template and drafts the notification for
/// operators to approve; the user is told when it has been sent).

#include "bot/dispatch/effects.hpp"
#include "bot/notify/draft.hpp"

namespace sapo::notify {

/// `settings` may be null where effects are only checked (validation, simulate): applying
/// `notification.request` then throws.
void add_notification_effects(dispatch::EffectRegistry& registry, const DraftSettings* settings);

}  // namespace sapo::notify
