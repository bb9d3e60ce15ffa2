#include <algorithm>

#include "storage/migrations.hpp"
#include "storage/pg_common.hpp"

namespace sapo::storage {
namespace {

// Any constant works; it only has to be the same for every sapo instance.
constexpr long long kMigrationLockId = 0x5a9081;

}  // namespace

int latest_migration_version() {
    int v = 0;
    for (const auto& m : embedded_migrations()) v = std::max(v, m.version());
    return v;
}

MigrationReport migrate(const std::string& database_url) {
    MigrationReport report;
    try {
        auto conn = pg::connect(database_url);
        {
            pqxx::work tx(*conn);
            // Session-level lock: held across the per-migration transactions below.
            tx.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockId) + ")");
            tx.exec(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            );
            report.from_version = pg::schema_version(tx);
            tx.commit();
        }
        report.to_version = report.from_version;
        for (const auto& m : embedded_migrations()) {
            if (m.version() <= report.to_version) continue;
            pqxx::work tx(*conn);
            tx.exec(m.sql);
            tx.exec(
                "INSERT INTO schema_migrations (version, name) VALUES (" +
                std::to_string(m.version()) + ", " + tx.quote(m.name) + ")"
            );
            tx.commit();
            report.to_version = m.version();
            report.applied.push_back(m.name);
        }
        pqxx::nontransaction unlock(*conn);
        unlock.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockId) + ")");
    } catch (...) {
        pg::rethrow_as_storage_error("migrating");
    }
    return report;
}

int applied_migration_version(const std::string& database_url) {
    try {
        auto conn = pg::connect(database_url);
        pqxx::work tx(*conn);
        return pg::schema_version(tx);
    } catch (...) {
        pg::rethrow_as_storage_error("reading the schema version");
    }
}

}  // namespace sapo::storage
