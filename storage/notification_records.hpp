#pragma once
/// @file
/// @brief What storage keeps of a notification to the people who checked in at a facility in a
/// time window, and of its delivery batches.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sapo::storage {

/// A notification as it is drafted: the window already checked and turned into instants, the
/// texts already rendered (what is approved is exactly what is sent).
struct NewNotification {
    std::int64_t facility_id = 0;
    std::string window_date;  ///< "YYYY-MM-DD", Asia/Tokyo
    std::string window_from;  ///< "HH:MM"
    std::string window_to;    ///< "HH:MM" ("24:00" for the end of the day)
    std::int64_t start_ms = 0;  ///< check-ins at or after this instant...
    std::int64_t end_ms = 0;    ///< ...and before this one
    std::string template_id;
    std::string params_json = "{}";  ///< the operator's parameters, as given (a JSON object)
    std::string text_ja;
    std::string text_en;
    std::string requested_by;                  ///< operator name, or "line:manager"
    std::optional<std::string> requested_by_user;  ///< LINE user to tell when it has been sent
};

/// Delivery batches of a notification by status.
struct BatchCounts {
    int total = 0;
    int pending = 0;
    int accepted = 0;
    int failed = 0;
    int cancelled = 0;
};

struct NotificationRecord {
    std::int64_t id = 0;
    std::int64_t facility_id = 0;
    std::string facility_name;
    std::string window_date;
    std::string window_from;
    std::string window_to;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
    std::string template_id;
    std::string params_json;
    std::string text_ja;
    std::string text_en;
    std::string status;  ///< draft | approved | sending | done | cancelled | failed
    std::string requested_by;
    bool requested_in_line = false;  ///< a facility manager asked from LINE
    std::string approved_by;   ///< empty until approved
    std::string cancelled_by;  ///< empty unless cancelled
    std::optional<int> targets;  ///< frozen at approval
    std::int64_t sent = 0;       ///< recipients in accepted batches
    std::int64_t failed = 0;     ///< recipients in batches that failed for good
    BatchCounts batches;
    std::string created_at;  ///< ISO 8601, UTC
    std::string approved_at;
    std::string finished_at;
};

/// Whether two actors are the same person: "admin:suzuki" (X-Operator) and "cli:suzuki"
/// (sapo notify --as) are, so the two-person rule can't be passed by switching tools.
inline bool same_operator(const std::string& a, const std::string& b) {
    auto name = [](const std::string& s) {
        for (const char* prefix : {"admin:", "cli:"}) {
            if (s.rfind(prefix, 0) == 0) return s.substr(std::string(prefix).size());
        }
        return s;
    };
    return name(a) == name(b);
}

enum class ApproveOutcome { approved, not_found, not_draft, same_operator };
enum class CancelOutcome { cancelled, not_found, already_finished };

}  // namespace sapo::storage
