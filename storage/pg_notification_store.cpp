#include "flows/value.hpp"
#include "storage/notification_store.hpp"
#include "storage/pg_common.hpp"

namespace sapo::storage {
namespace {

/// The target query: distinct users at the facility inside the window, less those who blocked
/// the bot. Served by checkins_facility_time_idx in each monthly partition the window touches.
constexpr const char* kTargets = R"sql(
SELECT DISTINCT c.user_id FROM checkins c
WHERE c.facility_id = $1
  AND c.checked_in_at >= to_timestamp($2 / 1000.0) AND c.checked_in_at < to_timestamp($3 / 1000.0)
  AND NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = c.user_id AND u.follow_state = 'unfollowed'))sql";

constexpr const char* kColumns = R"sql(
n.id, n.facility_id, f.name, n.window_date::text, n.window_from, n.window_to, n.template_id, n.params::text,
n.text_ja, n.text_en, n.status, n.requested_by, n.requested_by_user IS NOT NULL, coalesce(n.approved_by, ''),
coalesce(n.cancelled_by, ''), n.targets,
coalesce(to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
coalesce(to_char(n.approved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
coalesce(to_char(n.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
coalesce(b.total, 0), coalesce(b.pending, 0), coalesce(b.accepted, 0), coalesce(b.failed, 0),
coalesce(b.cancelled, 0), coalesce(b.sent, 0), coalesce(b.failed_recipients, 0),
(extract(epoch FROM n.window_start) * 1000)::bigint, (extract(epoch FROM n.window_end) * 1000)::bigint
FROM notifications n JOIN facilities f ON f.id = n.facility_id
LEFT JOIN LATERAL (
  SELECT count(*) AS total, count(*) FILTER (WHERE status = 'pending') AS pending,
         count(*) FILTER (WHERE status = 'accepted') AS accepted, count(*) FILTER (WHERE status = 'failed') AS failed,
         count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
         sum(recipients) FILTER (WHERE status = 'accepted') AS sent,
         sum(recipients) FILTER (WHERE status = 'failed') AS failed_recipients
  FROM notification_batches WHERE notification_id = n.id) b ON true)sql";

NotificationRecord read(const pqxx::row& r) {
    NotificationRecord n;
    n.id = r[0].as<std::int64_t>();
    n.facility_id = r[1].as<std::int64_t>();
    n.facility_name = r[2].c_str();
    n.window_date = r[3].c_str();
    n.window_from = r[4].c_str();
    n.window_to = r[5].c_str();
    n.template_id = r[6].c_str();
    n.params_json = r[7].c_str();
    n.text_ja = r[8].c_str();
    n.text_en = r[9].c_str();
    n.status = r[10].c_str();
    n.requested_by = r[11].c_str();
    n.requested_in_line = r[12].as<bool>();
    n.approved_by = r[13].c_str();
    n.cancelled_by = r[14].c_str();
    if (!r[15].is_null()) n.targets = r[15].as<int>();
    n.created_at = r[16].c_str();
    n.approved_at = r[17].c_str();
    n.finished_at = r[18].c_str();
    n.batches.total = r[19].as<int>();
    n.batches.pending = r[20].as<int>();
    n.batches.accepted = r[21].as<int>();
    n.batches.failed = r[22].as<int>();
    n.batches.cancelled = r[23].as<int>();
    n.sent = r[24].as<std::int64_t>();
    n.failed = r[25].as<std::int64_t>();
    n.start_ms = r[26].as<std::int64_t>();
    n.end_ms = r[27].as<std::int64_t>();
    return n;
}

void audit(pqxx::work& tx, const std::string& actor, const std::string& action, std::int64_t id, const std::string& details) {
    tx.exec_params("INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4::jsonb)", actor, action,
                   "notification:" + std::to_string(id), details);
}

}  // namespace

namespace pg {

std::int64_t insert_notification(pqxx::work& tx, const NewNotification& n) {
    const char* user = n.requested_by_user ? n.requested_by_user->c_str() : nullptr;
    auto id = tx.exec_params("INSERT INTO notifications (facility_id, window_date, window_from, window_to, window_start, "
                             "window_end, template_id, params, text_ja, text_en, requested_by, requested_by_user) "
                             "VALUES ($1, $2::date, $3, $4, to_timestamp($5 / 1000.0), to_timestamp($6 / 1000.0), $7, "
                             "$8::jsonb, $9, $10, $11, $12) RETURNING id",
                             n.facility_id, n.window_date, n.window_from, n.window_to, n.start_ms, n.end_ms, n.template_id,
                             n.params_json, n.text_ja, n.text_en, n.requested_by, user)[0][0]
                  .as<std::int64_t>();
    audit(tx, n.requested_by, "notification.create", id,
          "{\"facility_id\":" + std::to_string(n.facility_id) + ",\"date\":\"" + n.window_date + "\",\"from\":\"" +
              n.window_from + "\",\"to\":\"" + n.window_to + "\",\"template\":\"" + flows::json_escape(n.template_id) +
              "\"}");
    return id;
}

}  // namespace pg

namespace {

class PgNotificationStore final : public NotificationStore {
public:
    explicit PgNotificationStore(std::string url) : db_(std::move(url)) {}

    std::int64_t count_targets(std::int64_t facility_id, std::int64_t start_ms, std::int64_t end_ms) override {
        return db_.run("counting a notification's targets", [&](pqxx::work& tx) {
            return tx.exec_params(std::string("SELECT count(*) FROM (") + kTargets + ") t", facility_id, start_ms, end_ms)[0][0]
                .as<std::int64_t>();
        });
    }

    NotificationRecord create(const NewNotification& n) override {
        return db_.run("drafting a notification", [&](pqxx::work& tx) {
            const auto id = pg::insert_notification(tx, n);
            return one(tx, id).value();
        });
    }

    std::optional<NotificationRecord> get(std::int64_t id) override {
        return db_.run("reading a notification", [&](pqxx::work& tx) { return one(tx, id); });
    }

    std::vector<NotificationRecord> list(int limit) override {
        return db_.run("listing notifications", [&](pqxx::work& tx) {
            std::vector<NotificationRecord> out;
            for (const auto& r : tx.exec_params(std::string("SELECT ") + kColumns + " ORDER BY n.id DESC LIMIT $1", limit)) {
                out.push_back(read(r));
            }
            return out;
        });
    }

    ApproveOutcome approve(std::int64_t id, const std::string& approver, bool two_person) override {
        return db_.run("approving a notification", [&](pqxx::work& tx) {
            // the row lock makes a second approver wait, then see it is no longer a draft
            auto rows = tx.exec_params(
                "SELECT status, requested_by, facility_id, (extract(epoch FROM window_start) * 1000)::bigint, "
                "(extract(epoch FROM window_end) * 1000)::bigint FROM notifications WHERE id = $1 FOR UPDATE",
                id
            );
            if (rows.empty()) return ApproveOutcome::not_found;
            if (std::string(rows[0][0].c_str()) != "draft") return ApproveOutcome::not_draft;
            if (two_person && same_operator(approver, rows[0][1].c_str())) return ApproveOutcome::same_operator;
            // the DISTINCT and the numbering sort up to ~100,000 ids: in memory, not on disk
            tx.exec("SET LOCAL work_mem = '64MB'");
            // Freeze the window as stored, so the frozen set is the one the draft counted. Each
            // language's recipients are numbered, 500 to a batch, batches numbered across languages
            // (a multicast carries one text, so a batch has one language).
            auto frozen = tx.exec_params(
                std::string(R"sql(
WITH t AS (
  SELECT t.user_id, CASE WHEN u.language = 'en' THEN 'en' ELSE 'ja' END AS language
  FROM ()sql") + kTargets + R"sql() t LEFT JOIN users u ON u.user_id = t.user_id
),
numbered AS (
  SELECT user_id, language, (row_number() OVER (PARTITION BY language ORDER BY user_id) - 1) / $5 AS chunk FROM t
)
INSERT INTO notification_recipients (notification_id, user_id, language, batch_no)
SELECT $4, user_id, language, (dense_rank() OVER (ORDER BY language, chunk) - 1)::int FROM numbered)sql",
                rows[0][2].as<std::int64_t>(), rows[0][3].as<std::int64_t>(), rows[0][4].as<std::int64_t>(), id,
                kNotificationBatchSize
            );
            const auto targets = frozen.affected_rows();
            tx.exec_params(R"sql(
INSERT INTO notification_batches (notification_id, batch_no, language, recipients, retry_key)
SELECT notification_id, batch_no, min(language), count(*), gen_random_uuid()
FROM notification_recipients WHERE notification_id = $1 GROUP BY notification_id, batch_no)sql",
                           id);
            tx.exec_params(
                "UPDATE notifications SET status = CASE WHEN $3 = 0 THEN 'done' ELSE 'approved' END, approved_by = $2, "
                "approved_at = now(), targets = $3, finished_at = CASE WHEN $3 = 0 THEN now() END WHERE id = $1",
                id, approver, static_cast<long long>(targets)
            );
            audit(tx, approver, "notification.approve", id, "{\"targets\":" + std::to_string(targets) + "}");
            return ApproveOutcome::approved;
        });
    }

    CancelOutcome cancel(
        std::int64_t id, const std::string& actor,
        const std::function<std::string(const NotificationRecord&, const std::string&)>& manager_notice
    ) override {
        return db_.run("cancelling a notification", [&](pqxx::work& tx) {
            auto rows = tx.exec_params(
                "UPDATE notifications SET status = 'cancelled', cancelled_by = $2, finished_at = now() "
                "WHERE id = $1 AND status IN ('draft', 'approved', 'sending') RETURNING id",
                id, actor
            );
            if (rows.empty()) {
                return tx.exec_params("SELECT 1 FROM notifications WHERE id = $1", id).empty() ? CancelOutcome::not_found
                                                                                              : CancelOutcome::already_finished;
            }
            // SKIP LOCKED: the batch a runner is sending right now is left to complete; the runner
            // cancels it if LINE did not accept it
            auto stopped = tx.exec_params(
                "UPDATE notification_batches SET status = 'cancelled' WHERE (notification_id, batch_no) IN ("
                "SELECT notification_id, batch_no FROM notification_batches WHERE notification_id = $1 AND status = 'pending' "
                "FOR UPDATE SKIP LOCKED)",
                id
            );
            audit(tx, actor, "notification.cancel", id, "{\"batches_stopped\":" + std::to_string(stopped.affected_rows()) + "}");
            auto manager = tx.exec_params(
                "SELECT n.requested_by_user, CASE WHEN u.language = 'en' THEN 'en' ELSE 'ja' END FROM notifications n "
                "LEFT JOIN users u ON u.user_id = n.requested_by_user WHERE n.id = $1 AND n.requested_by_user IS NOT NULL",
                id
            );
            if (!manager.empty()) {
                // through the outbox, as the "sent" notice: pushed once, with its own retry key
                tx.exec_params("INSERT INTO outbox (user_id, messages, must_arrive, retry_key, claimed_at) "
                               "VALUES ($1, $2::json, true, gen_random_uuid(), '-infinity')",
                               manager[0][0].c_str(), manager_notice(one(tx, id).value(), manager[0][1].c_str()));
            }
            return CancelOutcome::cancelled;
        });
    }

private:
    static std::optional<NotificationRecord> one(pqxx::work& tx, std::int64_t id) {
        auto rows = tx.exec_params(std::string("SELECT ") + kColumns + " WHERE n.id = $1", id);
        if (rows.empty()) return std::nullopt;
        return read(rows[0]);
    }

    pg::SerialConnection db_;
};

}  // namespace

std::unique_ptr<NotificationStore> make_pg_notification_store(const std::string& database_url) {
    return std::make_unique<PgNotificationStore>(database_url);
}

}  // namespace sapo::storage
