// The daily health report in PostgreSQL: the event-transaction part (enrolment, alerts, reports),
// the operators' store and the prompt batches' store.
#include <sstream>

#include "storage/health_store.hpp"
#include "storage/health_tx.hpp"
#include "storage/pg_common.hpp"

namespace sapo::storage {

const char* prompt_slot_name(PromptSlot s) {
    switch (s) {
        case PromptSlot::morning: return "morning";
        case PromptSlot::reminder: return "reminder";
        case PromptSlot::closing: return "closing";
    }
    return "?";
}

std::optional<PromptSlot> parse_prompt_slot(const std::string& s) {
    if (s == "morning") return PromptSlot::morning;
    if (s == "reminder") return PromptSlot::reminder;
    if (s == "closing") return PromptSlot::closing;
    return std::nullopt;
}

namespace pg {
namespace {

constexpr const char* kPatientColumns =
    "p.id, p.label, p.monitoring_from::text, p.monitoring_to::text, p.phone, p.risk, p.pulse_oximeter, "
    "p.enrollment_code, (extract(epoch FROM p.code_expires_at) * 1000)::bigint, p.user_id IS NOT NULL, "
    "(extract(epoch FROM p.enrolled_at) * 1000)::bigint, (extract(epoch FROM p.ended_at) * 1000)::bigint, "
    "p.created_by, (extract(epoch FROM p.created_at) * 1000)::bigint";

template <class T>
std::optional<T> opt(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return f.as<T>();
}

PatientRecord read_patient(const pqxx::row& r) {
    PatientRecord p;
    p.id = r[0].as<std::int64_t>();
    p.label = r[1].c_str();
    p.monitoring_from = r[2].c_str();
    p.monitoring_to = r[3].c_str();
    p.phone = opt<std::string>(r[4]);
    p.risk = opt<std::string>(r[5]);
    p.pulse_oximeter = r[6].as<bool>();
    p.enrollment_code = opt<std::string>(r[7]);
    p.code_expires_ms = opt<std::int64_t>(r[8]);
    p.enrolled = r[9].as<bool>();
    p.enrolled_ms = opt<std::int64_t>(r[10]);
    p.ended_ms = opt<std::int64_t>(r[11]);
    p.created_by = r[12].c_str();
    p.created_ms = r[13].as<std::int64_t>();
    return p;
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(s);
    while (std::getline(in, item, ',')) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

const std::string kSelectPatient = std::string("SELECT ") + kPatientColumns + " FROM patients p ";

class PgHealthTx final : public HealthTx {
public:
    explicit PgHealthTx(pqxx::work& tx) : tx_(tx) {}

    std::optional<PatientRecord> patient_of(const std::string& user_id) override {
        auto rows = tx_.exec_prepared("health_patient_of", user_id);
        if (rows.empty()) return std::nullopt;
        return read_patient(rows[0]);
    }

    std::vector<std::int64_t> failed_attempts(const std::string& user_id, std::int64_t since_ms) override {
        std::vector<std::int64_t> out;
        for (const auto& r : tx_.exec_prepared("health_failed_attempts", user_id, since_ms)) {
            out.push_back(r[0].as<std::int64_t>());
        }
        return out;
    }

    void record_attempt(const std::string& user_id, std::int64_t at_ms, bool ok) override {
        tx_.exec_prepared("health_record_attempt", user_id, at_ms, ok);
    }

    std::optional<PatientRecord> patient_by_code(const std::string& code) override {
        auto rows = tx_.exec_prepared("health_patient_by_code", code);
        if (rows.empty()) return std::nullopt;
        return read_patient(rows[0]);
    }

    void link(std::int64_t patient_id, const std::string& user_id, std::int64_t at_ms, const std::string& today) override {
        tx_.exec_prepared("health_unlink_finished", user_id, today);
        tx_.exec_prepared("health_link", patient_id, user_id, at_ms);
    }

    bool raise_alert(std::int64_t patient_id, const std::string& run, const std::string& reason, const std::string& detail,
                     std::int64_t at_ms) override {
        return !tx_.exec_prepared("health_raise_alert", patient_id, run, reason, detail, at_ms).empty();
    }

    void queue_push(const std::string& to, const std::string& messages_json) override {
        tx_.exec_prepared("health_queue_push", to, messages_json);
    }

    std::int64_t save_report(const NewReport& r) override {
        return tx_
            .exec_prepared("health_save_report", r.patient_id, r.run, r.report_date, r.completed_ms, r.temperature, r.spo2,
                           r.answers_json)[0][0]
            .as<std::int64_t>();
    }

private:
    pqxx::work& tx_;
};

}  // namespace

const std::vector<Statement>& health_statements() {
    static const std::string patient_of = kSelectPatient + "WHERE p.user_id = $1 AND p.ended_at IS NULL ORDER BY p.id DESC LIMIT 1";
    static const std::string by_code = kSelectPatient + "WHERE p.enrollment_code = $1 FOR UPDATE";
    static const std::vector<Statement> all{
        {"health_patient_of", patient_of.c_str()},
        {"health_failed_attempts",
         "SELECT (extract(epoch FROM attempted_at) * 1000)::bigint FROM enrollment_attempts "
         "WHERE user_id = $1 AND NOT ok AND attempted_at >= to_timestamp($2::bigint / 1000.0) ORDER BY attempted_at"},
        {"health_record_attempt",
         "INSERT INTO enrollment_attempts (user_id, attempted_at, ok) VALUES ($1, to_timestamp($2::bigint / 1000.0), $3)"},
        {"health_patient_by_code", by_code.c_str()},
        {"health_unlink_finished",
         "UPDATE patients SET ended_at = now(), updated_at = now() "
         "WHERE user_id = $1 AND ended_at IS NULL AND monitoring_to < $2::date"},
        {"health_link",
         "UPDATE patients SET user_id = $2, enrolled_at = to_timestamp($3::bigint / 1000.0), enrollment_code = NULL, "
         "code_expires_at = NULL, updated_at = now() WHERE id = $1"},
        {"health_raise_alert",
         "INSERT INTO alerts (patient_id, run, reason, detail, raised_at) "
         "VALUES ($1, $2, $3, $4, to_timestamp($5::bigint / 1000.0)) ON CONFLICT DO NOTHING RETURNING id"},
        {"health_queue_push",
         "INSERT INTO outbox (user_id, messages, must_arrive, retry_key, claimed_at) "
         "VALUES ($1, $2::json, true, gen_random_uuid(), '-infinity')"},
        {"health_save_report",
         "INSERT INTO health_reports (patient_id, run, report_date, completed_at, temperature, spo2, answers, flags) "
         "VALUES ($1, $2, $3::date, to_timestamp($4::bigint / 1000.0), $5::numeric, $6::integer, $7::jsonb, "
         "ARRAY(SELECT reason FROM alerts WHERE patient_id = $1 AND run = $2 ORDER BY id)) RETURNING id"},
    };
    return all;
}

std::unique_ptr<HealthTx> make_health_tx(pqxx::work& tx) { return std::make_unique<PgHealthTx>(tx); }

}  // namespace pg

namespace {

void audit(pqxx::work& tx, const std::string& actor, const std::string& action, std::int64_t patient_id,
           const std::string& details = "{}") {
    tx.exec_params("INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4::jsonb)", actor, action,
                   "patient:" + std::to_string(patient_id), details);
}

/// Who is due a slot's message: $1 the date, $2 the slot, $3 now (ms), $4 the reminder's gap (ms).
std::string due_condition(PromptSlot slot) {
    // every parameter appears in every variant, so PostgreSQL can type them all
    const std::string params = "$2::text IS NOT NULL AND $3::bigint IS NOT NULL AND $4::bigint IS NOT NULL";
    const std::string not_blocked = " AND u.follow_state IS DISTINCT FROM 'unfollowed'";
    const std::string monitored =
        " AND p.user_id IS NOT NULL AND p.ended_at IS NULL AND $1::date BETWEEN p.monitoring_from AND p.monitoring_to";
    const std::string no_report =
        " AND NOT EXISTS (SELECT 1 FROM health_reports r WHERE r.patient_id = p.id AND r.report_date = $1::date)";
    const std::string not_sent =
        " AND NOT EXISTS (SELECT 1 FROM health_prompts h WHERE h.patient_id = p.id AND h.prompt_date = $1::date AND h.slot = $2)";
    switch (slot) {
        case PromptSlot::morning:
            return params + monitored + not_blocked + no_report + not_sent;
        case PromptSlot::reminder:
            return params + monitored + not_blocked + no_report + not_sent +
                   " AND EXISTS (SELECT 1 FROM health_prompts m WHERE m.patient_id = p.id AND m.prompt_date = $1::date "
                   "AND m.slot = 'morning' AND m.claimed_at <= to_timestamp(($3::bigint - $4::bigint) / 1000.0))";
        case PromptSlot::closing:
            return params +
                   " AND p.user_id IS NOT NULL AND p.ended_at IS NULL AND p.monitoring_to < $1::date "
                   "AND p.monitoring_to >= $1::date - 7" +
                   not_blocked + " AND NOT EXISTS (SELECT 1 FROM health_prompts h WHERE h.patient_id = p.id AND h.slot = 'closing')";
    }
    return "false";
}

/// Patients whose monitoring covers date $1 and who were not ended before it.
constexpr const char* kCoversDate =
    "$1::date BETWEEN p.monitoring_from AND p.monitoring_to "
    "AND (p.ended_at IS NULL OR (p.ended_at AT TIME ZONE 'Asia/Tokyo')::date > $1::date)";

class PgHealthStore final : public HealthStore {
public:
    explicit PgHealthStore(std::string url) : db_(std::move(url)) {}

