#include <mutex>
#include <regex>

#include "flows/value.hpp"
#include "storage/facility_store.hpp"
#include "storage/pg_common.hpp"

namespace sapo::storage {
namespace {

std::string audit_details(const FacilityRecord& f) {
    // the facility as it is now, for the audit trail (names and addresses are not personal data)
    return "{\"name\":\"" + flows::json_escape(f.name) + "\",\"status\":\"" + f.status + "\"}";
}

class PgFacilityStore final : public FacilityStore {
public:
    explicit PgFacilityStore(std::string url) : db_(std::move(url)) {}

    FacilityRecord create(const NewFacility& f, const std::string& actor) override {
        return db_.run("creating a facility", [&](pqxx::work& tx) {
            auto r = read(tx.exec_params(std::string("INSERT INTO facilities (name, kind, address, phone, manager_user_id) "
                                                     "VALUES ($1, $2, $3, $4, NULLIF($5, '')) RETURNING ") +
                                             pg::kFacilityColumns,
                                         f.name, f.kind, f.address, f.phone, f.manager_user_id)[0]);
            if (!f.manager_user_id.empty()) {
                tx.exec_params("INSERT INTO facility_staff (facility_id, user_id, role) VALUES ($1, $2, 'manager') "
                               "ON CONFLICT (facility_id, user_id) DO UPDATE SET role = 'manager'",
                               r.id, f.manager_user_id);
            }
            audit(tx, actor, "facility.create", r);
            return r;
        });
    }

    std::optional<FacilityRecord> get(std::int64_t id) override {
        return db_.run("reading a facility", [&](pqxx::work& tx) -> std::optional<FacilityRecord> {
            auto rows = tx.exec_params(std::string("SELECT ") + pg::kFacilityColumns + " FROM facilities WHERE id = $1", id);
            if (rows.empty()) return std::nullopt;
            return read(rows[0]);
        });
    }

    std::vector<FacilityRecord> list() override {
        return db_.run("listing facilities", [&](pqxx::work& tx) {
            std::vector<FacilityRecord> out;
            for (const auto& r : tx.exec(std::string("SELECT ") + pg::kFacilityColumns + " FROM facilities ORDER BY id")) {
                out.push_back(read(r));
            }
            return out;
        });
    }

    std::optional<FacilityRecord> update(std::int64_t id, const FacilityPatch& p, const std::string& actor) override {
        return db_.run("changing a facility", [&](pqxx::work& tx) -> std::optional<FacilityRecord> {
            auto opt = [](const std::optional<std::string>& v) { return v ? v->c_str() : nullptr; };
            auto rows = tx.exec_params(
                std::string("UPDATE facilities SET name = coalesce($2, name), kind = coalesce($3, kind), "
                            "address = coalesce($4, address), phone = coalesce($5, phone), "
                            "manager_user_id = CASE WHEN $6::text IS NULL THEN manager_user_id ELSE NULLIF($6, '') END, "
                            "updated_at = now() WHERE id = $1 RETURNING ") +
                    pg::kFacilityColumns,
                id, opt(p.name), opt(p.kind), opt(p.address), opt(p.phone), opt(p.manager_user_id)
            );
            if (rows.empty()) return std::nullopt;
            auto r = read(rows[0]);
            if (p.manager_user_id && !p.manager_user_id->empty()) {
                tx.exec_params("INSERT INTO facility_staff (facility_id, user_id, role) VALUES ($1, $2, 'manager') "
                               "ON CONFLICT (facility_id, user_id) DO UPDATE SET role = 'manager'",
                               id, *p.manager_user_id);
            }
            audit(tx, actor, "facility.update", r);
            return r;
        });
    }

    std::optional<FacilityRecord> close(std::int64_t id, const std::string& actor) override {
        return db_.run("closing a facility", [&](pqxx::work& tx) -> std::optional<FacilityRecord> {
            auto rows = tx.exec_params(
                std::string("UPDATE facilities SET status = 'closed', closed_at = coalesce(closed_at, now()), "
                            "updated_at = now() WHERE id = $1 RETURNING ") +
                    pg::kFacilityColumns,
                id
            );
            if (rows.empty()) return std::nullopt;
            auto r = read(rows[0]);
            audit(tx, actor, "facility.close", r);
            return r;
        });
    }

