#pragma once
/// @file
/// @brief Checks a notification request (window, template, parameters) and renders its texts,
/// for the admin API, the CLI and a facility manager's request from LINE alike. Pure: no I/O.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bot/notify/templates.hpp"
#include "storage/facility_records.hpp"
#include "storage/notification_records.hpp"

namespace sapo::notify {

/// What the requester gave. `date` "YYYY-MM-DD"; `from`/`to` "HH:MM" in Asia/Tokyo, `to` up to
/// "24:00"; check-ins at or after `from` and before `to` are targeted.
struct DraftRequest {
    std::int64_t facility_id = 0;
    std::string date;
    std::string from;
    std::string to;
    std::string template_id;
    std::map<std::string, std::string> params;
    std::string requested_by;
    std::optional<std::string> requested_by_user;
};

/// One problem with one field of the request, in a sentence for the operator.
struct DraftProblem {
    std::string field;
    std::string message;
    /// For the window: "future", "not_ended" or "too_old" (a LINE flow words these for the
    /// manager); empty otherwise.
    std::string code = {};
};

struct DraftSettings {
    int retention_days = 31;          ///< check-ins older than this are gone
    std::string call_center_phone;    ///< a template's {{call_center_phone}} default
};

/// The window as instants: nullopt and problems (fields date, from, to) when it is malformed,
/// ends before it starts, lies in the future or goes back past the check-in retention.
struct Window {
    std::string date;
    std::string from;
    std::string to;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
};
std::optional<Window> check_window(const std::string& date, const std::string& from, const std::string& to,
                                   std::int64_t now_ms, int retention_days, std::vector<DraftProblem>& problems);

/// The draft to store, or problems. `facility` is the facility the request names (nullptr when
/// there is none with that id). Texts are rendered in Japanese and English.
std::optional<storage::NewNotification> prepare_draft(const DraftRequest& request, const storage::FacilityRecord* facility,
                                                      const std::map<std::string, NotificationTemplate>& templates,
                                                      const DraftSettings& settings, std::int64_t now_ms,
                                                      std::vector<DraftProblem>& problems);

/// "11月20日" / "20 November 2026".
std::string format_date(const std::string& iso_date, const std::string& language);

}  // namespace sapo::notify