    PatientRecord create_patient(const NewPatient& p, const std::function<std::string()>& make_code,
                                 std::int64_t code_expires_ms) override {
        for (int attempt = 0;; ++attempt) {
            const std::string code = make_code();
            auto created = db_.run("registering a patient", [&](pqxx::work& tx) {
                    auto rows = tx.exec_params(
                        "INSERT INTO patients (label, monitoring_from, monitoring_to, phone, risk, pulse_oximeter, "
                        "enrollment_code, code_expires_at, created_by) VALUES ($1, $2::date, $3::date, $4, $5, $6, $7, "
                        "to_timestamp($8::bigint / 1000.0), $9) "
                        "ON CONFLICT (enrollment_code) WHERE enrollment_code IS NOT NULL DO NOTHING RETURNING id",
                        p.label, p.monitoring_from, p.monitoring_to, p.phone, p.risk, p.pulse_oximeter, code,
                        code_expires_ms, p.created_by
                    );
                    if (rows.empty()) return std::optional<PatientRecord>{};  // the code is taken: draw again
                    const auto id = rows[0][0].as<std::int64_t>();
                    audit(tx, p.created_by, "patient.create", id);
                    return read(tx, id);
                });
            if (created) return *created;
            // 10^7 codes and a few thousand in use: twenty misses in a row means something else is wrong
            if (attempt >= 20) throw StorageError("no free enrollment code after 20 draws", false);
        }
    }

