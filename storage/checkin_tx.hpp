#pragma once
/// @file
/// @brief Facility data an effect may read and write inside its event's transaction (check-in,
/// a manager registering a facility, employees joining, staff asking for a notification).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/facility_records.hpp"
#include "storage/notification_records.hpp"

namespace sapo::storage {

class CheckinTx {
public:
    virtual ~CheckinTx() = default;

    virtual std::optional<FacilityRecord> facility(std::int64_t id) = 0;

    /// Records (user, facility, at) when the facility exists and is active, unless the same user
    /// checked in there less than `window_ms` before `at_ms` (then that earlier check-in is
    /// returned). One round trip.
    virtual CheckinOutcome check_in(const std::string& user_id, std::int64_t facility_id, std::int64_t at_ms,
                                    std::int64_t window_ms) = 0;

    virtual FacilityRecord create_facility(const NewFacility& f) = 0;
    /// Adds or updates the user's role at the facility ("manager" or "employee").
    virtual void add_staff(std::int64_t facility_id, const std::string& user_id, const std::string& role) = 0;
    /// "manager", "employee" or "" (not staff).
    virtual std::string staff_role(std::int64_t facility_id, const std::string& user_id) = 0;
    /// Active facilities the user manages, newest first.
    virtual std::vector<FacilityRecord> managed_by(const std::string& user_id) = 0;
    /// Active facilities the user is staff of (manager or employee), newest first.
    virtual std::vector<FacilityRecord> staff_of(const std::string& user_id) = 0;

    /// Drafts a notification a facility's staff asked for in LINE (audited as n.requested_by);
    /// operators approve it. Returns its id.
    virtual std::int64_t request_notification(const NewNotification& n) = 0;
};

}  // namespace sapo::storage
