#pragma once
/// @file
/// @brief Hands committed events to workers: one key's events (a user's) strictly in order,
/// different keys in parallel; every handling ends in one transaction that also marks the event
/// processed, and the messages it decided are sent from the outbox after that commit.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bot/line/client.hpp"
#include "bot/dispatch/event_handler.hpp"
#include "storage/repository.hpp"

namespace sapo::dispatch {

struct DispatcherOptions {
    int workers = 4;
    /// Keys a worker takes at once; their events are handled in one transaction.
    int batch_size = 32;
    int max_attempts = 3;  ///< handler attempts before an event is marked failed
    std::chrono::milliseconds sweep_interval{5000};
    /// An outbox row claimed longer ago than this is taken to belong to a dead sender.
    std::chrono::milliseconds outbox_reclaim_after{30000};
    /// Reply tokens older than this are not tried (LINE honours them for about a minute).
    std::chrono::milliseconds reply_token_max_age{50000};
};

using RepositoryFactory = std::function<std::unique_ptr<storage::Repository>()>;

class Dispatcher {
public:
    Dispatcher(
        DispatcherOptions options,
        RepositoryFactory make_repository,
        line::Client& line,
        const EventHandler& handler
    );
    ~Dispatcher();

    /// Starts the workers and the sweeper, which at once picks up events stored but not
    /// processed before a crash.
    void start();

    /// Keys that have new events (from the webhook write path). Thread-safe, never blocks on I/O.
    void notify(const std::vector<std::string>& keys);

    /// Finishes the keys already queued, then stops. Idempotent.
    void stop();

    /// Keys waiting for a worker.
    std::size_t queue_depth() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sapo::dispatch
