#pragma once
/// @file
/// @brief Facilities and check-ins as the service sees them.

#include <cstdint>
#include <optional>
#include <string>

namespace sapo::storage {

struct FacilityRecord {
    std::int64_t id = 0;
    std::string name;
    std::string kind;
    std::string address;
    std::string phone;
    std::string manager_user_id;  ///< empty: none
    std::string status;           ///< "active" or "closed"
    std::string created_at;       ///< ISO 8601, UTC
    std::string updated_at;
    std::string closed_at;        ///< empty while active
};

struct NewFacility {
    std::string name;
    std::string kind;
    std::string address;
    std::string phone;
    std::string manager_user_id;
};

/// Fields to change; unset ones stay.
struct FacilityPatch {
    std::optional<std::string> name, kind, address, phone, manager_user_id;
};

struct CheckinOutcome {
    std::optional<FacilityRecord> facility;  ///< nullopt: no such facility (nothing recorded)
    bool recorded = false;   ///< false: no facility, a closed one, or a repeat within the window
    std::int64_t at_ms = 0;  ///< the check-in that counts: this one or the earlier one (0 when none)
};

struct PurgeReport {
    int partitions_dropped = 0;
    std::int64_t rows_in_dropped = 0;
    std::int64_t rows_deleted = 0;  ///< from the partition the cutoff falls in
    /// Who was told of a notification whose window is older than the cutoff: the same personal
    /// data (who was where) as the check-ins it came from. Counts stay on the batches.
    std::int64_t recipients_deleted = 0;
    /// Questions the FAQ could not answer: free text a resident typed, kept no longer.
    std::int64_t faq_misses_deleted = 0;
};

}  // namespace sapo::storage
