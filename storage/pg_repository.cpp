#include <atomic>
#include <set>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "flows/value.hpp"
#include "storage/migrations.hpp"
#include "storage/pg_common.hpp"
#include "storage/repository.hpp"

namespace sapo::storage {
namespace {

using pg::Statement;

// Every statement the dispatcher runs, prepared when the connection opens so a broken statement
// fails at start-up (and in the storage tests), not inside somebody's conversation.
constexpr Statement kStatements[] = {
    {"lock_key", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"},
    // A separate statement from lock_key on purpose: in READ COMMITTED each statement takes its
    // snapshot when it starts, so only a statement after the lock sees what the previous holder
    // committed.
    {"next_pending", R"sql(
SELECT e.id, e.webhook_event_id, e.ordering_key, e.event_type, e.mode, coalesce(e.user_id, ''),
       coalesce(e.reply_token, ''), e.event_ts_ms, e.destination, e.raw::text, e.attempts,
       u.user_id, u.follow_state, coalesce(u.language, ''),
       -- the user's session (columns as load_session's), read with the event: one round trip less
       s.flow_id, s.flow_version, s.node, s.waiting, s.variables::text, s.invalid_count,
       coalesce(s.pending::text, 'null'), (extract(epoch FROM s.started_at) * 1000)::bigint,
       (extract(epoch FROM s.updated_at) * 1000)::bigint, (extract(epoch FROM s.expires_at) * 1000)::bigint
FROM webhook_events e LEFT JOIN users u ON u.user_id = e.user_id LEFT JOIN sessions s ON s.user_id = e.user_id
WHERE e.ordering_key = $1 AND e.status = 'pending'
ORDER BY e.event_ts_ms, e.id
LIMIT 1)sql"},
    {"insert_outbox", R"sql(
INSERT INTO outbox (event_id, user_id, reply_token, messages, must_arrive, retry_key)
VALUES ($1, NULLIF($2, ''), NULLIF($3, ''), $4::json, $5, gen_random_uuid())
RETURNING id, retry_key::text)sql"},
    // the batch path: every key's lock in one statement, in one order (no deadlocks between
    // workers), then the oldest pending event of each key
    {"lock_keys", R"sql(
SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))
FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS k ORDER BY k) AS keys)sql"},
    {"next_pending_batch", R"sql(
SELECT DISTINCT ON (e.ordering_key)
       e.id, e.webhook_event_id, e.ordering_key, e.event_type, e.mode, coalesce(e.user_id, ''),
       coalesce(e.reply_token, ''), e.event_ts_ms, e.destination, e.raw::text, e.attempts,
       u.user_id, u.follow_state, coalesce(u.language, ''),
       s.flow_id, s.flow_version, s.node, s.waiting, s.variables::text, s.invalid_count,
       coalesce(s.pending::text, 'null'), (extract(epoch FROM s.started_at) * 1000)::bigint,
       (extract(epoch FROM s.updated_at) * 1000)::bigint, (extract(epoch FROM s.expires_at) * 1000)::bigint
FROM webhook_events e LEFT JOIN users u ON u.user_id = e.user_id LEFT JOIN sessions s ON s.user_id = e.user_id
WHERE e.ordering_key = ANY($1::text[]) AND e.status = 'pending'
ORDER BY e.ordering_key, e.event_ts_ms, e.id)sql"},
    // finish_event for a whole batch (distinct users)
    {"finish_events", R"sql(
WITH t AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS t(u, st, ts, lang)),
touched AS (
    INSERT INTO users (user_id, follow_state, followed_at, unfollowed_at, language)
    SELECT u, CASE WHEN st = '' THEN 'unknown' ELSE st END,
           CASE WHEN st = 'followed' THEN to_timestamp(ts / 1000.0) END,
           CASE WHEN st = 'unfollowed' THEN to_timestamp(ts / 1000.0) END,
           NULLIF(lang, '')
    FROM t WHERE u <> ''
    ON CONFLICT (user_id) DO UPDATE SET
        follow_state  = CASE WHEN EXCLUDED.follow_state = 'unknown' THEN users.follow_state ELSE EXCLUDED.follow_state END,
        followed_at   = coalesce(EXCLUDED.followed_at, users.followed_at),
        unfollowed_at = coalesce(EXCLUDED.unfollowed_at, users.unfollowed_at),
        language      = coalesce(EXCLUDED.language, users.language),
        updated_at    = now()
    RETURNING 1)
