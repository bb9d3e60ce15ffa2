#include "storage/faq_store.hpp"
#include "storage/pg_common.hpp"

namespace sapo::storage {
namespace pg {
namespace {

/// The set as flows::faq::parse_entries reads it, built by PostgreSQL in one row.
constexpr const char* kEntriesJson = R"sql(
SELECT json_build_object('entries', coalesce(json_agg(json_build_object(
         'id', id, 'category', category, 'question', question, 'phrasings', phrasings,
         'answer', json_build_object('ja', answer_ja, 'en', answer_en), 'links', links, 'enabled', enabled)
       ORDER BY position), '[]'))::text
FROM faq_entries)sql";

std::vector<flows::faq::Entry> read_entries(const pqxx::row& row) {
    std::vector<flows::faq::EntryProblem> problems;
    auto entries = flows::faq::parse_entries(row[0].c_str(), problems);
    // written only after the same checks, so a problem here means someone edited the table by hand
    if (!problems.empty()) throw StorageError("faq_entries holds an invalid entry: " + format_problem(problems.front()), false);
    return entries;
}

class PgFaqTx final : public FaqTx {
public:
    explicit PgFaqTx(pqxx::work& tx) : tx_(tx) {}

    std::int64_t version() override { return tx_.exec_prepared("faq_version")[0][0].as<std::int64_t>(); }

    std::vector<flows::faq::Entry> entries() override { return read_entries(tx_.exec_prepared("faq_entries")[0]); }

    void record_miss(const std::string& text, const std::string& reason, const std::string& entry_id) override {
        tx_.exec_prepared("faq_miss", text, reason, entry_id);
    }

private:
    pqxx::work& tx_;
};

}  // namespace

const std::vector<Statement>& faq_statements() {
    static const std::vector<Statement> all{
        {"faq_version", "SELECT version FROM faq_state"},
        {"faq_entries", kEntriesJson},
        {"faq_miss", "INSERT INTO faq_misses (text, reason, entry_id) VALUES ($1, $2, NULLIF($3, ''))"},
    };
    return all;
}

std::unique_ptr<FaqTx> make_faq_tx(pqxx::work& tx) { return std::make_unique<PgFaqTx>(tx); }

}  // namespace pg

namespace {

class PgFaqStore final : public FaqStore {
public:
    explicit PgFaqStore(std::string url) : db_(std::move(url)) {}

    std::vector<flows::faq::Entry> entries() override {
        return db_.run("reading the FAQ", [](pqxx::work& tx) { return pg::read_entries(tx.exec(pg::kEntriesJson)[0]); });
    }

    std::int64_t version() override {
        return db_.run("reading the FAQ version",
                       [](pqxx::work& tx) { return tx.exec("SELECT version FROM faq_state")[0][0].as<std::int64_t>(); });
    }

    std::int64_t replace(const std::vector<flows::faq::Entry>& entries, const std::string& actor) override {
        return db_.run("replacing the FAQ", [&](pqxx::work& tx) { return write_all(tx, entries, actor, "faq.replace"); });
    }

    bool seed(const std::vector<flows::faq::Entry>& entries, const std::string& actor) override {
        return db_.run("installing the shipped FAQ", [&](pqxx::work& tx) {
            // the state row lock makes two instances starting together seed once
            const auto version = tx.exec("SELECT version FROM faq_state FOR UPDATE")[0][0].as<std::int64_t>();
            if (version != 0) return false;
            write_all(tx, entries, actor, "faq.seed");
            return true;
        });
    }

    bool update(const flows::faq::Entry& entry, const std::string& actor) override {
        return db_.run("changing a FAQ entry", [&](pqxx::work& tx) {
            auto rows = tx.exec_params(R"sql(
UPDATE faq_entries SET category = e->>'category', question = e->>'question', phrasings = e->'phrasings',
       answer_ja = e->'answer'->>'ja', answer_en = e->'answer'->>'en', links = e->'links',
       enabled = (e->>'enabled')::boolean, updated_at = now()
FROM (SELECT $2::jsonb AS e) AS given
WHERE id = $1 RETURNING id)sql",
                                       entry.id, flows::faq::entry_json(entry));
            if (rows.empty()) return false;
            const auto version = bump(tx);
            audit(tx, actor, "faq.update", "faq:" + entry.id, version, 1);
            return true;
        });
    }

    std::vector<FaqMiss> misses(std::int64_t since_ms, int limit) override {
        return db_.run("reading unanswered questions", [&](pqxx::work& tx) {
            std::vector<FaqMiss> out;
            for (const auto& r : tx.exec_params(
                     "SELECT text, reason, coalesce(entry_id, ''), to_char(at AT TIME ZONE 'UTC', "
                     "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM faq_misses WHERE at >= to_timestamp($1 / 1000.0) "
                     "ORDER BY at DESC, id DESC LIMIT $2",
                     since_ms, limit
                 )) {
                out.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str()});
            }
            return out;
        });
    }

    std::int64_t purge_misses(std::int64_t cutoff_ms) override {
        return db_.run("purging unanswered questions", [&](pqxx::work& tx) {
            return static_cast<std::int64_t>(
                tx.exec_params("DELETE FROM faq_misses WHERE at < to_timestamp($1 / 1000.0)", cutoff_ms).affected_rows()
            );
        });
    }

private:
    static std::int64_t bump(pqxx::work& tx) {
        return tx.exec("UPDATE faq_state SET version = version + 1 RETURNING version")[0][0].as<std::int64_t>();
    }

    static void audit(pqxx::work& tx, const std::string& actor, const std::string& action, const std::string& subject,
                      std::int64_t version, std::size_t entries) {
        tx.exec_params("INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4::jsonb)", actor,
                       action, subject,
                       "{\"version\":" + std::to_string(version) + ",\"entries\":" + std::to_string(entries) + "}");
    }

    static std::int64_t write_all(pqxx::work& tx, const std::vector<flows::faq::Entry>& entries, const std::string& actor,
                                  const std::string& action) {
        tx.exec("DELETE FROM faq_entries");
        tx.exec_params(R"sql(
INSERT INTO faq_entries (id, position, category, question, phrasings, answer_ja, answer_en, links, enabled)
SELECT e->>'id', (n - 1)::int, e->>'category', e->>'question', e->'phrasings', e->'answer'->>'ja',
       e->'answer'->>'en', e->'links', (e->>'enabled')::boolean
FROM jsonb_array_elements($1::jsonb->'entries') WITH ORDINALITY AS t(e, n))sql",
                       flows::faq::entries_json(entries));
        const auto version = bump(tx);
        audit(tx, actor, action, "faq", version, entries.size());
        return version;
    }

    pg::SerialConnection db_;
};

}  // namespace

std::unique_ptr<FaqStore> make_pg_faq_store(const std::string& database_url) {
    return std::make_unique<PgFaqStore>(database_url);
}

}  // namespace sapo::storage
