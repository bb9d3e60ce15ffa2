#include <mutex>
#include <set>

#include "storage/pg_common.hpp"

namespace sapo::storage {
namespace pg {

const char* const kFacilityColumns = R"sql(
id, name, kind, address, phone, coalesce(manager_user_id, ''), status,
to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
coalesce(to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''))sql";

FacilityRecord read_facility(const pqxx::row& r, int c) {
    FacilityRecord f;
    f.id = r[c].as<std::int64_t>();
    f.name = r[c + 1].c_str();
    f.kind = r[c + 2].c_str();
    f.address = r[c + 3].c_str();
    f.phone = r[c + 4].c_str();
    f.manager_user_id = r[c + 5].c_str();
    f.status = r[c + 6].c_str();
    f.created_at = r[c + 7].c_str();
    f.updated_at = r[c + 8].c_str();
    f.closed_at = r[c + 9].c_str();
    return f;
}

const std::vector<Statement>& checkin_statements() {
    static const std::vector<Statement> all = [] {
        static const std::string select_facility = std::string("SELECT ") + kFacilityColumns + " FROM facilities WHERE id = $1";
        static const std::string insert_facility =
            std::string("INSERT INTO facilities (name, kind, address, phone, manager_user_id) "
                        "VALUES ($1, $2, $3, $4, NULLIF($5, '')) RETURNING ") + kFacilityColumns;
        static const std::string managed_by =
            std::string("SELECT ") + kFacilityColumns +
            " FROM facilities f WHERE status = 'active' AND id IN "
            "(SELECT facility_id FROM facility_staff WHERE user_id = $1 AND role = 'manager') ORDER BY id DESC";
        static const std::string staff_of =
            std::string("SELECT ") + kFacilityColumns +
            " FROM facilities f WHERE status = 'active' AND id IN "
            "(SELECT facility_id FROM facility_staff WHERE user_id = $1) ORDER BY id DESC";
        static const std::string check_in = std::string(R"sql(
WITH f AS (SELECT * FROM facilities WHERE id = $2),
     r AS (SELECT max(checked_in_at) AS at FROM checkins
           WHERE user_id = $1 AND facility_id = $2
             AND checked_in_at > to_timestamp(($3::bigint - $4::bigint) / 1000.0)
             AND checked_in_at <= to_timestamp($3::bigint / 1000.0)),
     ins AS (INSERT INTO checkins (user_id, facility_id, checked_in_at)
             SELECT $1, $2, to_timestamp($3::bigint / 1000.0) FROM f, r
             WHERE f.status = 'active' AND r.at IS NULL
             RETURNING checked_in_at)
SELECT (SELECT count(*) FROM ins), (extract(epoch FROM coalesce((SELECT checked_in_at FROM ins), r.at)) * 1000)::bigint, )sql") +
                                                   kFacilityColumns + " FROM f, r";
        return std::vector<Statement>{
            {"facility_by_id", select_facility.c_str()},
            {"ensure_checkin_partition", "SELECT sapo_ensure_checkin_partition(to_timestamp($1::bigint / 1000.0))"},
            // The facility, the user's latest check-in there inside the window, and the new row
            // when the facility is active and there was none: one statement. (The event's lock on
            // the user keeps two of theirs from racing.)
            {"check_in", check_in.c_str()},
            {"insert_facility", insert_facility.c_str()},
            {"add_staff", R"sql(
INSERT INTO facility_staff (facility_id, user_id, role) VALUES ($1, $2, $3)
ON CONFLICT (facility_id, user_id) DO UPDATE
SET role = CASE WHEN facility_staff.role = 'manager' THEN 'manager' ELSE EXCLUDED.role END)sql"},
            {"staff_role", "SELECT role FROM facility_staff WHERE facility_id = $1 AND user_id = $2"},
            {"managed_by", managed_by.c_str()},
            {"staff_of", staff_of.c_str()},
        };
    }();
    return all;
}

namespace {

/// Months whose partition this process has seen to exist: the DDL check runs once a month, not
/// once a check-in.
class KnownMonths {
public:
    bool contains(std::int64_t month) {
        std::lock_guard lock(mutex_);
        return months_.count(month) > 0;
    }
    void add(std::int64_t month) {
        std::lock_guard lock(mutex_);
        months_.insert(month);
    }
    void clear() {
        std::lock_guard lock(mutex_);
        months_.clear();
    }

private:
    std::mutex mutex_;
    std::set<std::int64_t> months_;
};

KnownMonths& known_months() {
    static KnownMonths k;
    return k;
}

/// A number for the UTC month of a time (year * 12 + month).
std::int64_t month_of(std::int64_t unix_ms) {
    std::int64_t days = unix_ms / 86'400'000 - (unix_ms % 86'400'000 < 0 ? 1 : 0);
    // civil-from-days (Howard Hinnant), only the year and month
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const std::int64_t doe = days - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    return y * 12 + (m - 1);
}

class PgCheckinTx final : public CheckinTx {
public:
    explicit PgCheckinTx(pqxx::work& tx) : tx_(tx) {}

