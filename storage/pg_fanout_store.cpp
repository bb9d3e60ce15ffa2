#include "storage/fanout_store.hpp"
#include "storage/pg_common.hpp"

namespace sapo::storage {
namespace {

/// The oldest due batch nobody else holds. The lock is kept until the outcome is committed, so
/// two runners never send one batch at the same time, and a runner that dies frees it at once.
constexpr const char* kClaim = R"sql(
SELECT b.notification_id, b.batch_no, b.retry_key::text, b.language, b.attempts,
       CASE WHEN b.language = 'en' THEN n.text_en ELSE n.text_ja END
FROM notification_batches b JOIN notifications n ON n.id = b.notification_id
WHERE b.status = 'pending' AND b.next_attempt_at <= now() AND n.status IN ('approved', 'sending')
ORDER BY b.next_attempt_at, b.notification_id, b.batch_no
LIMIT 1 FOR UPDATE OF b SKIP LOCKED)sql";

class PgFanoutStore final : public FanoutStore {
public:
    explicit PgFanoutStore(std::string url) : db_(std::move(url)) {}

    void start_approved() override {
        db_.run("starting approved notifications", [](pqxx::work& tx) {
            tx.exec("UPDATE notifications SET status = 'sending', started_at = now() WHERE status = 'approved'");
            return 0;
        });
    }

    bool send_next(const std::function<SendOutcome(const ClaimedBatch&)>& send,
                   const std::function<std::int64_t(int)>& retry_after_ms, int max_attempts) override {
        return db_.run("sending a notification batch", [&](pqxx::work& tx) {
            auto rows = tx.exec(kClaim);
            if (rows.empty()) return false;
            ClaimedBatch b = pg::read_claimed_batch(rows[0]);
            b.text = rows[0][5].c_str();
            for (const auto& r : tx.exec_params(
                     "SELECT user_id FROM notification_recipients WHERE notification_id = $1 AND batch_no = $2",
                     b.notification_id, b.batch_no
                 )) {
                b.user_ids.emplace_back(r[0].c_str());
            }
            // first_sent_at is committed with the outcome; the retry key itself was committed at approval
            const SendOutcome o = send(b);
            const int attempts = b.attempts + 1;
            std::string status = pg::batch_status_after(o, attempts, max_attempts);
            if (status != "accepted") {
                // cancelled while this batch was out: a batch LINE did not take is not retried
                auto n = tx.exec_params("SELECT status FROM notifications WHERE id = $1", b.notification_id);
                if (std::string(n[0][0].c_str()) == "cancelled") status = "cancelled";
            }
            const std::int64_t wait_ms = status == "pending" ? retry_after_ms(attempts) : 0;
            tx.exec_params(
                "UPDATE notification_batches SET status = $3, attempts = $4, last_status = $5, last_error = NULLIF($6, ''), "
                "request_id = coalesce(NULLIF($7, ''), request_id), first_sent_at = coalesce(first_sent_at, now()), "
                "accepted_at = CASE WHEN $3 = 'accepted' THEN now() END, "
                "next_attempt_at = now() + make_interval(secs => $8 / 1000.0) "
                "WHERE notification_id = $1 AND batch_no = $2",
                b.notification_id, b.batch_no, status, attempts, o.status, o.error, o.request_id,
                static_cast<long long>(wait_ms)
            );
            if (status == "accepted") {
                tx.exec_params(
                    "UPDATE notification_recipients SET accepted_at = now() WHERE notification_id = $1 AND batch_no = $2",
                    b.notification_id, b.batch_no
                );
            }
            return true;
        });
    }

    std::vector<FinishedNotification> finish_settled(
        const std::function<std::string(const FinishedNotification&)>& manager_notice
    ) override {
        return db_.run("finishing notifications", [&](pqxx::work& tx) {
            // WHERE status = 'sending' again in the UPDATE: two runners finishing the same
            // notification at once both re-check it under its row lock, and only one changes it
            auto rows = tx.exec(R"sql(
WITH settled AS (
  SELECT n.id,
         coalesce(sum(b.recipients) FILTER (WHERE b.status = 'accepted'), 0) AS sent,
         coalesce(sum(b.recipients) FILTER (WHERE b.status = 'failed'), 0) AS failed
  FROM notifications n JOIN notification_batches b ON b.notification_id = n.id
  WHERE n.status = 'sending'
  GROUP BY n.id
  HAVING count(*) FILTER (WHERE b.status = 'pending') = 0
)
UPDATE notifications n
SET status = CASE WHEN s.failed > 0 THEN 'failed' ELSE 'done' END, finished_at = now()
FROM settled s, facilities f
WHERE n.id = s.id AND n.status = 'sending' AND f.id = n.facility_id
RETURNING n.id, n.status, f.name, n.window_date::text, n.window_from, n.window_to, s.sent, s.failed,
          n.requested_by_user,
          (SELECT CASE WHEN u.language = 'en' THEN 'en' ELSE 'ja' END FROM users u WHERE u.user_id = n.requested_by_user))sql");
            std::vector<FinishedNotification> out;
            for (const auto& r : rows) {
                FinishedNotification f;
                f.id = r[0].as<std::int64_t>();
                f.status = r[1].c_str();
                f.facility_name = r[2].c_str();
                f.window_date = r[3].c_str();
                f.window_from = r[4].c_str();
                f.window_to = r[5].c_str();
                f.sent = r[6].as<std::int64_t>();
                f.failed = r[7].as<std::int64_t>();
                if (!r[8].is_null()) f.manager_user = r[8].c_str();
                if (!r[9].is_null()) f.manager_language = r[9].c_str();
                if (f.manager_user) {
                    // through the outbox: pushed by the dispatcher's sweeper with its own retry key,
                    // so the manager hears exactly once even if this instance stops now
                    tx.exec_params(
                        "INSERT INTO outbox (user_id, messages, must_arrive, retry_key, claimed_at) "
                        "VALUES ($1, $2::json, true, gen_random_uuid(), '-infinity')",
                        *f.manager_user, manager_notice(f)
                    );
                }
                out.push_back(std::move(f));
            }
            return out;
        });
    }

private:
    pg::SerialConnection db_;
};

}  // namespace

std::unique_ptr<FanoutStore> make_pg_fanout_store(const std::string& database_url) {
    return std::make_unique<PgFanoutStore>(database_url);
}

}  // namespace sapo::storage
