#pragma once
/// @file
/// @brief Notifications for operators: the one service layer behind the admin API and
/// `sapo notify`. Drafting checks and renders (notify/draft), approving freezes recipients and
/// batches (two-person rule), cancelling stops between batches. Sending is the FanoutRunner's.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/notify/draft.hpp"
#include "flows/clock.hpp"
#include "storage/facility_store.hpp"
#include "storage/notification_store.hpp"

namespace sapo::notify {

struct ServiceSettings {
    bool two_person_rule = true;  ///< the approver must not be the one who drafted it
    DraftSettings draft;
};

struct CreateResult {
    std::vector<DraftProblem> problems;         ///< non-empty: nothing was written
    std::optional<storage::NotificationRecord> record;
    std::int64_t targets = 0;                   ///< exact count at creation
};

struct ActionResult {
    enum class Kind { ok, not_found, conflict, forbidden } kind = Kind::ok;
    std::string message;  ///< why, when not ok
    std::optional<storage::NotificationRecord> record;
};

class NotificationService {
public:
    NotificationService(storage::NotificationStore& store, storage::FacilityStore& facilities, const Clock& clock,
                        ServiceSettings settings);

    CreateResult create(const DraftRequest& request);
    ActionResult approve(std::int64_t id, const std::string& approver);
    ActionResult cancel(std::int64_t id, const std::string& actor);

    std::optional<storage::NotificationRecord> get(std::int64_t id);
    std::vector<storage::NotificationRecord> list(int limit = 100);

    /// Who would be told now: the frozen count once approved, a live count for a draft.
    std::int64_t targets(const storage::NotificationRecord& n);

    const ServiceSettings& settings() const { return settings_; }

private:
    storage::NotificationStore& store_;
    storage::FacilityStore& facilities_;
    const Clock& clock_;
    ServiceSettings settings_;
};

}  // namespace sapo::notify