    std::string secret(const std::string& name, const std::function<std::string()>& generate) override {
        return db_.run("reading a kept secret", [&](pqxx::work& tx) {
            // ON CONFLICT keeps the first value when two instances start together
            tx.exec_params("INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", name,
                           generate());
            return std::string(tx.exec_params("SELECT value FROM app_secrets WHERE name = $1", name)[0][0].c_str());
        });
    }

    PurgeReport purge_checkins(std::int64_t cutoff_ms) override {
        return db_.run("purging check-ins", [&](pqxx::work& tx) {
            PurgeReport report;
            auto partitions = tx.exec(R"sql(
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'checkins'::regclass ORDER BY c.relname)sql");
            static const std::regex kName("^checkins_p([0-9]{4})([0-9]{2})$");
            for (const auto& row : partitions) {
                std::string name = row[0].c_str();
                std::smatch m;
                if (!std::regex_match(name, m, kName)) continue;
                // the partition's end: the first instant of the next month (UTC)
                auto ends = tx.exec_params(
                    "SELECT (extract(epoch FROM (make_date($1, $2, 1) + interval '1 month')::timestamp AT TIME ZONE 'UTC') "
                    "* 1000)::bigint",
                    std::stoi(m[1].str()), std::stoi(m[2].str())
                )[0][0].as<std::int64_t>();
                if (ends > cutoff_ms) continue;
                report.rows_in_dropped += tx.exec("SELECT count(*) FROM " + tx.quote_name(name))[0][0].as<std::int64_t>();
                tx.exec("DROP TABLE " + tx.quote_name(name));
                ++report.partitions_dropped;
                pg::forget_checkin_partitions();
            }
            report.rows_deleted =
                tx.exec_params("DELETE FROM checkins WHERE checked_in_at < to_timestamp($1 / 1000.0)", cutoff_ms).affected_rows();
            // a notification still being sent keeps its recipients until it is finished
            report.recipients_deleted =
                tx.exec_params("DELETE FROM notification_recipients r USING notifications n "
                               "WHERE r.notification_id = n.id AND n.window_end < to_timestamp($1 / 1000.0) "
                               "AND n.status IN ('done', 'failed', 'cancelled')",
                               cutoff_ms)
                    .affected_rows();
            report.faq_misses_deleted =
                tx.exec_params("DELETE FROM faq_misses WHERE at < to_timestamp($1 / 1000.0)", cutoff_ms).affected_rows();
            // the enrolment lockout looks back 40 minutes: older attempts only say who typed codes
            tx.exec("DELETE FROM enrollment_attempts WHERE attempted_at < now() - interval '1 day'");
            return report;
        });
    }

    void ensure_checkin_partitions(std::int64_t from_ms, std::int64_t to_ms) override {
        db_.run("making check-in partitions", [&](pqxx::work& tx) {
            tx.exec_params(R"sql(
SELECT sapo_ensure_checkin_partition(g AT TIME ZONE 'UTC')
FROM generate_series(date_trunc('month', to_timestamp($1 / 1000.0) AT TIME ZONE 'UTC'),
                     to_timestamp($2 / 1000.0) AT TIME ZONE 'UTC', interval '1 month') AS g)sql",
                           from_ms, to_ms);
            return 0;
        });
    }

private:
    static FacilityRecord read(const pqxx::row& r) { return pg::read_facility(r); }

    static void audit(pqxx::work& tx, const std::string& actor, const std::string& action, const FacilityRecord& f) {
        tx.exec_params("INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4::jsonb)", actor,
                       action, "facility:" + std::to_string(f.id), audit_details(f));
    }

    pg::SerialConnection db_;
};

}  // namespace

std::unique_ptr<FacilityStore> make_pg_facility_store(const std::string& database_url) {
    return std::make_unique<PgFacilityStore>(database_url);
}

}  // namespace sapo::storage