UPDATE webhook_events SET status = 'processed', processed_at = clock_timestamp(), attempts = attempts + 1
WHERE id = ANY($5::bigint[]))sql"},
    // touch_user and mark_processed in one statement (one round trip)
    {"finish_event", R"sql(
WITH touched AS (
    INSERT INTO users (user_id, follow_state, followed_at, unfollowed_at, language)
    VALUES ($1,
            CASE WHEN $2 = '' THEN 'unknown' ELSE $2 END,
            CASE WHEN $2 = 'followed' THEN to_timestamp($3::bigint / 1000.0) END,
            CASE WHEN $2 = 'unfollowed' THEN to_timestamp($3::bigint / 1000.0) END,
            NULLIF($4, ''))
    ON CONFLICT (user_id) DO UPDATE SET
        follow_state  = CASE WHEN $2 = '' THEN users.follow_state ELSE $2 END,
        followed_at   = CASE WHEN $2 = 'followed' THEN to_timestamp($3::bigint / 1000.0) ELSE users.followed_at END,
        unfollowed_at = CASE WHEN $2 = 'unfollowed' THEN to_timestamp($3::bigint / 1000.0) ELSE users.unfollowed_at END,
        language      = coalesce(NULLIF($4, ''), users.language),
        updated_at    = now()
    RETURNING 1)
UPDATE webhook_events SET status = 'processed', processed_at = clock_timestamp(), attempts = attempts + 1
WHERE id = $5)sql"},
    {"mark_processed", R"sql(
UPDATE webhook_events SET status = 'processed', processed_at = clock_timestamp(), attempts = attempts + 1
WHERE id = $1)sql"},
    {"mark_attempt_failed", R"sql(
UPDATE webhook_events
SET attempts = attempts + 1, last_error = $2,
    status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE status END,
    processed_at = CASE WHEN attempts + 1 >= $3 THEN now() END
WHERE id = $1
RETURNING status)sql"},
    {"pending_keys", R"sql(
SELECT ordering_key FROM webhook_events WHERE status = 'pending'
GROUP BY ordering_key ORDER BY min(id) LIMIT $1)sql"},
    {"reclaim_outbox", R"sql(
UPDATE outbox SET claimed_at = now(), attempts = attempts + 1
WHERE id IN (SELECT id FROM outbox
             WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1 / 1000.0)
             ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING id, coalesce(event_id, 0), coalesce(user_id, ''), coalesce(reply_token, ''),
          messages::text, must_arrive, retry_key::text,
          (extract(epoch FROM now() - created_at) * 1000)::bigint)sql"},

    {"load_session", R"sql(
SELECT flow_id, flow_version, node, waiting, variables::text, invalid_count, coalesce(pending::text, 'null'),
       (extract(epoch FROM started_at) * 1000)::bigint, (extract(epoch FROM updated_at) * 1000)::bigint,
       (extract(epoch FROM expires_at) * 1000)::bigint
FROM sessions WHERE user_id = $1)sql"},
    {"save_session", R"sql(
INSERT INTO sessions (user_id, flow_id, flow_version, node, waiting, variables, invalid_count, pending,
                      started_at, updated_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb,
        to_timestamp($9 / 1000.0), to_timestamp($10 / 1000.0), to_timestamp($11 / 1000.0))
ON CONFLICT (user_id) DO UPDATE SET
    flow_id = EXCLUDED.flow_id, flow_version = EXCLUDED.flow_version, node = EXCLUDED.node,
    waiting = EXCLUDED.waiting, variables = EXCLUDED.variables, invalid_count = EXCLUDED.invalid_count,
    pending = EXCLUDED.pending, started_at = EXCLUDED.started_at, updated_at = EXCLUDED.updated_at,
    expires_at = EXCLUDED.expires_at)sql"},
    {"end_session", "DELETE FROM sessions WHERE user_id = $1"},
    {"purge_sessions", R"sql(
DELETE FROM sessions WHERE user_id IN (
    SELECT user_id FROM sessions WHERE expires_at < now() - interval '1 day' LIMIT $1))sql"},
    {"set_language", R"sql(
INSERT INTO users (user_id, language) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET language = EXCLUDED.language, updated_at = now())sql"},
    {"published_versions", R"sql(
SELECT flow_id, max(version) FROM flow_versions WHERE status = 'published' GROUP BY flow_id)sql"},
    {"flow_definition",
     "SELECT definition FROM flow_versions WHERE flow_id = $1 AND version = $2 AND status = 'published'"},
    // One statement in its own transaction (one round trip). The delivery status may be lost in
    // a crash without harm (the row is then reclaimed and its resend is idempotent), so that
    // transaction doesn't wait for the WAL flush: set_config(..., true) is local to it.
    {"finish_outbox_many", R"sql(
WITH async AS (SELECT set_config('synchronous_commit', 'off', true)),
d AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS d(id, status, error))
UPDATE outbox SET status = d.status, last_error = NULLIF(d.error, ''),
                  sent_at = CASE WHEN d.status = 'sent' THEN now() END
