#pragma once
/// @file
/// @brief What a facility's staff member who asked for a notification in LINE is told: that it
/// has gone out (and to how many people), or that the health centre stopped it. LINE message
/// arrays (JSON), in the staff member's language, queued in the outbox by storage.

#include <string>

#include "storage/fanout_store.hpp"
#include "storage/notification_records.hpp"

namespace sapo::notify {

/// The notification has been sent (done), or sent in part (failed).
std::string manager_sent_notice_json(const storage::FinishedNotification& n);

/// An operator cancelled it; `n.sent` people had been told by then.
std::string manager_cancelled_notice_json(const storage::NotificationRecord& n, const std::string& language);

}  // namespace sapo::notify
