#pragma once
/// @file
/// @brief The webhook write path: events of concurrent requests are committed together (group
/// commit), and each request learns the outcome only after its events are durable.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "flows/event.hpp"

namespace sapo::storage {

struct StoreOutcome {
    bool ok = false;
    std::string error;  ///< when !ok
    /// Ordering keys of the events that were new (not already stored), for the dispatcher.
    std::vector<std::string> new_keys;
    std::size_t inserted = 0;
    std::size_t duplicates = 0;
};

class EventWriter {
public:
    using Done = std::function<void(StoreOutcome)>;

    virtual ~EventWriter() = default;

    /// Queues the events of one webhook request. `done` runs exactly once, on a writer thread,
    /// after the transaction holding them committed (ok) or failed (!ok).
    virtual void submit(std::string destination, std::vector<flows::InboundEvent> events, Done done) = 0;

    /// Requests waiting for a commit.
    virtual std::size_t queue_depth() const = 0;

    /// Finishes what is queued, then stops the writer threads. Idempotent.
    virtual void stop() = 0;
};

struct PgEventWriterOptions {
    std::string database_url;
    int connections = 2;
    std::size_t max_batch_requests = 512;
};

/// PostgreSQL implementation: `connections` threads, each owning one connection, each taking
/// everything queued (up to max_batch_requests) into one INSERT ... ON CONFLICT DO NOTHING.
std::unique_ptr<EventWriter> make_pg_event_writer(const PgEventWriterOptions& options);

}  // namespace sapo::storage
