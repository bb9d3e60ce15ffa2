#pragma once
/// @file
/// @brief Numbered SQL migrations (storage/migrations/NNNN_name.sql, embedded in the binary).

#include <string>
#include <vector>

namespace sapo::storage {

struct Migration {
    std::string name;  ///< file name without .sql, e.g. "0001_init"
    std::string sql;

    int version() const { return std::stoi(name.substr(0, name.find('_'))); }
};

/// Every migration file, in version order.
const std::vector<Migration>& embedded_migrations();

/// The newest version this binary knows.
int latest_migration_version();

struct MigrationReport {
    int from_version = 0;
    int to_version = 0;
    std::vector<std::string> applied;  ///< names applied by this call
};

/// Applies the missing migrations, each in its own transaction together with its
/// schema_migrations row, under an advisory lock so two instances starting together don't race.
/// Throws StorageError.
MigrationReport migrate(const std::string& database_url);

/// The highest applied version, 0 for an empty database. Throws StorageError.
int applied_migration_version(const std::string& database_url);

}  // namespace sapo::storage