    std::optional<PatientRecord> patient(std::int64_t id) override {
        return db_.run("reading a patient", [&](pqxx::work& tx) { return read(tx, id); });
    }

    std::vector<PatientRecord> patients(int limit) override {
        return db_.run("listing patients", [&](pqxx::work& tx) {
            std::vector<PatientRecord> out;
            for (const auto& r : tx.exec_params(pg::kSelectPatient + "ORDER BY p.id DESC LIMIT $1", limit)) {
                out.push_back(pg::read_patient(r));
            }
            return out;
        });
    }

    std::optional<PatientRecord> update_patient(std::int64_t id, const PatientPatch& patch, const std::string& actor) override {
        return db_.run("updating a patient", [&](pqxx::work& tx) -> std::optional<PatientRecord> {
            auto rows = tx.exec_params(
                "UPDATE patients SET label = coalesce($2, label), monitoring_from = coalesce($3::date, monitoring_from), "
                "monitoring_to = coalesce($4::date, monitoring_to), "
                "phone = CASE WHEN $5 THEN $6 ELSE phone END, risk = CASE WHEN $7 THEN $8 ELSE risk END, "
                "pulse_oximeter = coalesce($9, pulse_oximeter), "
                "ended_at = CASE WHEN $10 THEN coalesce(ended_at, now()) ELSE ended_at END, updated_at = now() "
                "WHERE id = $1 RETURNING id",
                id, patch.label, patch.monitoring_from, patch.monitoring_to, patch.phone.has_value(),
                patch.phone.value_or(std::nullopt), patch.risk.has_value(), patch.risk.value_or(std::nullopt),
                patch.pulse_oximeter, patch.end
            );
            if (rows.empty()) return std::nullopt;
            audit(tx, actor, patch.end ? "patient.end" : "patient.update", id);
            return read(tx, id);
        });
    }

