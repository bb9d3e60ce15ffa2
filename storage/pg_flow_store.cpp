#include <mutex>

#include "storage/flow_store.hpp"
#include "storage/pg_common.hpp"

namespace sapo::storage {
namespace {

constexpr const char* kColumns = R"sql(
flow_id, version, status, definition, created_by,
to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
coalesce(published_by, ''),
coalesce(to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''))sql";

FlowVersionRecord to_record(const pqxx::row& r) {
    FlowVersionRecord f;
    f.flow_id = r[0].c_str();
    f.version = r[1].as<int>();
    f.status = r[2].c_str();
    f.definition = r[3].c_str();
    f.created_by = r[4].c_str();
    f.created_at = r[5].c_str();
    f.updated_at = r[6].c_str();
    f.published_by = r[7].c_str();
    f.published_at = r[8].c_str();
    return f;
}

std::string details(const std::string& key, const std::string& value) {
    return "{\"" + key + "\":" + value + "}";
}

class PgFlowStore final : public FlowStore {
public:
    explicit PgFlowStore(std::string url) : db_(std::move(url)) {}

    std::vector<FlowSummary> list() override {
        return db_.run("listing flows", [&](pqxx::work& tx) {
            std::vector<FlowSummary> out;
            auto rows = tx.exec(R"sql(
SELECT flow_id,
       coalesce(max(version) FILTER (WHERE status = 'published'), 0),
       coalesce(max(version) FILTER (WHERE status = 'draft'), 0),
       to_char(max(updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM flow_versions GROUP BY flow_id ORDER BY flow_id)sql");
            for (const auto& r : rows) out.push_back({r[0].c_str(), r[1].as<int>(), r[2].as<int>(), r[3].c_str()});
            return out;
        });
    }

    std::optional<FlowVersionRecord> get(const std::string& id, std::optional<int> version) override {
        return db_.run("reading a flow", [&](pqxx::work& tx) -> std::optional<FlowVersionRecord> {
            auto rows = version ? tx.exec_params(std::string("SELECT ") + kColumns +
                                                     " FROM flow_versions WHERE flow_id = $1 AND version = $2",
                                                 id, *version)
                                : tx.exec_params(std::string("SELECT ") + kColumns +
                                                     " FROM flow_versions WHERE flow_id = $1 ORDER BY version DESC LIMIT 1",
                                                 id);
            if (rows.empty()) return std::nullopt;
            return to_record(rows[0]);
        });
    }

    std::optional<FlowVersionRecord> draft(const std::string& id) override {
        return db_.run("reading a draft", [&](pqxx::work& tx) -> std::optional<FlowVersionRecord> {
            auto rows = tx.exec_params(
                std::string("SELECT ") + kColumns + " FROM flow_versions WHERE flow_id = $1 AND status = 'draft'", id
            );
            if (rows.empty()) return std::nullopt;
            return to_record(rows[0]);
        });
    }

    DraftResult put_draft(const std::string& id, const std::string& definition, const std::string& actor,
                          const std::string& action) override {
        return db_.run("saving a draft", [&](pqxx::work& tx) {
            // one writer per flow at a time, so two drafts can't both take the next number
            tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended('flow:' || $1, 0))", id);
            auto newest = tx.exec_params(
                "SELECT version, status, definition FROM flow_versions WHERE flow_id = $1 ORDER BY version DESC LIMIT 1", id
            );
            DraftResult r;
            if (!newest.empty() && std::string(newest[0][2].c_str()) == definition) {
                r.version = newest[0][0].as<int>();
                return r;
            }
            if (!newest.empty() && std::string(newest[0][1].c_str()) == "draft") {
                r.version = newest[0][0].as<int>();
                tx.exec_params(
                    "UPDATE flow_versions SET definition = $3, updated_at = now(), created_by = $4 "
                    "WHERE flow_id = $1 AND version = $2",
                    id, r.version, definition, actor
                );
            } else {
                r.version = newest.empty() ? 1 : newest[0][0].as<int>() + 1;
                tx.exec_params(
                    "INSERT INTO flow_versions (flow_id, version, status, definition, created_by) "
                    "VALUES ($1, $2, 'draft', $3, $4)",
                    id, r.version, definition, actor
                );
            }
            r.changed = true;
            write_audit(tx, actor, action, id, details("version", std::to_string(r.version)));
            return r;
        });
    }

    bool publish(const std::string& id, int version, const std::string& definition, const std::string& actor) override {
        return db_.run("publishing a flow", [&](pqxx::work& tx) {
            auto r = tx.exec_params(
                "UPDATE flow_versions SET status = 'published', published_by = $3, published_at = now(), updated_at = now() "
                "WHERE flow_id = $1 AND version = $2 AND status = 'draft' AND definition = $4",
                id, version, actor, definition
            );
            if (r.affected_rows() == 0) return false;
            write_audit(tx, actor, "flow.publish", id, details("version", std::to_string(version)));
            return true;
        });
    }

    bool seed(const std::string& id, const std::string& definition, const std::string& actor) override {
        return db_.run("installing a shipped flow", [&](pqxx::work& tx) {
            tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended('flow:' || $1, 0))", id);
            auto any = tx.exec_params("SELECT 1 FROM flow_versions WHERE flow_id = $1 LIMIT 1", id);
            if (!any.empty()) return false;
            tx.exec_params(
                "INSERT INTO flow_versions (flow_id, version, status, definition, created_by, published_by, published_at) "
                "VALUES ($1, 1, 'published', $2, $3, $3, now())",
                id, definition, actor
            );
            write_audit(tx, actor, "flow.seed", id, details("version", "1"));
            return true;
        });
    }

    std::vector<std::string> flow_ids() override {
        return db_.run("listing flow ids", [&](pqxx::work& tx) {
            std::vector<std::string> out;
            for (const auto& r : tx.exec("SELECT DISTINCT flow_id FROM flow_versions ORDER BY 1")) out.emplace_back(r[0].c_str());
            return out;
        });
    }

    void audit(const std::string& actor, const std::string& action, const std::string& subject,
               const std::string& details_json) override {
        db_.run("writing the audit log", [&](pqxx::work& tx) {
            write_audit(tx, actor, action, subject, details_json);
            return 0;
        });
    }

private:
    static void write_audit(pqxx::work& tx, const std::string& actor, const std::string& action,
                            const std::string& flow_id, const std::string& details_json) {
        tx.exec_params(
            "INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4::jsonb)",
            actor, action, "flow:" + flow_id, details_json.empty() ? "{}" : details_json
        );
    }

    pg::SerialConnection db_;
};

}  // namespace

std::unique_ptr<FlowStore> make_pg_flow_store(const std::string& database_url) {
    return std::make_unique<PgFlowStore>(database_url);
}

}  // namespace sapo::storage
