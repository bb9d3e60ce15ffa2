#pragma once
/// @file
/// @brief /admin/api/notifications and /admin/api/notification-templates: draft a notification
/// to everyone who checked in at a facility in a time window, approve it (a second operator),
/// cancel it, follow its delivery. Reached through AdminEndpoints (bearer token, X-Operator).
/// Operators see counts, never the recipients' user ids.

#include <functional>
#include <optional>
#include <string>

#include "bot/http/server.hpp"
#include "bot/notify/service.hpp"

namespace sapo::http {

class AdminNotifications {
public:
    /// `on_approved` runs after an approval (the job runner starts at once instead of at its
    /// next poll).
    AdminNotifications(notify::NotificationService& service, std::function<void()> on_approved)
        : service_(service), on_approved_(std::move(on_approved)) {}

    /// `rest` is the path after /admin/api/notifications ("" or "/{id}" or "/{id}/approve"...).
    Response handle(const Request& req, const std::string& rest, const std::string& actor);

    /// GET /admin/api/notification-templates.
    Response templates(const Request& req);

private:
    Response create(const Request& req, const std::string& actor);
    Response list(const Request& req);

    notify::NotificationService& service_;
    std::function<void()> on_approved_;
};

/// A notification as the admin API shows it (counts, no user ids), with its preview texts.
/// `targets`: who would be told now (NotificationService::targets); null when not counted.
std::string notification_json(const storage::NotificationRecord& n, std::optional<std::int64_t> targets);

}  // namespace sapo::http