    std::optional<FacilityRecord> facility(std::int64_t id) override {
        auto rows = tx_.exec_prepared("facility_by_id", id);
        if (rows.empty()) return std::nullopt;
        return read_facility(rows[0]);
    }

    CheckinOutcome check_in(const std::string& user_id, std::int64_t facility_id, std::int64_t at_ms,
                            std::int64_t window_ms) override {
        // the month's partition must exist before the INSERT runs (checked once a month)
        auto month = month_of(at_ms);
        if (!known_months().contains(month)) {
            tx_.exec_prepared("ensure_checkin_partition", at_ms);
            known_months().add(month);
        }
        auto rows = tx_.exec_prepared("check_in", user_id, facility_id, at_ms, window_ms);
        CheckinOutcome out;
        if (rows.empty()) return out;  // no such facility
        out.recorded = rows[0][0].as<int>() > 0;
        out.at_ms = rows[0][1].is_null() ? 0 : rows[0][1].as<std::int64_t>();
        // the facility columns follow the two computed ones
        pqxx::row facility_row = rows[0];
        out.facility = read_facility(facility_row, 2);
        return out;
    }

    FacilityRecord create_facility(const NewFacility& f) override {
        auto rows = tx_.exec_prepared("insert_facility", f.name, f.kind, f.address, f.phone, f.manager_user_id);
        return read_facility(rows[0]);
    }

    void add_staff(std::int64_t facility_id, const std::string& user_id, const std::string& role) override {
        tx_.exec_prepared("add_staff", facility_id, user_id, role);
    }

    std::string staff_role(std::int64_t facility_id, const std::string& user_id) override {
        auto rows = tx_.exec_prepared("staff_role", facility_id, user_id);
        return rows.empty() ? "" : rows[0][0].c_str();
    }

    std::vector<FacilityRecord> managed_by(const std::string& user_id) override {
        std::vector<FacilityRecord> out;
        for (const auto& r : tx_.exec_prepared("managed_by", user_id)) out.push_back(read_facility(r));
        return out;
    }

    std::vector<FacilityRecord> staff_of(const std::string& user_id) override {
        std::vector<FacilityRecord> out;
        for (const auto& r : tx_.exec_prepared("staff_of", user_id)) out.push_back(read_facility(r));
        return out;
    }

    std::int64_t request_notification(const NewNotification& n) override { return insert_notification(tx_, n); }

private:
    pqxx::work& tx_;
};

}  // namespace

std::unique_ptr<CheckinTx> make_checkin_tx(pqxx::work& tx) { return std::make_unique<PgCheckinTx>(tx); }

void forget_checkin_partitions() { known_months().clear(); }

}  // namespace pg
}  // namespace sapo::storage