    std::optional<PatientRecord> renew_code(std::int64_t id, const std::function<std::string()>& make_code,
                                            std::int64_t code_expires_ms, const std::string& actor) override {
        for (int attempt = 0;; ++attempt) {
            const std::string code = make_code();
            enum class Outcome { renewed, no_patient, code_taken };
            auto [outcome, record] = db_.run("renewing an enrollment code", [&](pqxx::work& tx) {
                if (!tx.exec_params("SELECT 1 FROM patients WHERE enrollment_code = $1", code).empty()) {
                    return std::pair{Outcome::code_taken, std::optional<PatientRecord>{}};
                }
                auto rows = tx.exec_params(
                    "UPDATE patients SET enrollment_code = $2, code_expires_at = to_timestamp($3::bigint / 1000.0), "
                    "updated_at = now() WHERE id = $1 AND user_id IS NULL AND ended_at IS NULL RETURNING id",
                    id, code, code_expires_ms
                );
                if (rows.empty()) return std::pair{Outcome::no_patient, std::optional<PatientRecord>{}};
                audit(tx, actor, "patient.renew_code", id);
                return std::pair{Outcome::renewed, read(tx, id)};
            });
            if (outcome != Outcome::code_taken) return record;
            if (attempt >= 20) throw StorageError("no free enrollment code after 20 draws", false);
        }
    }

    std::vector<DayReport> day_reports(const std::string& date) override {
        return db_.run("reading a day's reports", [&](pqxx::work& tx) {
            std::vector<DayReport> out;
            const std::string sql = std::string(R"sql(
SELECT p.id, p.label, (extract(epoch FROM r.completed_at) * 1000)::bigint, r.temperature::float8, r.spo2,
       coalesce(r.answers::text, '{}'), coalesce(array_to_string(r.flags, ','), ''),
       (SELECT count(*) FROM health_reports c WHERE c.patient_id = p.id AND c.report_date = $1::date)
FROM patients p
LEFT JOIN LATERAL (SELECT * FROM health_reports r WHERE r.patient_id = p.id AND r.report_date = $1::date
                   ORDER BY r.completed_at DESC, r.id DESC LIMIT 1) r ON true
WHERE $1::date BETWEEN p.monitoring_from AND p.monitoring_to
  AND (p.ended_at IS NULL OR (p.ended_at AT TIME ZONE 'Asia/Tokyo')::date >= $1::date)
ORDER BY p.id)sql");
            for (const auto& r : tx.exec_params(sql, date)) {
                DayReport d;
                d.patient_id = r[0].as<std::int64_t>();
                d.label = r[1].c_str();
                d.completed_ms = pg::opt<std::int64_t>(r[2]);
                d.completed = d.completed_ms.has_value();
                d.temperature = pg::opt<double>(r[3]);
                d.spo2 = pg::opt<int>(r[4]);
                d.answers_json = r[5].c_str();
                d.flags = pg::split_commas(r[6].c_str());
                d.reports = r[7].as<int>();
                out.push_back(std::move(d));
            }
            return out;
        });
    }