FROM async, d
WHERE outbox.id = d.id)sql"},
    {"finish_outbox", R"sql(
WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
UPDATE outbox SET status = $2, last_error = NULLIF($3, ''),
                  sent_at = CASE WHEN $2 = 'sent' THEN now() END
FROM async
WHERE id = $1)sql"},
};

const char* follow_state(Decision::Follow f) {
    switch (f) {
        case Decision::Follow::followed:
            return "followed";
        case Decision::Follow::unfollowed:
            return "unfollowed";
        case Decision::Follow::unchanged:
            return "";
    }
    return "";
}

/// The handler's view of the event's transaction.
class TxConversationStore final : public ConversationStore {
public:
    explicit TxConversationStore(pqxx::work& tx) : tx_(tx) {}

    CheckinTx& facilities() override {
        if (!checkins_) checkins_ = pg::make_checkin_tx(tx_);
        return *checkins_;
    }

    FaqTx& faq() override {
        if (!faq_) faq_ = pg::make_faq_tx(tx_);
        return *faq_;
    }

    HealthTx& health() override {
        if (!health_) health_ = pg::make_health_tx(tx_);
        return *health_;
    }

    SupportTx& support() override {
        if (!support_) support_ = pg::make_support_tx(tx_);
        return *support_;
    }

    /// The session of `user_id` as next_pending already read it (columns from `first` on).
    void preload(const std::string& user_id, const pqxx::row& row, int first) {
        preloaded_user_ = user_id;
        preloaded_ = row[first].is_null() ? std::nullopt : std::optional(read_session(row, first));
    }

    std::optional<flows::Session> load_session(const std::string& user_id) override {
        if (preloaded_user_ && *preloaded_user_ == user_id) return preloaded_;
        auto rows = tx_.exec_prepared("load_session", user_id);
        if (rows.empty()) return std::nullopt;
        return read_session(rows[0], 0);
    }

    void save_session(const std::string& user_id, const flows::Session& s) override {
        tx_.exec_prepared(
            "save_session", user_id, s.flow_id, s.version, s.node, flows::waiting_name(s.waiting), flows::to_json(s.vars),
            s.invalid_count, flows::to_json(s.pending), s.started_ms, s.updated_ms, s.expires_ms
        );
        if (preloaded_user_ && *preloaded_user_ == user_id) preloaded_ = s;
    }

    void end_session(const std::string& user_id) override {
        tx_.exec_prepared("end_session", user_id);
        if (preloaded_user_ && *preloaded_user_ == user_id) preloaded_.reset();
    }

    void set_language(const std::string& user_id, const std::string& language) override {
        tx_.exec_prepared("set_language", user_id, language);
    }

    std::vector<std::pair<std::string, int>> published_versions() override {
        std::vector<std::pair<std::string, int>> out;
        for (const auto& r : tx_.exec_prepared("published_versions")) out.emplace_back(r[0].c_str(), r[1].as<int>());
        return out;
    }

    std::optional<std::string> flow_definition(const std::string& flow_id, int version) override {
        auto rows = tx_.exec_prepared("flow_definition", flow_id, version);
        if (rows.empty()) return std::nullopt;
        return std::string(rows[0][0].c_str());
    }

private:
    static flows::Session read_session(const pqxx::row& r, int c) {
        flows::Session s;
        s.flow_id = r[c].c_str();
        s.version = r[c + 1].as<int>();
        s.node = r[c + 2].c_str();
        s.waiting = flows::parse_waiting(r[c + 3].c_str()).value_or(flows::Session::Waiting::input);
        s.vars = flows::variables_from_json(r[c + 4].c_str()).value_or(flows::Variables{});
        s.invalid_count = r[c + 5].as<int>();
        s.pending = flows::value_from_json(r[c + 6].c_str()).value_or(flows::Value{});
        s.started_ms = r[c + 7].as<std::int64_t>();
        s.updated_ms = r[c + 8].as<std::int64_t>();
        s.expires_ms = r[c + 9].as<std::int64_t>();
        return s;
    }

