// The personal-support questionnaire in PostgreSQL: consented answers, follow-ups, opt-outs, totals.
#include <map>
#include <set>

#include "storage/pg_common.hpp"
#include "storage/support_store.hpp"

namespace sapo::storage {
namespace pg {
namespace {

class PgSupportTx final : public SupportTx {
public:
    explicit PgSupportTx(pqxx::work& tx) : tx_(tx) {}

    void save_answer(const QuestionnaireAnswer& a) override {
        tx_.exec_prepared("support_save_answer", a.answered_ms, a.answered_date, a.age_band, a.outcome, a.area, a.centre,
                          a.answers_json);
    }

    bool schedule_followup(const std::string& user_id, const std::string& outcome, std::int64_t due_ms,
                           std::int64_t now_ms) override {
        return !tx_.exec_prepared("support_schedule_followup", user_id, outcome, due_ms, now_ms).empty();
    }

    void drop_followup(const std::string& user_id) override { tx_.exec_prepared("support_drop_followup", user_id); }

    bool opt_out(const std::string& user_id, std::int64_t now_ms) override {
        tx_.exec_prepared("support_opt_out", user_id, now_ms);
        return tx_.exec_prepared("support_stop_followup", user_id).affected_rows() > 0;
    }

private:
    pqxx::work& tx_;
};

}  // namespace

const std::vector<Statement>& support_statements() {
    static const std::vector<Statement> all{
        {"support_save_answer",
         "INSERT INTO questionnaire_answers (answered_at, answered_date, age_band, outcome, area, centre, answers) "
         // to the hour only: the exact instant would match the answer to its event, and so to its user
         "VALUES (date_trunc('hour', to_timestamp($1::bigint / 1000.0)), $2::date, $3, $4, $5, $6, $7::jsonb)"},
        // nothing for a user who said 配信停止; otherwise the newest questionnaire's follow-up replaces the last
        {"support_schedule_followup",
         "INSERT INTO support_followups (user_id, outcome, due_at, created_at) "
         "SELECT $1, $2, to_timestamp($3::bigint / 1000.0), to_timestamp($4::bigint / 1000.0) "
         "WHERE NOT EXISTS (SELECT 1 FROM support_optouts WHERE user_id = $1) "
         "ON CONFLICT (user_id) DO UPDATE SET outcome = EXCLUDED.outcome, due_at = EXCLUDED.due_at, "
         "status = 'pending', created_at = EXCLUDED.created_at, sent_at = NULL RETURNING user_id"},
        {"support_opt_out",
         "INSERT INTO support_optouts (user_id, at) VALUES ($1, to_timestamp($2::bigint / 1000.0)) ON CONFLICT DO NOTHING"},
        {"support_stop_followup", "UPDATE support_followups SET status = 'stopped' WHERE user_id = $1 AND status = 'pending'"},
        {"support_drop_followup", "DELETE FROM support_followups WHERE user_id = $1 AND status = 'pending'"},
    };
    return all;
}

std::unique_ptr<SupportTx> make_support_tx(pqxx::work& tx) { return std::make_unique<PgSupportTx>(tx); }

}  // namespace pg

namespace {

class PgSupportStore final : public SupportStore {
public:
    explicit PgSupportStore(std::string url) : db_(std::move(url)) {}

    std::vector<SummaryCell> summary(const std::string& from, const std::string& to,
                                     const std::vector<std::string>& dimensions) override {
        // the dimensions are checked against this fixed list, so only these expressions reach the SQL
        static const std::map<std::string, std::string> columns{
            {"day", "answered_date::text"}, {"area", "coalesce(area, 'unknown')"}, {"outcome", "outcome"}};
        std::string select, group;
        for (const auto& d : dimensions) {
            auto it = columns.find(d);
            if (it == columns.end()) throw StorageError("unknown summary dimension " + d, false);
            select += it->second + ", ";
            group += (group.empty() ? "" : ", ") + it->second;
        }
        const std::string sql = "SELECT " + select + "count(*) FROM questionnaire_answers "
                                "WHERE answered_date BETWEEN $1::date AND $2::date" +
                                (group.empty() ? "" : " GROUP BY " + group + " ORDER BY " + group);
        return db_.run("counting questionnaire answers", [&](pqxx::work& tx) {
            std::vector<SummaryCell> out;
            for (const auto& r : tx.exec_params(sql, from, to)) {
                SummaryCell c;
                for (std::size_t i = 0; i < dimensions.size(); ++i) c.keys.emplace_back(r[static_cast<int>(i)].c_str());
                c.count = r[static_cast<int>(dimensions.size())].as<std::int64_t>();
                out.push_back(std::move(c));
            }
            return out;
        });
    }

    int send_due_followups(std::int64_t now_ms, const std::function<std::string(const std::string&)>& messages) override {
        return db_.run("sending follow-ups", [&](pqxx::work& tx) {
            auto due = tx.exec_params(
                "UPDATE support_followups f SET status = 'sent', sent_at = to_timestamp($1::bigint / 1000.0) "
                "FROM (SELECT s.user_id FROM support_followups s LEFT JOIN users u ON u.user_id = s.user_id "
                "      WHERE s.status = 'pending' AND s.due_at <= to_timestamp($1::bigint / 1000.0) "
                "        AND u.follow_state IS DISTINCT FROM 'unfollowed' "
                "      ORDER BY s.due_at LIMIT 1000 FOR UPDATE OF s SKIP LOCKED) d "
                "WHERE f.user_id = d.user_id "
                "RETURNING f.user_id, (SELECT CASE WHEN u.language = 'en' THEN 'en' ELSE 'ja' END FROM users u "
                "                      WHERE u.user_id = f.user_id)",
                now_ms
            );
            std::map<std::string, std::string> by_language;
            for (const auto& r : due) {
                const std::string language = r[1].is_null() ? "ja" : r[1].c_str();
                auto it = by_language.find(language);
                if (it == by_language.end()) it = by_language.emplace(language, messages(language)).first;
                // through the outbox: the sweeper pushes it with the row's own retry key
                tx.exec_params(
                    "INSERT INTO outbox (user_id, messages, must_arrive, retry_key, claimed_at) "
                    "VALUES ($1, $2::json, true, gen_random_uuid(), '-infinity')",
                    std::string(r[0].c_str()), it->second
                );
            }
            return static_cast<int>(due.size());
        });
    }

private:
    pg::SerialConnection db_;
};

}  // namespace

std::unique_ptr<SupportStore> make_pg_support_store(const std::string& database_url) {
    return std::make_unique<PgSupportStore>(database_url);
}

}  // namespace sapo::storage
