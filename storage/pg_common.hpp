#pragma once
/// @file
/// @brief Shared by the storage/pg_*.cpp files only: libpqxx stays behind this folder.

#include <pqxx/pqxx>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "storage/checkin_tx.hpp"
#include "storage/errors.hpp"
#include "storage/facility_records.hpp"
#include "storage/fanout_store.hpp"
#include "storage/faq_tx.hpp"
#include "storage/health_tx.hpp"
#include "storage/support_store.hpp"

namespace sapo::storage::pg {

/// Opens a connection; unreachable database -> StorageError(transient).
std::unique_ptr<pqxx::connection> connect(const std::string& url);

/// Rethrows the current libpqxx exception as a StorageError; call inside a catch block.
[[noreturn]] void rethrow_as_storage_error(const std::string& context);

/// The highest applied migration version; 0 for a database never migrated.
int schema_version(pqxx::transaction_base& tx);

/// A statement prepared when a connection opens.
struct Statement {
    const char* name;
    const char* sql;
};

/// The columns of a facility row, in FacilityRecord order, for SELECT and RETURNING.
extern const char* const kFacilityColumns;

/// A FacilityRecord from a row selected with kFacilityColumns (starting at column `first`).
FacilityRecord read_facility(const pqxx::row& row, int first = 0);

/// The statements of the check-in transaction part (prepared with the dispatcher's).
const std::vector<Statement>& checkin_statements();

/// Forget which check-in partitions exist (after some were dropped): the next check-in of each
/// month checks again.
void forget_checkin_partitions();

/// Inserts a draft notification and its audit entry; returns its id.
std::int64_t insert_notification(pqxx::work& tx, const NewNotification& n);

/// A multicast batch claimed for sending, from a row that starts with its id, batch number, retry
/// key, language and attempts (the notification and health-prompt claims both select these first).
ClaimedBatch read_claimed_batch(const pqxx::row& row);

/// A batch's status once a send's outcome is known: accepted, failed (refused, or the last attempt)
/// or still pending (sent again later with the same retry key).
std::string batch_status_after(const SendOutcome& outcome, int attempts, int max_attempts);

/// The statements of the FAQ transaction part (prepared with the dispatcher's).
const std::vector<Statement>& faq_statements();

/// The FaqTx of one event's transaction.
std::unique_ptr<FaqTx> make_faq_tx(pqxx::work& tx);

/// The statements of the health-report transaction part (prepared with the dispatcher's).
const std::vector<Statement>& health_statements();

/// The HealthTx of one event's transaction.
std::unique_ptr<HealthTx> make_health_tx(pqxx::work& tx);

/// The statements of the questionnaire transaction part (prepared with the dispatcher's).
const std::vector<Statement>& support_statements();

/// The SupportTx of one event's transaction.
std::unique_ptr<SupportTx> make_support_tx(pqxx::work& tx);

/// The CheckinTx of one event's transaction.
std::unique_ptr<CheckinTx> make_checkin_tx(pqxx::work& tx);

/// One connection for callers that take turns (the operators' stores): opened on first use,
/// dropped after any failure and reopened on the next call; each run() is one transaction.
class SerialConnection {
public:
    explicit SerialConnection(std::string url) : url_(std::move(url)) {}

    /// Runs `f` in a transaction and commits; libpqxx errors become StorageError.
    template <class F>
    auto run(const std::string& what, F&& f) -> decltype(f(std::declval<pqxx::work&>())) {
        std::lock_guard lock(mutex_);
        try {
            if (!conn_ || !conn_->is_open()) conn_ = connect(url_);
            pqxx::work tx(*conn_);
            auto result = f(tx);
            tx.commit();
            return result;
        } catch (const StorageError&) {
            conn_.reset();
            throw;
        } catch (...) {
            conn_.reset();
            rethrow_as_storage_error(what);
        }
    }

private:
    std::string url_;
    std::mutex mutex_;
    std::unique_ptr<pqxx::connection> conn_;
};

/// PostgreSQL array literals for a `$n::text[]` / `$n::bigint[]` parameter.
std::string text_array(const std::vector<std::string>& values);
std::string int_array(const std::vector<std::int64_t>& values);

/// A JSON array from already-serialised JSON values.
std::string json_array(const std::vector<std::string>& values);

/// The elements of a JSON array, each re-serialised.
std::vector<std::string> json_array_elements(const std::string& array_json);

}  // namespace sapo::storage::pg