    pqxx::work& tx_;
    std::unique_ptr<CheckinTx> checkins_;
    std::unique_ptr<FaqTx> faq_;
    std::unique_ptr<HealthTx> health_;
    std::unique_ptr<SupportTx> support_;
    std::optional<std::string> preloaded_user_;
    std::optional<flows::Session> preloaded_;
};

class PgRepository final : public Repository {
public:
    explicit PgRepository(std::string url) : url_(std::move(url)) {}

    std::optional<Handled> handle_next(
        const std::string& key,
        const Handler& handler,
        int max_attempts
    ) override {
        return guarded("handling an event", [&]() -> std::optional<Handled> {
            pqxx::work tx(conn());
            tx.exec_prepared("lock_key", key);
            auto rows = tx.exec_prepared("next_pending", key);
            if (rows.empty()) {
                tx.commit();
                return std::nullopt;
            }
            Handled h;
            h.event = to_event(rows[0]);
            std::optional<UserRecord> user;
            if (!rows[0][11].is_null()) {
                user = UserRecord{rows[0][11].c_str(), rows[0][12].c_str(), rows[0][13].c_str()};
            }
            Decision d;
            TxConversationStore store(tx);
            if (!h.event.user_id.empty()) store.preload(h.event.user_id, rows[0], 14);
            try {
                d = handler(h.event, user, store);
            } catch (const StorageError&) {
                throw;
            } catch (const pqxx::broken_connection&) {
                throw;  // the database's trouble, not the event's: deferred, no attempt counted
            } catch (const pqxx::transaction_rollback&) {
                throw;  // serialization failure or deadlock: the same
            } catch (const std::exception& e) {
                h.failed = true;
                h.error = e.what();
            }
            if (h.failed) {
                tx.abort();
                record_failure(h, max_attempts);
                return h;
            }

            write_outbox(tx, h, d);
            if (!h.event.user_id.empty()) {
                tx.exec_prepared(
                    "finish_event", h.event.user_id, follow_state(d.follow), h.event.event_ts_ms, d.language, h.event.id
                );
            } else {
                tx.exec_prepared("mark_processed", h.event.id);
            }
            tx.commit();
            return h;
        });
    }

    /// The decision's messages as outbox rows: the reply first, then what did not fit in it.
    static void write_outbox(pqxx::work& tx, Handled& h, const Decision& d) {
        // the reply first, then what did not fit in it, pushed in order
        // (a carried-over batch has no token of its own: it must be pushed)
        struct Batch {
            std::vector<std::string> messages;
            std::string reply_token;
            bool must_arrive;
        };
        std::vector<Batch> batches;
        if (!d.messages.empty()) batches.push_back({d.messages, d.reply_token, d.must_arrive});
        for (auto& more : d.more) {
            if (!more.empty()) batches.push_back({more, "", true});
        }
        for (auto& [messages, reply_token, must_arrive] : batches) {
            auto o = tx.exec_prepared(
                "insert_outbox", h.event.id, d.push_to, reply_token, pg::json_array(messages), must_arrive
            );
            OutboxItem item;
            item.id = o[0][0].as<std::int64_t>();
            item.event_id = h.event.id;
            item.user_id = d.push_to;
            item.reply_token = reply_token;
            item.messages = messages;
            item.must_arrive = must_arrive;
            item.retry_key = o[0][1].c_str();
            h.outbox.push_back(std::move(item));
        }
    }

    std::vector<Handled> handle_batch(
        const std::vector<std::string>& keys,
        const Handler& handler,
        int max_attempts
    ) override {
        if (keys.size() <= 1) {
            std::vector<Handled> out;
            if (!keys.empty()) {
                if (auto h = handle_next(keys.front(), handler, max_attempts)) out.push_back(std::move(*h));
            }
            return out;
        }
        struct HandlerFailed {};
        try {
            return guarded("handling events", [&]() -> std::vector<Handled> {
                try {
                    return batch_in_one_transaction(keys, handler);
                } catch (const StorageError&) {
                    throw;
                } catch (const pqxx::broken_connection&) {
                    throw;
                } catch (const pqxx::transaction_rollback&) {
                    throw;
                } catch (const std::exception&) {
                    throw HandlerFailed{};  // the transaction is gone: nothing of the batch was kept
                }
            });
        } catch (const HandlerFailed&) {
            // One event's handler failed: handle the keys one by one, so that the failure is
            // recorded against that event only and its neighbours go through.
            std::vector<Handled> out;
            for (const auto& key : keys) {
                if (auto h = handle_next(key, handler, max_attempts)) out.push_back(std::move(*h));
            }
            return out;
        }
    }