    std::vector<MissingPatient> missing(const std::string& date, bool all) override {
        return db_.run("reading the no-answer list", [&](pqxx::work& tx) {
            std::vector<MissingPatient> out;
            const std::string sql = std::string(R"sql(
SELECT p.id, p.label, p.phone,
       CASE WHEN p.user_id IS NULL THEN 'not_enrolled' WHEN u.follow_state = 'unfollowed' THEN 'blocked'
            ELSE 'no_report' END AS reason,
       EXISTS (SELECT 1 FROM health_prompts h WHERE h.patient_id = p.id AND h.prompt_date = $1::date AND h.slot = 'morning'
               AND h.accepted_at IS NOT NULL),
       EXISTS (SELECT 1 FROM health_prompts h WHERE h.patient_id = p.id AND h.prompt_date = $1::date AND h.slot = 'reminder'
               AND h.accepted_at IS NOT NULL)
FROM patients p LEFT JOIN users u ON u.user_id = p.user_id
WHERE NOT EXISTS (SELECT 1 FROM health_reports r WHERE r.patient_id = p.id AND r.report_date = $1::date)
  AND ($2 OR p.user_id IS NULL OR u.follow_state = 'unfollowed')
  AND )sql") + kCoversDate + " ORDER BY reason, p.id";
            for (const auto& r : tx.exec_params(sql, date, all)) {
                MissingPatient m;
                m.patient_id = r[0].as<std::int64_t>();
                m.label = r[1].c_str();
                m.phone = pg::opt<std::string>(r[2]);
                m.reason = r[3].c_str();
                m.prompted = r[4].as<bool>();
                m.reminded = r[5].as<bool>();
                out.push_back(std::move(m));
            }
            return out;
        });
    }

    std::vector<AlertRecord> alerts(const std::string& state, int limit) override {
        return db_.run("listing alerts", [&](pqxx::work& tx) {
            std::vector<AlertRecord> out;
            for (const auto& r : tx.exec_params(
                     "SELECT a.id, a.patient_id, p.label, p.phone, a.reason, a.detail, "
                     "(extract(epoch FROM a.raised_at) * 1000)::bigint, a.state, a.acked_by, "
                     "(extract(epoch FROM a.acked_at) * 1000)::bigint "
                     "FROM alerts a JOIN patients p ON p.id = a.patient_id "
                     "WHERE $1 = '' OR a.state = $1 ORDER BY a.raised_at DESC, a.id DESC LIMIT $2",
                     state, limit
                 )) {
                AlertRecord a;
                a.id = r[0].as<std::int64_t>();
                a.patient_id = r[1].as<std::int64_t>();
                a.label = r[2].c_str();
                a.phone = pg::opt<std::string>(r[3]);
                a.reason = r[4].c_str();
                a.detail = r[5].c_str();
                a.raised_ms = r[6].as<std::int64_t>();
                a.state = r[7].c_str();
                a.acked_by = pg::opt<std::string>(r[8]);
                a.acked_ms = pg::opt<std::int64_t>(r[9]);
                out.push_back(std::move(a));
            }
            return out;
        });
    }

    AckResult acknowledge(std::int64_t alert_id, const std::string& actor) override {
        return db_.run("acknowledging an alert", [&](pqxx::work& tx) {
            auto rows = tx.exec_params("SELECT state, patient_id FROM alerts WHERE id = $1 FOR UPDATE", alert_id);
            if (rows.empty()) return AckResult::not_found;
            if (std::string(rows[0][0].c_str()) != "open") return AckResult::already;
            tx.exec_params("UPDATE alerts SET state = 'acknowledged', acked_by = $2, acked_at = now() WHERE id = $1", alert_id,
                           actor);
            audit(tx, actor, "alert.acknowledge", rows[0][1].as<std::int64_t>(), "{\"alert\":" + std::to_string(alert_id) + "}");
            return AckResult::acknowledged;
        });
    }

