#pragma once
/// @file
/// @brief The dispatcher's access to events, users and the outbox. One Repository per worker
/// thread: it owns one database connection and is not thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/conversation_store.hpp"
#include "storage/records.hpp"

namespace sapo::storage {

struct Handled {
    StoredEvent event;
    bool failed = false;  ///< the handler threw; see error
    std::string error;
    bool gave_up = false;  ///< failed and out of attempts: the event is marked failed
    std::vector<OutboxItem> outbox;  ///< message batches to send now, in order
};

class Repository {
public:
    /// Runs inside the event's transaction; `store` reads and writes in that same transaction.
    using Handler =
        std::function<Decision(const StoredEvent&, const std::optional<UserRecord>&, ConversationStore& store)>;

    virtual ~Repository() = default;

    /// Takes the oldest pending event of `key` under the key's lock (so no other worker or
    /// instance handles the same key meanwhile), runs `handler`, and in the same transaction
    /// applies its Decision, writes the outbox row and marks the event processed. A handler that
    /// throws leaves the event pending with attempts+1, or failed once `max_attempts` is reached.
    /// Returns nullopt when the key has nothing pending. Throws StorageError.
    virtual std::optional<Handled> handle_next(
        const std::string& key,
        const Handler& handler,
        int max_attempts
    ) = 0;

    /// The oldest pending event of each of `keys` (distinct), all in ONE transaction: one commit
    /// for many users is what lets the dispatcher keep up with a rush of check-ins. The keys are
    /// locked in one sorted order, so workers can't deadlock. If any handler throws, nothing of
    /// the batch is kept and the keys are handled one by one with handle_next, so the failure is
    /// recorded against its own event only. Returns one Handled per key that had an event.
    virtual std::vector<Handled> handle_batch(
        const std::vector<std::string>& keys,
        const Handler& handler,
        int max_attempts
    ) = 0;

    /// Keys with pending events (crash recovery and the periodic sweep).
    virtual std::vector<std::string> pending_keys(int limit) = 0;

    /// Outbox rows whose sender vanished (claimed longer ago than `stale`), claimed anew.
    virtual std::vector<OutboxItem> reclaim_outbox(std::chrono::milliseconds stale, int limit) = 0;

    /// Deletes sessions that expired more than a day ago (the day keeps the "your conversation
    /// timed out" note possible for a user who comes back). Returns how many.
    virtual int purge_expired_sessions(int limit) = 0;

    struct Delivery {
        std::int64_t id = 0;
        std::string status;
        std::string error;
    };
    /// finish_outbox for many rows in one statement.
    virtual void finish_outbox_many(const std::vector<Delivery>& deliveries) = 0;

    /// Records the delivery outcome: "sent", "failed" or "expired".
    virtual void finish_outbox(std::int64_t id, const std::string& status, const std::string& error) = 0;
};

/// A PostgreSQL repository; connects lazily and reconnects after a broken connection.
std::unique_ptr<Repository> make_pg_repository(const std::string& database_url);

/// Checks the database in the background for /readyz without ever blocking the caller.
class HealthProbe {
public:
    virtual ~HealthProbe() = default;
    /// Latest result: database reachable and schema at the binary's version.
    virtual bool ready(std::string& why) const = 0;
    virtual void stop() = 0;
};

std::unique_ptr<HealthProbe> make_pg_health_probe(
    const std::string& database_url,
    std::chrono::milliseconds interval
);

}  // namespace sapo::storage