    std::vector<std::string> pending_keys(int limit) override {
        return guarded("listing pending events", [&] {
            pqxx::read_transaction tx(conn());
            std::vector<std::string> keys;
            for (const auto& row : tx.exec_prepared("pending_keys", limit)) keys.emplace_back(row[0].c_str());
            return keys;
        });
    }

    std::vector<OutboxItem> reclaim_outbox(std::chrono::milliseconds stale, int limit) override {
        return guarded("reclaiming the outbox", [&] {
            pqxx::work tx(conn());
            auto rows = tx.exec_prepared("reclaim_outbox", static_cast<long long>(stale.count()), limit);
            tx.commit();
            std::vector<OutboxItem> items;
            for (const auto& row : rows) {
                OutboxItem i;
                i.id = row[0].as<std::int64_t>();
                i.event_id = row[1].as<std::int64_t>();
                i.user_id = row[2].c_str();
                i.reply_token = row[3].c_str();
                i.messages = pg::json_array_elements(row[4].c_str());
                i.must_arrive = row[5].as<bool>();
                i.retry_key = row[6].c_str();
                i.age_ms = row[7].as<std::int64_t>();
                i.reclaimed = true;
                items.push_back(std::move(i));
            }
            return items;
        });
    }

    int purge_expired_sessions(int limit) override {
        return guarded("purging expired sessions", [&] {
            pqxx::work tx(conn());
            auto r = tx.exec_prepared("purge_sessions", limit);
            tx.commit();
            return static_cast<int>(r.affected_rows());
        });
    }

    void finish_outbox_many(const std::vector<Delivery>& deliveries) override {
        if (deliveries.empty()) return;
        std::vector<std::int64_t> ids;
        std::vector<std::string> statuses, errors;
        for (const auto& d : deliveries) {
            ids.push_back(d.id);
            statuses.push_back(d.status);
            errors.push_back(d.error);
        }
        guarded("recording deliveries", [&] {
            pqxx::nontransaction tx(conn());
            tx.exec_prepared("finish_outbox_many", pg::int_array(ids), pg::text_array(statuses), pg::text_array(errors));
            return 0;
        });
    }

    void finish_outbox(std::int64_t id, const std::string& status, const std::string& error) override {
        guarded("recording a delivery", [&] {
            pqxx::nontransaction tx(conn());
            tx.exec_prepared("finish_outbox", id, status, error);
            return 0;
        });
    }

private:
    /// handle_batch's transaction; a handler's exception propagates (and aborts it).
    std::vector<Handled> batch_in_one_transaction(const std::vector<std::string>& keys, const Handler& handler) {
        pqxx::work tx(conn());
        const auto array = pg::text_array(keys);
        tx.exec_prepared("lock_keys", array);
        auto rows = tx.exec_prepared("next_pending_batch", array);
        std::vector<Handled> out;
        std::vector<std::string> users, states, languages;
        std::vector<std::int64_t> times, ids;
        std::set<std::string> seen_users;
        bool distinct_users = true;
        for (const auto& row : rows) {
            Handled h;
            h.event = to_event(row);
            std::optional<UserRecord> user;
            if (!row[11].is_null()) user = UserRecord{row[11].c_str(), row[12].c_str(), row[13].c_str()};
            TxConversationStore store(tx);
            if (!h.event.user_id.empty()) store.preload(h.event.user_id, row, 14);
            Decision d = handler(h.event, user, store);
            write_outbox(tx, h, d);
            users.push_back(h.event.user_id);
            states.emplace_back(follow_state(d.follow));
            times.push_back(h.event.event_ts_ms);
            languages.push_back(d.language);
            ids.push_back(h.event.id);
            if (!h.event.user_id.empty() && !seen_users.insert(h.event.user_id).second) distinct_users = false;
            out.push_back(std::move(h));
        }
        if (distinct_users) {
            if (!ids.empty()) {
                tx.exec_prepared("finish_events", pg::text_array(users), pg::text_array(states), pg::int_array(times),
                                 pg::text_array(languages), pg::int_array(ids));
            }
        } else {
            // a user in two keys (group events): one row at a time
            for (std::size_t i = 0; i < ids.size(); ++i) {
                if (users[i].empty()) {
                    tx.exec_prepared("mark_processed", ids[i]);
                } else {
                    tx.exec_prepared("finish_event", users[i], states[i], times[i], languages[i], ids[i]);
                }
            }
        }
        tx.commit();
        return out;
    }