    HealthPurgeReport purge(const std::string& before_date) override {
        return db_.run("deleting old health records", [&](pqxx::work& tx) {
            HealthPurgeReport r;
            const std::string old_patients =
                "SELECT id FROM patients WHERE monitoring_to < $1::date "
                "OR (ended_at IS NOT NULL AND (ended_at AT TIME ZONE 'Asia/Tokyo')::date < $1::date)";
            tx.exec_params("DELETE FROM health_prompts WHERE patient_id IN (" + old_patients + ")", before_date);
            tx.exec_params("DELETE FROM alerts WHERE patient_id IN (" + old_patients + ")", before_date);
            tx.exec_params("DELETE FROM health_reports WHERE patient_id IN (" + old_patients + ")", before_date);
            auto deleted = tx.exec_params("DELETE FROM patients WHERE id IN (" + old_patients + ")", before_date);
            r.patients_deleted = static_cast<std::int64_t>(deleted.affected_rows());
            auto prompts = tx.exec_params("DELETE FROM health_prompts WHERE prompt_date < $1::date", before_date);
            r.prompts_deleted = static_cast<std::int64_t>(prompts.affected_rows());
            tx.exec_params("DELETE FROM health_prompt_batches b USING health_prompt_runs r "
                           "WHERE b.run_id = r.id AND r.prompt_date < $1::date", before_date);
            tx.exec_params("DELETE FROM health_prompt_runs WHERE prompt_date < $1::date", before_date);
            return r;
        });
    }

    int claim_prompts(PromptSlot slot, const std::string& date, std::int64_t now_ms, std::int64_t reminder_gap_ms,
                      const std::string& messages_ja, const std::string& messages_en) override {
        const std::string due = "FROM patients p JOIN users u ON u.user_id = p.user_id WHERE " + due_condition(slot);
        const std::string slot_name = prompt_slot_name(slot);
        return db_.run("claiming health prompts", [&](pqxx::work& tx) {
            auto any = tx.exec_params("SELECT EXISTS (SELECT 1 " + due + ")", date, slot_name, now_ms, reminder_gap_ms);
            if (!any[0][0].as<bool>()) return 0;
            const auto run = tx.exec_params(
                                   "INSERT INTO health_prompt_runs (prompt_date, slot, messages_ja, messages_en, created_at) "
                                   "VALUES ($1::date, $2, $3::json, $4::json, to_timestamp($5::bigint / 1000.0)) RETURNING id",
                                   date, slot_name, messages_ja, messages_en, now_ms
            )[0][0]
                                 .as<std::int64_t>();
            // batch numbers: even for Japanese, odd for English, 500 users each
            auto claimed = tx.exec_params(
                "INSERT INTO health_prompts (patient_id, prompt_date, slot, user_id, language, run_id, batch_no, claimed_at) "
                "SELECT id, $1::date, $2, user_id, language, $5, "
                "       ((row_number() OVER (PARTITION BY language ORDER BY id) - 1) / 500) * 2 + (language = 'en')::int, "
                "       to_timestamp($3::bigint / 1000.0) "
                "FROM (SELECT p.id, p.user_id, CASE WHEN u.language = 'en' THEN 'en' ELSE 'ja' END AS language " +
                    due + ") d ON CONFLICT DO NOTHING",
                date, slot_name, now_ms, reminder_gap_ms, run
            );
            const int count = static_cast<int>(claimed.affected_rows());
            if (count == 0) {
                tx.exec_params("DELETE FROM health_prompt_runs WHERE id = $1", run);
                return 0;
            }
            tx.exec_params(
                "INSERT INTO health_prompt_batches (run_id, batch_no, language, recipients, retry_key) "
                "SELECT run_id, batch_no, language, count(*), gen_random_uuid() FROM health_prompts WHERE run_id = $1 "
                "GROUP BY run_id, batch_no, language",
                run
            );
            // A first big claim on a table PostgreSQL has no statistics for yet would leave the next
            // "who is not prompted yet" check planned as a nested loop over every row (minutes at
            // 100,000 patients) until autovacuum came by: give the planner the new numbers now.
            if (count >= 1000) tx.exec("ANALYZE health_prompts");
            return count;
        });
    }

private:
    std::optional<PatientRecord> read(pqxx::work& tx, std::int64_t id) {
        auto rows = tx.exec_params(pg::kSelectPatient + "WHERE p.id = $1", id);
        if (rows.empty()) return std::nullopt;
        return pg::read_patient(rows[0]);
    }

