#pragma once
/// @file
/// @brief Notifications for operators (admin API and CLI): draft, count targets, approve (which
/// freezes the recipients and cuts them into batches), cancel, read. One connection, serialised.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/notification_records.hpp"

namespace sapo::storage {

/// Recipients of one multicast; LINE takes at most 500.
inline constexpr int kNotificationBatchSize = 500;

class NotificationStore {
public:
    virtual ~NotificationStore() = default;

    /// Distinct users who checked in at the facility in [start_ms, end_ms), less those who
    /// blocked the bot. One indexed query.
    virtual std::int64_t count_targets(std::int64_t facility_id, std::int64_t start_ms, std::int64_t end_ms) = 0;

    /// Writes a draft and its audit entry (as `n.requested_by`).
    virtual NotificationRecord create(const NewNotification& n) = 0;

    virtual std::optional<NotificationRecord> get(std::int64_t id) = 0;
    /// Newest first.
    virtual std::vector<NotificationRecord> list(int limit) = 0;

    /// draft -> approved in one transaction: checks the two-person rule (when `two_person`,
    /// `approver` must not be the one who drafted it), freezes the targets into
    /// notification_recipients, cuts them into batches of kNotificationBatchSize per language,
    /// each with its own retry key. A notification with no target is done at once.
    virtual ApproveOutcome approve(std::int64_t id, const std::string& approver, bool two_person) = 0;

    /// Stops a notification that is not finished: batches not yet taken are cancelled (the one
    /// being sent, if any, completes). When staff asked for it in LINE, `manager_notice` (the
    /// notification as cancelled, their language) gives the LINE messages queued in the outbox
    /// for them in the same transaction.
    virtual CancelOutcome cancel(
        std::int64_t id, const std::string& actor,
        const std::function<std::string(const NotificationRecord&, const std::string& language)>& manager_notice
    ) = 0;
};

std::unique_ptr<NotificationStore> make_pg_notification_store(const std::string& database_url);

}  // namespace sapo::storage