    pqxx::connection& conn() {
        if (!conn_ || !conn_->is_open()) {
            conn_.reset();
            auto c = pg::connect(url_);
            for (const auto& s : kStatements) c->prepare(s.name, s.sql);
            for (const auto& s : pg::checkin_statements()) c->prepare(s.name, s.sql);
            for (const auto& s : pg::faq_statements()) c->prepare(s.name, s.sql);
            for (const auto& s : pg::health_statements()) c->prepare(s.name, s.sql);
            for (const auto& s : pg::support_statements()) c->prepare(s.name, s.sql);
            conn_ = std::move(c);
        }
        return *conn_;
    }

    template <class F>
    auto guarded(const std::string& what, F&& f) -> decltype(f()) {
        try {
            return f();
        } catch (const StorageError& e) {
            if (e.transient()) conn_.reset();
            throw;
        } catch (...) {
            try {
                pg::rethrow_as_storage_error(what);
            } catch (const StorageError& e) {
                if (e.transient()) conn_.reset();
                throw;
            }
        }
    }

    static StoredEvent to_event(const pqxx::row& r) {
        StoredEvent e;
        e.id = r[0].as<std::int64_t>();
        e.webhook_event_id = r[1].c_str();
        e.ordering_key = r[2].c_str();
        e.event_type = r[3].c_str();
        e.mode = r[4].c_str();
        e.user_id = r[5].c_str();
        e.reply_token = r[6].c_str();
        e.event_ts_ms = r[7].as<std::int64_t>();
        e.destination = r[8].c_str();
        e.raw = r[9].c_str();
        e.attempts = r[10].as<int>();
        return e;
    }

    void record_failure(Handled& h, int max_attempts) {
        pqxx::work tx(conn());
        auto r = tx.exec_prepared("mark_attempt_failed", h.event.id, h.error, max_attempts);
        tx.commit();
        h.gave_up = !r.empty() && std::string(r[0][0].c_str()) == "failed";
    }

    std::string url_;
    std::unique_ptr<pqxx::connection> conn_;
};

class PgHealthProbe final : public HealthProbe {
public:
    PgHealthProbe(std::string url, std::chrono::milliseconds interval)
        : url_(std::move(url)), interval_(interval), thread_([this] { run(); }) {}

    ~PgHealthProbe() override { stop(); }

    bool ready(std::string& why) const override {
        std::lock_guard lock(mutex_);
        why = why_;
        return ready_;
    }

    void stop() override {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    void run() {
        std::unique_ptr<pqxx::connection> conn;
        for (;;) {
            bool ok = false;
            std::string why;
            try {
                if (!conn || !conn->is_open()) conn = pg::connect(url_);
                pqxx::read_transaction tx(*conn);
                int version = pg::schema_version(tx);
                int latest = latest_migration_version();
                ok = version == latest;
                if (!ok) {
                    why = "schema at version " + std::to_string(version) + ", this binary needs " +
                          std::to_string(latest) + " (run sapo migrate)";
                }
            } catch (const std::exception& e) {
                conn.reset();
                why = std::string("database unreachable: ") + e.what();
            }
            std::unique_lock lock(mutex_);
            ready_ = ok;
            why_ = why;
            if (cv_.wait_for(lock, interval_, [&] { return stopping_; })) return;
        }
    }

    std::string url_;
    std::chrono::milliseconds interval_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool ready_ = false;
    std::string why_ = "not checked yet";
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace

std::unique_ptr<Repository> make_pg_repository(const std::string& database_url) {
    return std::make_unique<PgRepository>(database_url);
}

std::unique_ptr<HealthProbe> make_pg_health_probe(
    const std::string& database_url,
    std::chrono::milliseconds interval
) {
    return std::make_unique<PgHealthProbe>(database_url, interval);
}

}  // namespace sapo::storage