    pg::SerialConnection db_;
};

constexpr const char* kClaimPromptBatch = R"sql(
SELECT b.run_id, b.batch_no, b.retry_key::text, b.language, b.attempts,
       CASE WHEN b.language = 'en' THEN r.messages_en::text ELSE r.messages_ja::text END
FROM health_prompt_batches b JOIN health_prompt_runs r ON r.id = b.run_id
WHERE b.status = 'pending' AND b.next_attempt_at <= now()
ORDER BY b.next_attempt_at, b.run_id, b.batch_no
LIMIT 1 FOR UPDATE OF b SKIP LOCKED)sql";

class PgHealthPromptStore final : public FanoutStore {
public:
    explicit PgHealthPromptStore(std::string url) : db_(std::move(url)) {}

    void start_approved() override {}

    bool send_next(const std::function<SendOutcome(const ClaimedBatch&)>& send,
                   const std::function<std::int64_t(int)>& retry_after_ms, int max_attempts) override {
        return db_.run("sending a health prompt batch", [&](pqxx::work& tx) {
            auto rows = tx.exec(kClaimPromptBatch);
            if (rows.empty()) return false;
            ClaimedBatch b = pg::read_claimed_batch(rows[0]);
            b.messages = pg::json_array_elements(rows[0][5].c_str());
            for (const auto& r : tx.exec_params("SELECT user_id FROM health_prompts WHERE run_id = $1 AND batch_no = $2",
                                                b.notification_id, b.batch_no)) {
                b.user_ids.emplace_back(r[0].c_str());
            }
            const SendOutcome o = send(b);
            const int attempts = b.attempts + 1;
            std::string status = pg::batch_status_after(o, attempts, max_attempts);
            const std::int64_t wait_ms = status == "pending" ? retry_after_ms(attempts) : 0;
            tx.exec_params(
                "UPDATE health_prompt_batches SET status = $3, attempts = $4, last_status = $5, last_error = NULLIF($6, ''), "
                "request_id = coalesce(NULLIF($7, ''), request_id), "
                "accepted_at = CASE WHEN $3 = 'accepted' THEN now() END, "
                "next_attempt_at = now() + make_interval(secs => $8 / 1000.0) WHERE run_id = $1 AND batch_no = $2",
                b.notification_id, b.batch_no, status, attempts, o.status, o.error, o.request_id,
                static_cast<long long>(wait_ms)
            );
            if (status == "accepted") {
                tx.exec_params("UPDATE health_prompts SET accepted_at = now() WHERE run_id = $1 AND batch_no = $2",
                               b.notification_id, b.batch_no);
            }
            return true;
        });
    }

    std::vector<FinishedNotification> finish_settled(const std::function<std::string(const FinishedNotification&)>&) override {
        return {};
    }

private:
    pg::SerialConnection db_;
};

}  // namespace

std::unique_ptr<HealthStore> make_pg_health_store(const std::string& database_url) {
    return std::make_unique<PgHealthStore>(database_url);
}

std::unique_ptr<FanoutStore> make_pg_health_prompt_store(const std::string& database_url) {
    return std::make_unique<PgHealthPromptStore>(database_url);
}

}  // namespace sapo::storage
